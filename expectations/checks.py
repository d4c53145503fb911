"""The building blocks of the suites: `Check` (one rule with a severity) and the context a rule sees.

A check is either a Great Expectations expectation over one frame of the delivery (``records``, as the
connector read them, or ``observations``, what would be loaded), or a *derived* rule: a pandas function
that marks each row of its frame True (holds) or False (breaks), which GX then checks in the same run
(``ExpectColumnValuesToBeInSet([True])`` on the marker column). Table-level rules (columns present, no
unknown columns, period of the title) return one verdict for the whole frame and are checked before the
GX run, so a missing column is reported as such instead of as a crash of every rule that reads it.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

SEVERITIES = ("error", "warning")
FRAMES = ("observations", "records")


@dataclass
class DeliveryContext:
    """Everything a rule may look at: the delivery's two frames, its identity, the warehouse's history.

    Attributes:
        observations: what would be loaded (docs/contracts.md columns).
        records: the connector's records (one row per workbook row / dossier), or an empty frame.
        history: earlier observations of the same source from the warehouse (active loads), as a plain
            DataFrame with at least indicator_code, member_code, period, value, numerator; may be empty.
        source_code, unit_code, period: the delivery's identity.
        today: the local date (Asia/Ho_Chi_Minh) the check runs on, for "no future dates".
        declared_period: the month named in the file's title / period line (``YYYY-MM``), when it has one.
    """

    observations: pd.DataFrame
    records: pd.DataFrame
    history: pd.DataFrame
    source_code: str
    unit_code: str
    period: str
    today: date
    declared_period: str | None = None

    @property
    def period_start(self) -> pd.Timestamp:
        """Midnight of the period's first day."""
        return pd.Timestamp(f"{self.period}-01")

    @property
    def period_end(self) -> pd.Timestamp:
        """The last instant of the period's last day."""
        return self.period_start + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)


@dataclass(frozen=True)
class TableVerdict:
    """The outcome of a table-level rule: does it hold, and what was found vs expected.

    ``found`` / ``expected`` are English, ``found_vi`` / ``expected_vi`` Vietnamese (plain words, no
    Python reprs). ``samples`` are the rule's findings when it has some to point at (the reader's
    warnings: one per warning, with ``message_vi`` / ``message_en``); ``None`` when it has none.
    """

    ok: bool
    found: str = ""
    expected: str = ""
    found_vi: str = ""
    expected_vi: str = ""
    samples: tuple = ()


@dataclass(frozen=True)
class Finding:
    """What is wrong in one cell of a failing row: the column at fault and what was expected there.

    Attributes:
        column: the canonical column (records) or field (observations) at fault; None for the rule's
            own column (`Check.column`).
        expected_en, expected_vi: what would fit, in plain English and Vietnamese, e.g. ``the sum of its
            parts 18,600.0 (difference 13.8)`` / ``bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)``.
        found: the value to show instead of the cell's text (only when the cell has no text of its own).
        header: the column to name instead of the column's header; ``""`` names none (a figure the
            connector counted, not a cell).
    """

    column: str | None
    expected_en: str
    expected_vi: str
    found: str | None = None
    header: str | None = None


