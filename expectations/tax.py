"""Expectations of the tax office's budget-revenue workbook (`Thu NSNN`): records and observations.

Cross-field rules: the total row and section I each equal the sum of items 1–9 (within the rounding of
one decimal of a million VND per item; without items, the total equals section I), and no item's month
figure exceeds its year to date. A failing total names its cell, the items' sum and the gap, in the
sheet's unit.
History: year to date never decreases within a year; no 100× jumps.
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
    derived,
    figures,
    no_unknown_columns,
    not_null,
    unique,
)
from expectations.common import (
    no_spikes,
    numbers_table,
    parents_off,
    sum_findings,
    unit_factor,
    ytd_never_decreases,
)
from expectations.messages import decimals_of, numbers

INDICATORS = ["REV_MONTH", "REV_YTD", "REV_PRIOR_YTD", "REV_ESTIMATE_STATE", "REV_ESTIMATE_COUNCIL"]
REQUIRED = ["stt", "member_code", "level", "parent_code", "label", "th_thang_vnd", "luy_ke_vnd",
            "cung_ky_vnd", "source_file", "sheet", "row_number"]
OPTIONAL = ["ma_muc", "du_toan_phap_lenh_vnd", "du_toan_hdnd_vnd", "tl_so_du_toan_pct",
            "tl_so_cung_ky_pct", "ghi_chu", "raw_cells"]
MONEY = ["du_toan_phap_lenh_vnd", "du_toan_hdnd_vnd", "th_thang_vnd", "luy_ke_vnd", "cung_ky_vnd"]
# Half a unit of the last written decimal (0.1 million VND) per summed item.
ROUNDING_VND = 50_000.0


def _sum_columns(rec: pd.DataFrame) -> list[str]:
    return [c for c in ("th_thang_vnd", "luy_ke_vnd", "cung_ky_vnd", "du_toan_hdnd_vnd") if c in rec.columns]


def _totals_and_parts(rec: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(total rows, their parts) masks: TỔNG and section I each against the sum of items 1–9 (the rows
    whose parent is I), so a total that disagrees is the one named, not the other total that still
    agrees with the items; without items, TỔNG against section I."""
    codes = rec["member_code"].astype(str).to_numpy()
    items = (rec["parent_code"].astype(str) == "I").to_numpy()
    if items.any():
        return [(codes == "TONG", items), (codes == "I", items)]
    return [(codes == "TONG", codes == "I")]


def _tolerance(parts: np.ndarray) -> float:
    return ROUNDING_VND * parts.sum() + 1.0


def _parent_equals_children(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    holds = np.ones(len(rec), dtype=bool)
    columns = _sum_columns(rec)
    values = None
    for parents, children in _totals_and_parts(rec):
        if not parents.any() or not children.any() or not columns:
            continue
        values = numbers_table(rec, columns) if values is None else values
        # A parent cell left empty is not compared.
        holds[parents_off(values, parents, children, _tolerance(children))] = False
    return pd.Series(holds, index=rec.index)


def _explain_parent_equals_children(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    """Each failing total's cells that disagree with the items: the sum and the gap, in the file's unit."""
    rec = ctx.records
    columns = _sum_columns(rec)
    values = numbers_table(rec, columns)
    factor = unit_factor(ctx)
    out = []
    for position in positions.tolist():
        cells: list[Finding] = []
        for parents, children in _totals_and_parts(rec):
            if parents[position] and children.any():
                sums = np.nansum(values[children], axis=0)
                cells = sum_findings(values[position], sums, columns, _tolerance(children), factor,
                                     decimals=1 if factor > 1 else None)
                break
        out.append(cells)
    return out


def _month_within_ytd(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    with np.errstate(invalid="ignore"):
        breaks = figures(rec["th_thang_vnd"]) > figures(rec["luy_ke_vnd"]) + ROUNDING_VND
    return pd.Series(~breaks, index=rec.index)


def _explain_month_within_ytd(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    ytd = figures(ctx.records["luy_ke_vnd"].iloc[positions]) / unit_factor(ctx)
    d = max(1, decimals_of(ytd))
    out = []
    for value in ytd.tolist():
        vi, en = numbers(value, d)
        out.append([Finding("th_thang_vnd", f"at most the year to date, {en}",
                            f"không vượt lũy kế từ đầu năm, {vi}")])
    return out


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
                column="th_thang_vnd", explain=_explain_parent_equals_children),
        derived("tax.month_within_ytd", _month_within_ytd,
                "Thực hiện tháng không vượt lũy kế từ đầu năm", "The month's figure does not exceed the "
                "year to date", column="th_thang_vnd", explain=_explain_month_within_ytd),
        ytd_never_decreases(["REV_YTD"]),
        no_spikes(["REV_MONTH", "REV_YTD"]),
    ]
