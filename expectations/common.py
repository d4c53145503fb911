"""Rules every dataset shares: the observations frame's shape and keys, value ranges, period rules and
history rules against the warehouse (year to date never decreases; no 100× jumps).

History is a plain DataFrame the flow reads from the warehouse (earlier observations of the same
source, active loads only); this package never touches the database.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expectations import messages
from expectations.checks import (
    Check,
    DeliveryContext,
    Finding,
    TableVerdict,
    between,
    columns_present,
    derived,
    figures,
    in_set,
    no_unknown_columns,
    not_null,
    table_rule,
    unique,
)

OBSERVATION_COLUMNS = [
    "indicator_code", "unit_code", "period", "member_code", "value", "numerator", "denominator",
    "text_value", "source_file", "sheet", "row_number", "column_name", "raw_text",
]
# Lineage a connector adds when it knows it (the spreadsheet letter of the cell); a frame without it is valid.
OPTIONAL_OBSERVATION_COLUMNS = ["column_letter"]
# Observations whose value is a percentage (0–100).
RATE_INDICATORS = ["DOSSIER_ONLINE", "DOSSIER_ON_TIME", "DOSSIER_FEE_ONLINE", "HEALTH_STATION_STANDARD",
                   "NVQS_PRESCREEN", "SCHOOL_STANDARD", "HO_NGHEO", "GDVH", "TDP_VH", "NUOC_SACH", "CTR_SH"]
SPIKE_FACTOR = 100.0


def observation_checks(indicators: list[str], unit_code: str, period: str,
                       carried_periods: list[str] | None = None) -> list[Check]:
    """Shape, keys and ranges of the observations frame of any source. `carried_periods`: the other
    months a delivery of the source may carry figures for (a cumulative workbook's earlier months)."""
    o = "observations"
    return [
        columns_present("obs.columns_present", o, OBSERVATION_COLUMNS,
                        "Có đủ các cột quan sát", "All observation columns are present"),
        no_unknown_columns("obs.no_unknown_columns", o, OBSERVATION_COLUMNS + OPTIONAL_OBSERVATION_COLUMNS,
                           "Không có cột quan sát lạ", "No unknown observation columns"),
        table_rule("obs.not_empty", _not_empty, "Có ít nhất một số liệu", "At least one figure",
                   frame=o),
        not_null("obs.indicator_not_null", "indicator_code", "Mã chỉ tiêu không được trống",
                 "Indicator code is not empty", frame=o),
        in_set("obs.indicator_known", "indicator_code", indicators,
               "Mã chỉ tiêu thuộc danh mục của nguồn", "Indicator code belongs to the source", frame=o),
        in_set("obs.unit_matches", "unit_code", [unit_code], "Đúng đơn vị hành chính của lần giao nộp",
               "Unit code is the delivery's unit", frame=o),
        in_set("obs.period_matches", "period", [period, *(carried_periods or [])],
               "Đúng kỳ báo cáo của lần giao nộp", "Period is the delivery's period", frame=o),
        unique("obs.key_unique", ["indicator_code", "unit_code", "period", "member_code"],
               "Không trùng chỉ tiêu × đơn vị × kỳ × thành phần",
               "No duplicate indicator × unit × period × member", frame=o),
        between("obs.numerator_not_negative", "numerator", 0, None, "Tử số không âm",
                "Numerator is not negative", frame=o),
        between("obs.denominator_not_negative", "denominator", 0, None, "Mẫu số không âm",
                "Denominator is not negative", frame=o),
        derived("obs.numerator_within_denominator", _numerator_within_denominator,
                "Tử số không vượt mẫu số (vd. trực tuyến ≤ tổng số, đã sơ tuyển ≤ kế hoạch)",
                "Numerator does not exceed denominator (e.g. online ≤ total, screened ≤ planned)",
                frame=o, column="numerator", explain=_explain_numerator_within_denominator),
        between("obs.rate_0_100", "value", 0, 100, "Tỷ lệ phần trăm trong khoảng 0–100",
                "Rates lie between 0 and 100", frame=o,
                condition=f"indicator_code in {[i for i in RATE_INDICATORS if i in indicators]!r}"),
    ]


def period_checks() -> list[Check]:
    """The delivery's period: the one named in the file, and not in the future."""
    return [
        table_rule("period.title_matches", _title_matches, "Kỳ ghi trên biểu khớp với kỳ giao nộp",
                   "The period in the file's title matches the delivery's period"),
        table_rule("period.not_future", _period_not_future, "Kỳ báo cáo không nằm trong tương lai",
                   "The delivery's period is not in the future"),
    ]


def read_checks() -> list[Check]:
    """What the connector noticed while reading (a column it did not use …): warnings, one per finding."""
    return [
        table_rule("read.warnings", _reader_warnings,
                   "Tệp đọc được nhưng có điểm cần lưu ý (vd. cột không dùng)",
                   "The file was read, with notes (e.g. a column not used)", severity="warning"),
    ]


def ytd_never_decreases(indicators: list[str], field: str = "value", severity: str = "error") -> Check:
    """A year-to-date figure is at least last month's (same year), member by member."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        obs = ctx.observations
        prev = _previous_month(ctx.period)
        if prev[:4] != ctx.period[:4] or ctx.history.empty:
            return pd.Series(True, index=obs.index)
        rows, keys = _rows_and_keys(obs, indicators, ctx.period)
        old = _history_lookup(ctx.history, prev, field, keys)
        new = _numbers(obs[field].to_numpy()[rows])
        # Figures are written with one decimal in their file unit; the tolerance absorbs float noise,
        # never a real drop. A figure missing (or not finite) on either side never breaks the rule.
        with np.errstate(invalid="ignore"):
            breaks = (np.isfinite(new) & np.isfinite(old)
                      & (new < old - np.maximum(np.abs(old) * 1e-9, 1e-6)))
        return _holds(obs.index, rows, breaks)

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        obs = ctx.observations.iloc[positions]
        keys = list(zip(obs["indicator_code"].tolist(), map(_member, obs["member_code"].tolist()), strict=True))
        old = _history_lookup(ctx.history, _previous_month(ctx.period), field, keys)
        # Money is shown in the file's unit (what the officer typed), counts as they are.
        factor = unit_factor(ctx) if field == "value" else 1.0
        old = old / factor
        d = max(messages.decimals_of(old), 1 if factor != 1.0 else 0)
        out = []
        for value in old.tolist():
            vi, en = messages.numbers(value, d)
            out.append([Finding(field, f"at least last month's year to date, {en}",
                                f"không nhỏ hơn lũy kế tháng trước, {vi}")])
        return out

    return derived("history.ytd_never_decreases", fn,
                   "Số lũy kế từ đầu năm không được giảm so với tháng trước",
                   "The year-to-date figure never decreases from last month", frame="observations",
                   column=field, severity=severity, explain=explain)


def no_spikes(indicators: list[str], severity: str = "warning") -> Check:
    """A figure is not 100× or 1/100× its same month last year or its neighbouring months."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        obs = ctx.observations
        if ctx.history.empty:
            return pd.Series(True, index=obs.index)
        rows, keys = _rows_and_keys(obs, indicators, ctx.period)
        new = _numbers(obs["value"].to_numpy()[rows])
        breaks = np.zeros(len(rows), dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            for ref in (_shift(ctx.period, -12), _shift(ctx.period, -1), _shift(ctx.period, 1)):
                old = _history_lookup(ctx.history, ref, "value", keys)
                ratio = np.abs(new / old)
                # A zero or missing figure on either side has no ratio; NaN compares False.
                usable = (new != 0) & (old != 0) & np.isfinite(new) & np.isfinite(old)
                breaks |= usable & ((ratio >= SPIKE_FACTOR) | (ratio <= 1 / SPIKE_FACTOR))
        return _holds(obs.index, rows, breaks)

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        obs = ctx.observations.iloc[positions]
        keys = list(zip(obs["indicator_code"].tolist(), map(_member, obs["member_code"].tolist()), strict=True))
        new = figures(obs["value"])
        refs = [(_shift(ctx.period, -12), "the same month last year", "cùng tháng năm trước"),
                (_shift(ctx.period, -1), "last month", "tháng trước"),
                (_shift(ctx.period, 1), "next month", "tháng sau")]
        lookups = [_history_lookup(ctx.history, ref, "value", keys) for ref, *_ in refs]
        out = []
        for k in range(len(positions)):
            finding = Finding("value", "a figure within 100× of its neighbouring months",
                              "số liệu không chênh quá 100 lần so với các tháng liền kề")
            for (ref, en, vi), old in zip(refs, lookups, strict=True):
                if not (np.isfinite(old[k]) and np.isfinite(new[k]) and old[k] != 0 and new[k] != 0):
                    continue
                ratio = abs(new[k] / old[k])
                if ratio >= SPIKE_FACTOR or ratio <= 1 / SPIKE_FACTOR:
                    times_vi, times_en = messages.numbers(ratio, 0 if ratio >= 1 else 4)
                    finding = Finding("value", f"a figure within 100× of {en} ({ref}); it is {times_en}× that",
                                      f"số liệu không chênh quá 100 lần so với {vi} ({ref}); "
                                      f"hiện gấp {times_vi} lần")
                    break
            out.append([finding])
        return out

    return derived("history.no_spikes", fn,
                   "Số liệu không gấp 100 lần hoặc bằng 1/100 cùng kỳ năm trước hay tháng liền kề",
                   "A figure is not 100× or 1/100× its same month last year or its neighbouring months",
                   frame="observations", column="value", severity=severity, explain=explain)


# helpers -----------------------------------------------------------------------------------------


def _not_empty(ctx: DeliveryContext) -> TableVerdict:
    n = len(ctx.observations)
    return TableVerdict(n > 0, found=f"{n} rows", expected="at least 1 row")


def _numerator_within_denominator(ctx: DeliveryContext) -> pd.Series:
    obs = ctx.observations
    with np.errstate(invalid="ignore"):
        breaks = figures(obs["numerator"]) > figures(obs["denominator"]) + 1e-9
    return pd.Series(~breaks, index=obs.index)


def _explain_numerator_within_denominator(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    den = figures(ctx.observations["denominator"].iloc[positions])
    d = messages.decimals_of(den)
    out = []
    for value in den.tolist():
        vi, en = messages.numbers(value, d)
        out.append([Finding("numerator", f"at most the denominator, {en}", f"không vượt mẫu số, {vi}")])
    return out


def _title_matches(ctx: DeliveryContext) -> TableVerdict:
    if ctx.declared_period is None:
        return TableVerdict(True, found="no period in the file", expected=ctx.period)
    return TableVerdict(ctx.declared_period == ctx.period, found=ctx.declared_period, expected=ctx.period,
                        found_vi=ctx.declared_period, expected_vi=f"{ctx.period} (kỳ giao nộp)")


def _period_not_future(ctx: DeliveryContext) -> TableVerdict:
    this_month = f"{ctx.today.year:04d}-{ctx.today.month:02d}"
    return TableVerdict(ctx.period <= this_month, found=ctx.period, expected=f"a month up to {this_month}",
                        found_vi=ctx.period, expected_vi=f"một tháng không sau {this_month}")


def _reader_warnings(ctx: DeliveryContext) -> TableVerdict:
    """The connector's warnings (``records.attrs["reader_warnings"]``, plain dicts of its problems), one
    sample each, pointing at the cell or column as the reader saw it."""
    warnings = [w for w in (ctx.records.attrs or {}).get("reader_warnings") or [] if isinstance(w, dict)]
    if not warnings:
        return TableVerdict(True, found="no notes", expected="no notes")
    samples = []
    for w in warnings:
        sample = {"frame": "records", "source_file": w.get("file"), "sheet": w.get("sheet"),
                  "row_number": w.get("row"), "column": None, "column_name": w.get("column"),
                  "letter": w.get("letter"), "raw_text": w.get("found"), "found": w.get("found"),
                  "expected": w.get("expected") or "", "expected_vi": w.get("expected_vi") or w.get("expected") or ""}
        fallback_vi, fallback_en = messages.cell_lines(sample)
        sample["message_vi"] = w.get("message_vi") or fallback_vi
        sample["message_en"] = w.get("message_en") or fallback_en
        samples.append(sample)
    n = len(samples)
    return TableVerdict(False, found=f"{n} note(s) from reading the file", expected="no notes",
                        found_vi=f"{n} điểm cần lưu ý khi đọc tệp", expected_vi="không có điểm cần lưu ý",
                        samples=tuple(samples))


def unit_factor(ctx: DeliveryContext) -> float:
    """What the connector multiplied the sheet's money by (its unit line), to show figures as typed."""
    factor = (ctx.records.attrs or {}).get("unit_factor")
    try:
        factor = float(factor)
    except (TypeError, ValueError):
        return 1.0
    return factor if math.isfinite(factor) and factor > 0 else 1.0


def _member(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _shift(period: str, months: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    index = y * 12 + (m - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _previous_month(period: str) -> str:
    return _shift(period, -1)


def _rows_and_keys(obs: pd.DataFrame, indicators: list[str],
                   period: str | None = None) -> tuple[np.ndarray, list[tuple]]:
    """Positions of the observations of `indicators` (of `period` only, when given: the figures a
    delivery carries for other months are not compared with this month's neighbours), and their
    (indicator, member) history keys."""
    mask = obs["indicator_code"].isin(indicators).to_numpy()
    if period is not None:
        mask = mask & (obs["period"] == period).to_numpy()
    rows = np.flatnonzero(mask)
    codes = obs["indicator_code"].to_numpy()[rows]
    members = obs["member_code"].to_numpy()[rows]
    return rows, list(zip(codes.tolist(), map(_member, members.tolist()), strict=True))


def _history_lookup(history: pd.DataFrame, period: str, field: str, keys: list[tuple]) -> np.ndarray:
    """The history's `field` in `period` for each (indicator, member) key, as floats (NaN where the
    warehouse has none, or no finite number). A key held twice keeps its last row, as the warehouse
    lists the newer load last."""
    rows = np.flatnonzero((history["period"] == period).to_numpy())
    if not len(rows):
        return np.full(len(keys), np.nan)
    codes = history["indicator_code"].to_numpy()[rows].tolist()
    members = map(_member, history["member_code"].to_numpy()[rows].tolist())
    values = _numbers(history[field].to_numpy()[rows])
    table = dict(zip(zip(codes, members, strict=True), values.tolist(), strict=True))
    return np.array([table.get(k, np.nan) for k in keys], dtype=float)


def _numbers(values: np.ndarray) -> np.ndarray:
    """Figures as floats; NaN for an empty cell or anything that is not a number (text is not parsed)."""
    return figures(values)


def numbers_table(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """`frame`'s `columns` as one float matrix (rows × columns), NaN where a cell is empty or holds no
    number: the numbers the connector read, never text parsed again."""
    if not columns:
        return np.zeros((len(frame), 0))
    return np.column_stack([figures(frame[c]) for c in columns])


def parents_off(values: np.ndarray, parents: np.ndarray, children: np.ndarray, tolerance: float) -> np.ndarray:
    """The rows (a boolean mask) of `parents` whose figure in some column is further than `tolerance`
    from the sum of the `children` rows (empty child cells count 0; an empty parent cell is not
    compared). `values` is a `numbers_table`."""
    total = np.nansum(values[children], axis=0)
    with np.errstate(invalid="ignore"):
        far = np.abs(values[parents] - total) > tolerance  # NaN compares False
    out = np.zeros(len(values), dtype=bool)
    out[np.flatnonzero(parents)[far.any(axis=1)]] = True
    return out


def sum_findings(values: np.ndarray, totals: np.ndarray, columns: list[str], tolerance: float,
                 factor: float = 1.0, decimals: int | None = None,
                 parts_vi: str = "tổng các dòng chi tiết") -> list[Finding]:
    """The cells of one total row that are off from the sum of its parts: for each column where the total
    (``values``, one row) is further than `tolerance` from ``totals`` (the parts' sum), a `Finding` naming
    the sum and the gap in the file's unit (figures divided by `factor`, what the connector multiplied)."""
    out = []
    for k, column in enumerate(columns):
        total, parts = values[k], totals[k]
        if not (np.isfinite(total) and abs(total - parts) > tolerance):
            continue
        shown_total, shown_parts = total / factor, parts / factor
        d = decimals if decimals is not None else messages.decimals_of([shown_total, shown_parts])
        sum_vi, sum_en = messages.numbers(shown_parts, d)
        gap_vi, gap_en = messages.numbers(shown_total - shown_parts, d)
        out.append(Finding(column, f"the sum of its parts {sum_en} (difference {gap_en})",
                           f"bằng {parts_vi} {sum_vi} (chênh {gap_vi})"))
    return out


def _holds(index: pd.Index, rows: np.ndarray, breaks: np.ndarray) -> pd.Series:
    """True for every row but the `rows` whose `breaks` is set."""
    out = np.ones(len(index), dtype=bool)
    out[rows[breaks]] = False
    return pd.Series(out, index=index)