@dataclass(frozen=True)
class Check:
    """One rule of a suite.

    Attributes:
        rule_id: stable identifier, ``<dataset>.<rule>`` (named in reports, alerts and tests).
        expectation: the GX expectation class name (``ExpectColumnValuesToBeBetween`` …); for derived
            rules ``ExpectColumnValuesToBeInSet`` over the rule's marker column.
        kwargs: the expectation's keyword arguments (without ``row_condition``; see ``frame``).
        severity: ``error`` blocks the load (quarantine); ``warning`` loads and flags.
        description_vi, description_en: the rule in plain Vietnamese and English, for people.
        frame: ``observations`` or ``records``: the rows the rule is about.
        column: the (canonical) column the rule is about, for the sample rows' "column / found" lineage.
        condition: an extra pandas ``query`` restricting the rows (e.g. ``indicator_code in ['TNBQ']``).
        derive: a derived rule: ``(context) -> bool Series`` indexed like the frame (False = breaks it).
        derive_many: optionally the same rule over many deliveries at once (a city batch):
            ``([context, …]) -> [bool Series, …]``, each exactly what ``derive`` returns for its context;
            it pays pandas' per-call overhead once per batch instead of once per ward.
        table: a table-level rule: ``(context) -> TableVerdict``.
        explain: for a derived rule, ``(context, positions) -> [[Finding, …], …]``: for each failing row
            (its position in the rule's frame) the cell(s) at fault and what was expected there. It is
            called for the reported rows only (at most `expectations.runner.MAX_SAMPLE_ROWS` per rule),
            never for the rows that hold, so a big delivery pays nothing for it.
    """

    rule_id: str
    expectation: str = "ExpectColumnValuesToBeInSet"
    kwargs: dict = field(default_factory=dict)
    severity: str = "error"
    description_vi: str = ""
    description_en: str = ""
    frame: str = "observations"
    column: str | None = None
    condition: str | None = None
    derive: Callable[[DeliveryContext], pd.Series] | None = None
    table: Callable[[DeliveryContext], TableVerdict] | None = None
    derive_many: Callable[[list[DeliveryContext]], list[pd.Series]] | None = None
    explain: Callable[[DeliveryContext, np.ndarray], list[list[Finding]]] | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.rule_id}: severity {self.severity!r} not in {SEVERITIES}")
        if self.frame not in FRAMES:
            raise ValueError(f"{self.rule_id}: frame {self.frame!r} not in {FRAMES}")

    @property
    def kind(self) -> str:
        """``table``, ``derived`` or ``gx`` (a plain GX expectation)."""
        return "table" if self.table else "derived" if self.derive else "gx"


_NUMBER_TYPES = (int, float, np.integer, np.floating, decimal.Decimal)


def figures(values) -> np.ndarray:
    """The numbers of `values` as floats, NaN for anything else (an empty cell, text, a date, a flag).

    The numbers a rule checks are the ones the connector read (with the Vietnamese rules and the sheet's
    unit); a cell the connector kept as text is never parsed again here, so "3.765,6" cannot mean one
    thing to the connector and another to a rule.
    """
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.dtype.kind in "iuf":
            return array.astype(float, copy=False)
        series = pd.Series(array if array.dtype == object else array.astype(object), dtype=object)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    cells = series.to_numpy(dtype=object)
    is_number = np.fromiter((isinstance(v, _NUMBER_TYPES) and not isinstance(v, bool | np.bool_)
                             for v in cells), dtype=bool, count=len(cells))
    out = np.full(len(cells), np.nan)
    if is_number.any():
        out[is_number] = cells[is_number].astype(float)
    return out


