"""Expectations of the tax office's budget-revenue workbook (`Thu NSNN`): records and observations.

Cross-field rules: the total row equals section I, section I equals the sum of items 1–9 (within the
rounding of one decimal of a million VND per item), and no item's month figure exceeds its year to date.
History: year to date never decreases within a year; no 100× jumps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    between,
    columns_present,
    derived,
    no_unknown_columns,
    not_null,
    unique,
)
from expectations.common import no_spikes, numbers_table, parents_off, ytd_never_decreases

INDICATORS = ["REV_MONTH", "REV_YTD", "REV_PRIOR_YTD", "REV_ESTIMATE_STATE", "REV_ESTIMATE_COUNCIL"]
REQUIRED = ["stt", "member_code", "level", "parent_code", "label", "th_thang_vnd", "luy_ke_vnd",
            "cung_ky_vnd", "source_file", "sheet", "row_number"]
OPTIONAL = ["ma_muc", "du_toan_phap_lenh_vnd", "du_toan_hdnd_vnd", "tl_so_du_toan_pct",
            "tl_so_cung_ky_pct", "ghi_chu", "raw_cells"]
MONEY = ["du_toan_phap_lenh_vnd", "du_toan_hdnd_vnd", "th_thang_vnd", "luy_ke_vnd", "cung_ky_vnd"]
# Half a unit of the last written decimal (0.1 million VND) per summed item.
ROUNDING_VND = 50_000.0


def _parent_equals_children(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    codes = rec["member_code"].astype(str).to_numpy()
    holds = np.ones(len(rec), dtype=bool)
    columns = [c for c in ("th_thang_vnd", "luy_ke_vnd", "cung_ky_vnd", "du_toan_hdnd_vnd") if c in rec.columns]
    values = None
    # TỔNG sums section I; section I sums the rows whose parent is I. Each parent's children are the
    # same whichever row carries the parent's code, so each total is summed once.
    for parent, children in (("TONG", codes == "I"), ("I", (rec["parent_code"].astype(str) == "I").to_numpy())):
        parents = codes == parent
        if not parents.any() or not children.any() or not columns:
            continue
        values = numbers_table(rec, columns) if values is None else values
        # A parent cell left empty is not compared.
        holds[parents_off(values, parents, children, ROUNDING_VND * children.sum() + 1.0)] = False
    return pd.Series(holds, index=rec.index)


def _month_within_ytd(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    month = pd.to_numeric(rec["th_thang_vnd"], errors="coerce")
    ytd = pd.to_numeric(rec["luy_ke_vnd"], errors="coerce")
    return ~(month > ytd + ROUNDING_VND)


def checks() -> list[Check]:
    """The tax dataset's rules (records, then observations, then history)."""
    return [
        columns_present("tax.columns_present", "records", REQUIRED, "Biểu thu NSNN có đủ các cột bắt buộc",
                        "The revenue sheet has every required column"),
        no_unknown_columns("tax.no_unknown_columns", "records", REQUIRED + OPTIONAL,
                           "Biểu thu NSNN không có cột lạ", "The revenue sheet has no unknown column"),
        not_null("tax.member_not_null", "member_code", "Mỗi dòng có mã khoản thu (STT)",
                 "Every row has a revenue line code (STT)"),
        unique("tax.member_unique", ["member_code"], "Không trùng khoản thu", "No duplicate revenue line"),
        *[between(f"tax.{col}_not_negative", col, 0, None, f"Số tiền không âm ({col})",
                  f"Amounts are not negative ({col})", severity="warning") for col in MONEY],
        derived("tax.parent_equals_children", _parent_equals_children,
                "Dòng tổng bằng tổng các dòng chi tiết (TỔNG = I = mục 1–9, sai số làm tròn)",
                "Parent rows equal the sum of their children (TOTAL = I = items 1–9, within rounding)",
                column="th_thang_vnd"),
        derived("tax.month_within_ytd", _month_within_ytd,
                "Thực hiện tháng không vượt lũy kế từ đầu năm", "The month's figure does not exceed the "
                "year to date", column="th_thang_vnd"),
        ytd_never_decreases(["REV_YTD"]),
        no_spikes(["REV_MONTH", "REV_YTD"]),
    ]
