"""Expectations of the other socio-economic indicators workbook (`Chỉ tiêu`).

Cross-field rule: the product value TGTSP equals the sum of its three sectors in every filled month
(within the rounding of one decimal per sector), on the month figures as the connector parsed them
(``thang_<m>_number``), never on the cells' text. Ranges: rates 0–100 (shared rule), counts and values
not negative; ANTT says `Giữ vững` or `Không giữ vững`. History: no 100× jumps.
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
    in_set,
    no_unknown_columns,
    unique,
)
from expectations.common import no_spikes, parents_off, sum_findings
from expectations.messages import decimals_of, numbers

# The previous year's totals of the monthly flows, from the `Năm trước` column (carried, period YYYY-1-12).
CUMULATIVE = ["TGTSP_YTD", "TGTSP_NLTS_YTD", "TGTSP_CNXD_YTD", "TGTSP_TMDV_YTD", "LUOT_KHACH_YTD", "CTR_SH_YTD"]
INDICATORS = ["TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", "HO_NGHEO", "GDVH", "TDP_VH",
              "LUOT_KHACH", "NUOC_SACH", "CTR_SH", "ANTT", *CUMULATIVE]
MONTHS = [f"thang_{m}" for m in range(1, 13)]
REQUIRED = ["stt", "ma_chi_tieu", "chi_tieu", *MONTHS, "source_file", "sheet", "row_number"]
OPTIONAL = ["don_vi_tinh", "nam_truoc", "ke_hoach_nam", "ghi_chu", "trang_thai_so_lieu", "raw_cells",
            "nam_truoc_number", "ke_hoach_nam_number", *[f"{m}_number" for m in MONTHS]]
PARTS = {"TGTSP": ["TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV"]}
ROUNDING = 0.05  # half a unit of the one written decimal, per summed row (file units)
NON_NEGATIVE = ["TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", "LUOT_KHACH"]


def month_numbers(rec: pd.DataFrame) -> np.ndarray:
    """The month figures as the connector read them (rows × 12, NaN where blank or not a number).

    The connector keeps each month's cell as found (``thang_<m>``: a number, the assessment text, or
    None) and its parsed number beside it (``thang_<m>_number``, with the Vietnamese rules); the number
    is used whenever the connector gave it, so a figure typed as text ("3.765,6") counts exactly as the
    connector read it. A month without the parsed column falls back to the cell when it is a number.
    """
    return np.column_stack([figures(rec[f"{m}_number"] if f"{m}_number" in rec.columns else rec[m])
                            for m in MONTHS])


def _sums(rec: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(parent rows, part rows, number of parts) for each declared sum (TGTSP = its three sectors)."""
    codes = rec["ma_chi_tieu"].astype(str).to_numpy()
    out = []
    for parent, children in PARTS.items():
        parents = codes == parent
        parts = np.isin(codes, children)
        if parents.any() and parts.any():
            out.append((parents, parts, len(children)))
    return out


def _tolerance(n_parts: int) -> float:
    return ROUNDING * n_parts + 1e-9