def moments(values) -> pd.Series:
    """The dates and times of `values` as a datetime Series, NaT for anything else: the dates the
    connector read (with the Vietnamese rules); a cell it kept as text is never parsed again here (a
    plain conversion would read 05/10/2025 as the 10th of May)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    cells = series.to_numpy(dtype=object)
    keep = np.fromiter((isinstance(v, datetime | date | np.datetime64) for v in cells), dtype=bool,
                       count=len(cells))
    out = np.full(len(cells), None, dtype=object)
    out[keep] = cells[keep]
    return pd.Series(pd.to_datetime(out), index=series.index)


# Small constructors so a suite reads like a list of rules ------------------------------------------


def not_null(rule_id, column, vi, en, *, frame="records", severity="error", condition=None) -> Check:
    """Every row has a value in `column`."""
    return Check(rule_id, "ExpectColumnValuesToNotBeNull", {"column": column}, severity, vi, en, frame,
                 column, condition)


def in_set(rule_id, column, values, vi, en, *, frame="records", severity="error", condition=None) -> Check:
    """Every non-empty value of `column` is one of `values`."""
    return Check(rule_id, "ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(values)},
                 severity, vi, en, frame, column, condition)


def between(rule_id, column, low, high, vi, en, *, frame="records", severity="error",
            condition=None) -> Check:
    """Every non-empty value of `column` lies in [low, high] (None = unbounded)."""
    kwargs = {"column": column}
    if low is not None:
        kwargs["min_value"] = low
    if high is not None:
        kwargs["max_value"] = high
    return Check(rule_id, "ExpectColumnValuesToBeBetween", kwargs, severity, vi, en, frame, column, condition)


def derived(rule_id, fn, vi, en, *, frame="records", column=None, severity="error", many=None,
            explain=None) -> Check:
    """A pandas rule: `fn(context)` marks each row of `frame` True (holds) or False (breaks); `many`, when
    given, does the same for a list of contexts at once (see `Check.derive_many`); `explain`, when given,
    says for a failing row which cell(s) break the rule and what was expected (see `Check.explain`)."""
    return Check(rule_id, severity=severity, description_vi=vi, description_en=en, frame=frame,
                 column=column, derive=fn, derive_many=many, explain=explain)


def table_rule(rule_id, fn, vi, en, *, frame="records", severity="error") -> Check:
    """A rule about the whole frame: `fn(context)` returns a `TableVerdict`."""
    return Check(rule_id, expectation="table", severity=severity, description_vi=vi, description_en=en,
                 frame=frame, table=fn)


def unique(rule_id, columns, vi, en, *, frame="records", severity="error", condition=None) -> Check:
    """No two rows (that have every key column filled) share the same `columns`."""
    cols = list(columns)

    def fn(ctx: DeliveryContext) -> pd.Series:
        return many([ctx])[0]

    def many(contexts: list[DeliveryContext]) -> list[pd.Series]:
        # The deliveries' key columns stacked, each row tagged with its delivery's number, so one
        # `duplicated` over (delivery, keys) finds every delivery's repeated keys and never a key that two
        # wards share.
        frames = [frame_of(ctx, frame) for ctx in contexts]
        keys = pd.concat([f[cols] for f in frames], ignore_index=True)
        owner = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
        scope = np.concatenate([_in_scope(f, condition) for f in frames])
        rows = np.flatnonzero(scope & keys.notna().all(axis=1).to_numpy())
        # Keys compare as text, so 1 and "1" (a code typed as a number in one row) are the same key.
        picked = keys.iloc[rows].astype(str)
        if len(frames) > 1:
            picked.insert(0, "_delivery", owner[rows])
        # One key column (one delivery): Series.duplicated, which a 1 M-dossier export needs to be quick.
        repeated = picked.duplicated(keep=False) if picked.shape[1] > 1 else picked.iloc[:, 0].duplicated(keep=False)
        holds = np.ones(len(keys), dtype=bool)
        holds[rows[repeated.to_numpy()]] = False
        ends = np.cumsum([len(f) for f in frames])
        return [pd.Series(holds[end - len(f):end], index=f.index) for f, end in zip(frames, ends, strict=True)]

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        # The other rows holding each reported key: one pass over the first key column for all of them,
        # then the few candidate rows only (a key repeated 30 000 times is named by its first rows).
        data = frame_of(ctx, frame)

        def joined(rows: pd.DataFrame) -> pd.Series:
            out = rows[cols[0]].astype(str)
            for c in cols[1:]:
                out = out + " | " + rows[c].astype(str)
            return out

        keys = joined(data.iloc[positions]).tolist()
        reported = data[cols[0]].iloc[positions].astype(str).unique()
        candidates = np.flatnonzero(data[cols[0]].astype(str).isin(reported).to_numpy())
        lines = data["row_number"].to_numpy()[candidates] if "row_number" in data.columns else candidates + 1
        shown = 10
        where: dict[str, list[tuple[int, object]]] = {}
        count: dict[str, int] = {}
        for position, key, line in zip(candidates.tolist(), joined(data.iloc[candidates]).tolist(),
                                       lines.tolist(), strict=True):
            count[key] = count.get(key, 0) + 1
            if len(where.setdefault(key, [])) <= shown:
                where[key].append((position, line))
        # A key of several columns is named by its last part (the one that tells rows apart: the
        # criterion of a station), with the other parts said in words.
        labels = (ctx.records.attrs or {}).get("column_labels") or {}
        out = []
        for position, key in zip(positions.tolist(), keys, strict=True):
            others = [str(line) for p, line in where.get(key, []) if p != position and line is not None][:shown]
            rest = count.get(key, 1) - 1 - len(others)
            more_en, more_vi = (f" and {rest} more", f" và {rest} dòng khác") if rest > 0 else ("", "")
            also_en = f" (the same as row {', '.join(others)}{more_en})" if others else ""
            also_vi = f" (trùng với dòng {', '.join(others)}{more_vi})" if others else ""
            parts = [f"'{labels.get(c, c)}' '{v}'" for c, v in zip(cols[:-1], key.split(" | "), strict=False)
                     if frame == "records"]
            with_en = f" with the same {', '.join(parts)}" if parts else ""
            with_vi = f" cùng {', '.join(parts)}" if parts else ""
            out.append([Finding(cols[-1] if frame == "records" else cols[0],
                                f"a value no other row{with_en} has{also_en}",
                                f"giá trị không trùng dòng khác{with_vi}{also_vi}")])
        return out

    return derived(rule_id, fn, vi, en, frame=frame, column=cols[0], severity=severity, many=many,
                   explain=explain)



def _in_scope(frame: pd.DataFrame, condition: str | None) -> np.ndarray:
    """The rows `condition` (a pandas query) selects, as a boolean mask over the frame's rows."""
    if not condition:
        return np.ones(len(frame), dtype=bool)
    from expectations.runner import _simple_condition  # runner imports this module

    simple = _simple_condition(condition)
    if simple is not None:  # what DataFrame.query selects, without its expression parser (~10 ms)
        return frame[simple[0]].isin(simple[1]).to_numpy()
    return frame.index.isin(frame.query(condition).index)


