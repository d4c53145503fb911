"""Expectations of the school register (`Danh sách trường`): one row per school.

Cross-field rule: a recognition expires after it was granted. Period rule: no decision dated after
the month (each month lists the latest decision up to its last day).
"""

from __future__ import annotations

import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    Finding,
    between,
    columns_present,
    dates_not_after,
    derived,
    in_set,
    moments,
    no_unknown_columns,
    not_null,
    unique,
)
from expectations.messages import day

INDICATORS = ["SCHOOL_STANDARD"]
REQUIRED = ["ma_truong", "ten_truong", "loai_hinh", "muc_chuan_quoc_gia", "ngay_qd", "source_file", "sheet",
            "row_number"]
OPTIONAL = ["stt", "cap_hoc", "cap_do_kiem_dinh", "so_qd_cong_nhan", "co_quan_cong_nhan", "ngay_het_han",
            "trang_thai", "raw_cells", "is_public", "level", "valid_until"]
LEVELS = ["Mức độ 1", "Mức độ 2", "Chưa đạt"]


def _expires_after_granted(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    if "ngay_het_han" not in rec.columns:  # no expiry given: the recognition runs 5 years from its date
        return pd.Series(True, index=rec.index)
    granted = moments(rec["ngay_qd"])
    expires = moments(rec["ngay_het_han"])
    return ~(expires <= granted)


def _explain_expires_after_granted(ctx: DeliveryContext, positions) -> list[list[Finding]]:
    granted = moments(ctx.records["ngay_qd"].iloc[positions])
    return [[Finding("ngay_het_han", f"a date after the decision's date, {day(g)}",
                     f"ngày sau ngày quyết định công nhận, {day(g)}")] for g in granted]


def checks() -> list[Check]:
    """The education dataset's rules."""
    return [
        columns_present("education.columns_present", "records", REQUIRED,
                        "Danh sách trường có đủ các cột bắt buộc", "The school register has every required column"),
        no_unknown_columns("education.no_unknown_columns", "records", REQUIRED + OPTIONAL,
                           "Danh sách trường không có cột lạ", "The school register has no unknown column"),
        not_null("education.school_not_null", "ma_truong", "Mỗi trường có mã trường", "Every school has a code"),
        unique("education.school_unique", ["ma_truong"], "Không trùng mã trường", "No school listed twice"),
        in_set("education.level_known", "muc_chuan_quoc_gia", LEVELS,
               "Mức chuẩn quốc gia là 'Mức độ 1', 'Mức độ 2' hoặc 'Chưa đạt'",
               "National standard level is 'Mức độ 1', 'Mức độ 2' or 'Chưa đạt'"),
        between("education.accreditation_1_4", "cap_do_kiem_dinh", 1, 4, "Cấp độ kiểm định từ 1 đến 4",
                "Accreditation grade between 1 and 4", severity="warning"),
        derived("education.expires_after_granted", _expires_after_granted,
                "Ngày hết hạn sau ngày quyết định công nhận", "Recognition expires after it was granted",
                column="ngay_het_han", explain=_explain_expires_after_granted),
        dates_not_after("education.decision_not_future", "ngay_qd", "period_end",
                        "Ngày quyết định công nhận không sau kỳ báo cáo",
                        "No recognition decision dated after the month"),
    ]