def _parent_equals_children(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    holds = np.ones(len(rec), dtype=bool)
    values = None
    for parents, parts, n in _sums(rec):
        values = month_numbers(rec) if values is None else values
        # A month the parent leaves empty is not compared.
        holds[parents_off(values, parents, parts, _tolerance(n))] = False
    return pd.Series(holds, index=rec.index)


def _explain_parent_equals_children(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    """Each month cell of a failing total that disagrees with its parts: the parts' sum and the gap (in
    the row's own unit, as typed: the month figures are not converted)."""
    rec = ctx.records
    values = month_numbers(rec)
    out = []
    for position in positions.tolist():
        cells: list[Finding] = []
        for parents, parts, n in _sums(rec):
            if parents[position]:
                sums = np.nansum(values[parts], axis=0)
                d = max(1, decimals_of(np.concatenate([values[position], values[parts].ravel()])))
                cells = sum_findings(values[position], sums, MONTHS, _tolerance(n), decimals=d)
                break
        out.append(cells)
    return out


def checks() -> list[Check]:
    """The indicators dataset's rules."""
    return [
        columns_present("indicators.columns_present", "records", REQUIRED,
                        "Biểu chỉ tiêu có đủ các cột bắt buộc", "The indicators sheet has every required column"),
        no_unknown_columns("indicators.no_unknown_columns", "records", REQUIRED + OPTIONAL,
                           "Biểu chỉ tiêu không có cột lạ", "The indicators sheet has no unknown column"),
        unique("indicators.code_unique", ["ma_chi_tieu"], "Không trùng mã chỉ tiêu", "No indicator code twice"),
        derived("indicators.parent_equals_children", _parent_equals_children,
                "TGTSP bằng tổng ba khu vực (nông nghiệp, công nghiệp - xây dựng, dịch vụ), sai số làm tròn",
                "TGTSP equals the sum of its three sectors, within rounding", explain=_explain_parent_equals_children),
        between("indicators.value_not_negative", "value", 0, None, "Giá trị và số lượng không âm",
                "Values and counts are not negative", frame="observations",
                condition=f"indicator_code in {NON_NEGATIVE!r}"),
        in_set("indicators.antt_text_known", "text_value", ["Giữ vững", "Không giữ vững"],
               "An ninh trật tự ghi 'Giữ vững' hoặc 'Không giữ vững'",
               "Security status reads 'Giữ vững' or 'Không giữ vững'", frame="observations",
               condition="indicator_code == 'ANTT'"),
        no_spikes([i for i in INDICATORS if i != "ANTT" and i not in CUMULATIVE]),
        earlier_month_revised(),
    ]


# The figures a cumulative workbook carries for other periods (connectors.indicators.carried_...): months
# 1..M-1 of the year and, from `Năm trước`, last December. ---------------------------------------------------


def carried_periods(period: str) -> list[str]:
    """The other months a delivery of `period` may carry figures for: months 1..M−1 of its year and the
    previous December (the `Năm trước` column)."""
    year, month = int(period[:4]), int(period[5:7])
    return [f"{year:04d}-{m:02d}" for m in range(1, month)] + [f"{year - 1:04d}-12"]


_KEY = ["indicator_code", "member_code", "period"]
_FIELDS = ["value", "numerator", "denominator"]


def _in_force(history: pd.DataFrame) -> pd.DataFrame:
    """The history's figure in force per (indicator, member, period): a figure delivered in its own year
    before one a later year's delivery restates (its `Năm trước`), then the most recent delivery (the
    warehouse's rule, warehouse/README.md); without load columns, the last row of a key."""
    hist = history.reset_index(drop=True)
    period = hist["period"].astype(str)
    load_period = (hist["load_period"].where(hist["load_period"].notna(), period).astype(str)
                   if "load_period" in hist.columns else period)
    load_id = (pd.to_numeric(hist["load_id"], errors="coerce").fillna(-1).to_numpy(dtype=float)
               if "load_id" in hist.columns else np.zeros(len(hist)))
    own = (load_period.str[:4] == period.str[:4]).to_numpy()
    order = np.lexsort((np.arange(len(hist)), load_id, load_period.to_numpy().astype(str), own))
    hist = hist.iloc[order].assign(_own=own[order], member_code=hist["member_code"].iloc[order].fillna("").astype(str),
                                   period=period.iloc[order])
    return hist.drop_duplicates(_KEY, keep="last")


def _revisions(ctx: DeliveryContext) -> pd.DataFrame:
    """The carried rows (period other than the delivery's) whose figure differs from the one in force:
    one row per such observation (its position ``_pos``), with the in-force figure (``old_*``) and
    whether it was delivered in its own year (``old_own``)."""
    obs = ctx.observations
    carried = np.flatnonzero((obs["period"].astype(str) != ctx.period).to_numpy())
    empty = pd.DataFrame(columns=["_pos"])
    if not len(carried) or ctx.history is None or ctx.history.empty:
        return empty
    new = obs.iloc[carried][_KEY + _FIELDS + ["text_value"]].assign(_pos=carried)
    new["member_code"] = new["member_code"].fillna("").astype(str)
    new["period"] = new["period"].astype(str)
    hist = ctx.history
    wanted = hist["period"].astype(str).isin(set(new["period"])).to_numpy()
    if not wanted.any():
        return empty
    cols = [c for c in [*_KEY, *_FIELDS, "text_value", "load_period", "load_id", "source_file", "column_name",
                        "raw_text"] if c in hist.columns]
    old = _in_force(hist.loc[wanted, cols])
    both = new.merge(old.rename(columns={c: f"old_{c}" for c in old.columns if c not in _KEY}), on=_KEY,
                     how="inner")
    differs = np.zeros(len(both), dtype=bool)
    for field in [f for f in _FIELDS if f"old_{f}" in both.columns]:  # the history may carry fewer fields
        a, b = figures(both[field]), figures(both[f"old_{field}"])
        with np.errstate(invalid="ignore"):
            same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-6)
        differs |= ~same
    if "old_text_value" in both.columns:
        text_a = both["text_value"].where(both["text_value"].notna(), "").astype(str)
        text_b = both["old_text_value"].where(both["old_text_value"].notna(), "").astype(str)
        differs |= (text_a != text_b).to_numpy()
    return both[differs]


def _earlier_month_revised(ctx: DeliveryContext) -> pd.Series:
    holds = np.ones(len(ctx.observations), dtype=bool)
    revised = _revisions(ctx)
    if len(revised):
        holds[revised["_pos"].to_numpy(dtype=int)] = False
    return pd.Series(holds, index=ctx.observations.index)


def _explain_earlier_month_revised(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    """Each revised figure: the figure in force (as typed in its file, and where it came from), and what
    happens: a month of the year takes this delivery's figure (the old one stays in history); last year's
    figure delivered in its own year stays in force."""
    revised = _revisions(ctx).set_index("_pos")
    out = []
    for position in positions.tolist():
        if position not in revised.index:
            out.append([])
            continue
        rec = revised.loc[position]
        field = next((f for f in _FIELDS if f"old_{f}" in rec.index and not _same(rec[f], rec[f"old_{f}"])),
                     "value")
        shown = rec.get("old_raw_text")
        if not isinstance(shown, str) or not shown:
            old = figures(pd.Series([rec[f"old_{field}"]], dtype=object))[0]
            shown = "(trống)" if np.isnan(old) else numbers(float(old), decimals_of([old]))[0]
        where = ", ".join(str(rec[c]) for c in ("old_source_file", "old_column_name")
                          if isinstance(rec.get(c), str) and rec.get(c))
        where = f" ({where})" if where else ""
        period = str(rec["period"])
        if period[:4] != ctx.period[:4] and bool(rec.get("old__own", False)):
            en = f"the figure in force for {period}, '{shown}'{where}, delivered in its own year: it stays in force"
            vi = f"số đang dùng của kỳ {period} là '{shown}'{where}, do chính kỳ đó báo cáo: vẫn giữ số đó"
        else:
            en = (f"the figure in force for {period}, '{shown}'{where}: this delivery's figure replaces it, "
                  "the old one stays in history")
            vi = (f"số đang dùng của kỳ {period} là '{shown}'{where}: số của lần giao nộp này thay thế, "
                  "số cũ vẫn được lưu lại")
        out.append([Finding(field, en, vi)])
    return out


def _same(a, b) -> bool:
    fa, fb = figures(pd.Series([a, b], dtype=object))
    if np.isnan(fa) and np.isnan(fb):
        return True
    return bool(np.isclose(fa, fb, rtol=1e-9, atol=1e-6))


def earlier_month_revised() -> Check:
    """A figure the workbook carries for an earlier month (or last year) that differs from the one in
    force: a warning; the later delivery's figure is used for a month of the year, the old one is kept
    in history (its load stays), and a figure of last year delivered in its own year stays in force."""
    return derived("indicators.earlier_month_revised", _earlier_month_revised,
                   "Số liệu tháng trước (hoặc năm trước) khác số đang dùng: số mới thay thế, số cũ vẫn lưu",
                   "A figure of an earlier month (or last year) differs from the one in force: the new one "
                   "replaces it, the old one is kept", frame="observations", column="value", severity="warning",
                   explain=_explain_earlier_month_revised)