def frame_of(ctx: DeliveryContext, frame: str) -> pd.DataFrame:
    """The context's records or observations frame."""
    return ctx.records if frame == "records" else ctx.observations


def columns_present(rule_id, frame, required, vi, en) -> Check:
    """The frame has every required column."""
    required = list(required)

    def fn(ctx: DeliveryContext) -> TableVerdict:
        cols = list(frame_of(ctx, frame).columns)
        missing = [c for c in required if c not in cols]
        return TableVerdict(not missing, found=f"missing {_names(missing)}" if missing else "all present",
                            expected=f"the columns {_names(required)}",
                            found_vi=f"thiếu {_names(missing)}" if missing else "đủ cột",
                            expected_vi=f"có các cột {_names(required)}")

    return table_rule(rule_id, fn, vi, en, frame=frame)


def no_unknown_columns(rule_id, frame, allowed, vi, en, severity="error") -> Check:
    """The frame has no column outside `allowed` (the layout's canonical and optional columns)."""
    allowed = set(allowed)

    def fn(ctx: DeliveryContext) -> TableVerdict:
        extra = [c for c in frame_of(ctx, frame).columns if c not in allowed]
        return TableVerdict(not extra, found=f"unknown {_names(extra)}" if extra else "none",
                            expected=f"only {_names(sorted(allowed))}",
                            found_vi=f"cột lạ {_names(extra)}" if extra else "không có",
                            expected_vi=f"chỉ các cột {_names(sorted(allowed))}")

    return table_rule(rule_id, fn, vi, en, frame=frame, severity=severity)


def dates_not_after(rule_id, column, limit: str, vi, en, *, severity="error") -> Check:
    """Every date in records' `column` is on or before `limit`: ``today`` or ``period_end``."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        values = moments(ctx.records[column])
        bound = pd.Timestamp(ctx.today) + pd.Timedelta(days=1) if limit == "today" else ctx.period_end
        if limit == "today":
            return ~(values >= bound)
        return ~(values > bound)

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        from expectations.messages import day

        if limit == "today":
            finding = Finding(column, f"a date not after today, {day(ctx.today)}",
                              f"ngày không sau hôm nay, {day(ctx.today)}")
        else:
            last = day(ctx.period_end.normalize())
            finding = Finding(column, f"a date on or before the month's last day, {last}",
                              f"ngày không sau ngày cuối kỳ báo cáo, {last}")
        return [[finding] for _ in positions]

    return derived(rule_id, fn, vi, en, column=column, severity=severity, explain=explain)


def _names(names) -> str:
    """Column names as a plain list for people: ``a, b, c``."""
    return ", ".join(str(n) for n in names) if names else "-"
