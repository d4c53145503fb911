"""Expectations of the health station's workbook: the criteria sheet and the military pre-screening form.

Cross-field rules: an appraised score never exceeds its criterion's maximum; screened ≤ planned (the
NVQS_PRESCREEN numerator within its denominator, shared rule) and removed ≤ screened. History: the
campaign's screened count never decreases within a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    Finding,
    between,
    columns_present,
    dates_not_after,
    derived,
    figures,
    in_set,
    no_unknown_columns,
    not_null,
    unique,
)
from expectations.common import ytd_never_decreases
from expectations.messages import decimals_of, numbers

INDICATORS = ["HEALTH_STATION_STANDARD", "NVQS_PRESCREEN"]
REQUIRED = ["table", "ma_tram", "tieu_chi_so", "ket_luan", "source_file", "sheet", "row_number"]
OPTIONAL = ["stt", "ten_tram", "ten_tieu_chi", "diem_chuan", "diem_tu_cham", "diem_tham_dinh",
            "so_qd_cong_nhan", "ngay_qd", "raw_cells", "is_met", "item_code", "tt", "noi_dung", "ket_qua",
            "ghi_chu"]
CRITERIA = "table == 'tieu_chi'"
FORM = "table == 'mau_2a'"


_SCORES = ("diem_tham_dinh", "diem_tu_cham")


def _score_within_maximum(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    out = np.ones(len(rec), dtype=bool)
    for col in _SCORES:
        if col in rec.columns and "diem_chuan" in rec.columns:
            with np.errstate(invalid="ignore"):
                out &= ~(figures(rec[col]) > figures(rec["diem_chuan"]))
    return pd.Series(out, index=rec.index)


def _explain_score_within_maximum(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    rec = ctx.records.iloc[positions]
    top = figures(rec["diem_chuan"])
    out = []
    for k in range(len(positions)):
        vi, en = numbers(top[k], decimals_of([top[k]]))
        out.append([Finding(col, f"at most the criterion's maximum, {en}", f"không vượt điểm chuẩn, {vi}")
                    for col in _SCORES if col in rec.columns and figures(rec[col])[k] > top[k]])
    return out


def _screened(rec: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(form rows, item codes, the screened count): the form's last "screened" line is the one that
    counts (a repeated item overrides the earlier); None when the form has none."""
    form = (rec["table"] == "mau_2a").to_numpy()
    items = rec["item_code"].astype(str).to_numpy()
    counts = figures(rec["ket_qua"])
    screened_rows = np.flatnonzero(form & (items == "so_da_so_tuyen"))
    return form, items, (counts[screened_rows[-1]] if len(screened_rows) else None)


def _removed_within_screened(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    holds = np.ones(len(rec), dtype=bool)
    if "item_code" not in rec.columns or "ket_qua" not in rec.columns:
        return pd.Series(holds, index=rec.index)
    form, items, screened = _screened(rec)
    if screened is not None:
        checked = form & np.isin(items, ["so_loai_ra", "so_du_dieu_kien"])
        # An empty screened count or cell compares False: nothing to hold it against.
        with np.errstate(invalid="ignore"):
            holds[checked & (figures(rec["ket_qua"]) > screened)] = False
    return pd.Series(holds, index=rec.index)


def _explain_removed_within_screened(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    _, _, screened = _screened(ctx.records)
    vi, en = numbers(screened, decimals_of([screened]))
    return [[Finding("ket_qua", f"at most the number screened, {en}", f"không vượt số đã sơ tuyển, {vi}")]
            for _ in positions]


def checks() -> list[Check]:
    """The health dataset's rules."""
    return [
        columns_present("health.columns_present", "records", REQUIRED,
                        "Biểu y tế có đủ các cột bắt buộc", "The health workbook has every required column"),
        no_unknown_columns("health.no_unknown_columns", "records", REQUIRED + OPTIONAL,
                           "Biểu y tế không có cột lạ", "The health workbook has no unknown column"),
        not_null("health.station_not_null", "ma_tram", "Mỗi tiêu chí có mã trạm",
                 "Every criterion row has a station code", condition=CRITERIA),
        unique("health.criterion_unique", ["ma_tram", "tieu_chi_so"], "Không trùng tiêu chí của một trạm",
               "No criterion listed twice for a station", condition=CRITERIA),
        in_set("health.conclusion_known", "ket_luan", ["Đạt", "Chưa đạt"], "Kết luận là 'Đạt' hoặc 'Chưa đạt'",
               "Conclusion is 'Đạt' or 'Chưa đạt'", condition=CRITERIA),
        between("health.score_not_negative", "diem_tham_dinh", 0, None, "Điểm thẩm định không âm",
                "Appraised score is not negative", condition=CRITERIA),
        derived("health.score_within_maximum", _score_within_maximum,
                "Điểm tự chấm/thẩm định không vượt điểm chuẩn", "Scores do not exceed the criterion's maximum",
                column="diem_tham_dinh", explain=_explain_score_within_maximum),
        between("health.count_not_negative", "ket_qua", 0, None, "Số người không âm (Mẫu 2a)",
                "Head counts are not negative (form 2a)", condition=FORM),
        derived("health.removed_within_screened", _removed_within_screened,
                "Số đủ điều kiện và số loại ra không vượt số đã sơ tuyển",
                "Eligible and removed do not exceed screened", column="ket_qua",
                explain=_explain_removed_within_screened),
        dates_not_after("health.decision_not_future", "ngay_qd", "period_end",
                        "Ngày quyết định công nhận không sau kỳ báo cáo",
                        "No recognition decision dated after the month"),
        ytd_never_decreases(["NVQS_PRESCREEN"], field="numerator"),
    ]
