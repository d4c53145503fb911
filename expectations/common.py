"""Rules every dataset shares: the observations frame's shape and keys, value ranges, period rules and
history rules against the warehouse (year to date never decreases; no 100× jumps).

History is a plain DataFrame the flow reads from the warehouse (earlier observations of the same
source, active loads only); this package never touches the database.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    TableVerdict,
    between,
    columns_present,
    derived,
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
# Observations whose value is a percentage (0–100).
RATE_INDICATORS = ["DOSSIER_ONLINE", "DOSSIER_ON_TIME", "DOSSIER_FEE_ONLINE", "HEALTH_STATION_STANDARD",
                   "NVQS_PRESCREEN", "SCHOOL_STANDARD", "HO_NGHEO", "GDVH", "TDP_VH", "NUOC_SACH", "CTR_SH"]
SPIKE_FACTOR = 100.0


def observation_checks(indicators: list[str], unit_code: str, period: str) -> list[Check]:
    """Shape, keys and ranges of the observations frame of any source."""
    o = "observations"
    return [
        columns_present("obs.columns_present", o, OBSERVATION_COLUMNS,
                        "Có đủ các cột quan sát", "All observation columns are present"),
        no_unknown_columns("obs.no_unknown_columns", o, OBSERVATION_COLUMNS,
                           "Không có cột quan sát lạ", "No unknown observation columns"),
        table_rule("obs.not_empty", _not_empty, "Có ít nhất một số liệu", "At least one figure",
                   frame=o),
        not_null("obs.indicator_not_null", "indicator_code", "Mã chỉ tiêu không được trống",
                 "Indicator code is not empty", frame=o),
        in_set("obs.indicator_known", "indicator_code", indicators,
               "Mã chỉ tiêu thuộc danh mục của nguồn", "Indicator code belongs to the source", frame=o),
        in_set("obs.unit_matches", "unit_code", [unit_code], "Đúng đơn vị hành chính của lần giao nộp",
               "Unit code is the delivery's unit", frame=o),
        in_set("obs.period_matches", "period", [period], "Đúng kỳ báo cáo của lần giao nộp",
               "Period is the delivery's period", frame=o),
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
                frame=o, column="numerator"),
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


def ytd_never_decreases(indicators: list[str], field: str = "value", severity: str = "error") -> Check:
    """A year-to-date figure is at least last month's (same year), member by member."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        obs = ctx.observations
        prev = _previous_month(ctx.period)
        if prev[:4] != ctx.period[:4] or ctx.history.empty:
            return pd.Series(True, index=obs.index)
        rows, keys = _rows_and_keys(obs, indicators)
        old = _history_lookup(ctx.history, prev, field, keys)
        new = _numbers(obs[field].to_numpy()[rows])
        # Figures are written with one decimal in their file unit; the tolerance absorbs float noise,
        # never a real drop. A figure missing (or not finite) on either side never breaks the rule.
        with np.errstate(invalid="ignore"):
            breaks = (np.isfinite(new) & np.isfinite(old)
                      & (new < old - np.maximum(np.abs(old) * 1e-9, 1e-6)))
        return _holds(obs.index, rows, breaks)

    return derived("history.ytd_never_decreases", fn,
                   "Số lũy kế từ đầu năm không được giảm so với tháng trước",
                   "The year-to-date figure never decreases from last month", frame="observations",
                   column=field, severity=severity)


def no_spikes(indicators: list[str], severity: str = "warning") -> Check:
    """A figure is not 100× or 1/100× its same month last year or its neighbouring months."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        obs = ctx.observations
        if ctx.history.empty:
            return pd.Series(True, index=obs.index)
        rows, keys = _rows_and_keys(obs, indicators)
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

    return derived("history.no_spikes", fn,
                   "Số liệu không gấp 100 lần hoặc bằng 1/100 cùng kỳ năm trước hay tháng liền kề",
                   "A figure is not 100× or 1/100× its same month last year or its neighbouring months",
                   frame="observations", column="value", severity=severity)


# helpers -----------------------------------------------------------------------------------------


def _not_empty(ctx: DeliveryContext) -> TableVerdict:
    n = len(ctx.observations)
    return TableVerdict(n > 0, found=f"{n} rows", expected="at least 1 row")


def _numerator_within_denominator(ctx: DeliveryContext) -> pd.Series:
    obs = ctx.observations
    num = pd.to_numeric(obs["numerator"], errors="coerce")
    den = pd.to_numeric(obs["denominator"], errors="coerce")
    return ~(num > den + 1e-9)


def _title_matches(ctx: DeliveryContext) -> TableVerdict:
    if ctx.declared_period is None:
        return TableVerdict(True, found="no period in the file", expected=ctx.period)
    return TableVerdict(ctx.declared_period == ctx.period, found=ctx.declared_period, expected=ctx.period)


def _period_not_future(ctx: DeliveryContext) -> TableVerdict:
    this_month = f"{ctx.today.year:04d}-{ctx.today.month:02d}"
    return TableVerdict(ctx.period <= this_month, found=ctx.period, expected=f"a month up to {this_month}")


def _member(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _shift(period: str, months: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    index = y * 12 + (m - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _previous_month(period: str) -> str:
    return _shift(period, -1)


def _rows_and_keys(obs: pd.DataFrame, indicators: list[str]) -> tuple[np.ndarray, list[tuple]]:
    """Positions of the observations of `indicators`, and their (indicator, member) history keys."""
    rows = np.flatnonzero(obs["indicator_code"].isin(indicators).to_numpy())
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
    """Figures as floats; NaN for an empty cell or anything that is not a number."""
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def numbers_table(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """`frame`'s `columns` as one float matrix (rows × columns), NaN where a cell is empty or not a
    number: one conversion for the lot instead of one per column."""
    cells = frame[columns].to_numpy(dtype=object).ravel()
    return _numbers(cells).reshape(len(frame), len(columns))


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


def _holds(index: pd.Index, rows: np.ndarray, breaks: np.ndarray) -> pd.Series:
    """True for every row but the `rows` whose `breaks` is set."""
    out = np.ones(len(index), dtype=bool)
    out[rows[breaks]] = False
    return pd.Series(out, index=index)
