"""The building blocks of the suites: `Check` (one rule with a severity) and the context a rule sees.

A check is either a Great Expectations expectation over one frame of the delivery (``records``, as the
connector read them, or ``observations``, what would be loaded), or a *derived* rule: a pandas function
that marks each row of its frame True (holds) or False (breaks), which GX then checks in the same run
(``ExpectColumnValuesToBeInSet([True])`` on the marker column). Table-level rules (columns present, no
unknown columns, period of the title) return one verdict for the whole frame and are checked before the
GX run, so a missing column is reported as such instead of as a crash of every rule that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

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
    """The outcome of a table-level rule: does it hold, and what was found vs expected."""

    ok: bool
    found: str = ""
    expected: str = ""


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

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.rule_id}: severity {self.severity!r} not in {SEVERITIES}")
        if self.frame not in FRAMES:
            raise ValueError(f"{self.rule_id}: frame {self.frame!r} not in {FRAMES}")

    @property
    def kind(self) -> str:
        """``table``, ``derived`` or ``gx`` (a plain GX expectation)."""
        return "table" if self.table else "derived" if self.derive else "gx"


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


def derived(rule_id, fn, vi, en, *, frame="records", column=None, severity="error", many=None) -> Check:
    """A pandas rule: `fn(context)` marks each row of `frame` True (holds) or False (breaks); `many`, when
    given, does the same for a list of contexts at once (see `Check.derive_many`)."""
    return Check(rule_id, severity=severity, description_vi=vi, description_en=en, frame=frame,
                 column=column, derive=fn, derive_many=many)


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

    return derived(rule_id, fn, vi, en, frame=frame, column=cols[0], severity=severity, many=many)


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
        return TableVerdict(not missing, found=f"missing {missing}" if missing else "all present",
                            expected=f"columns {required}")

    return table_rule(rule_id, fn, vi, en, frame=frame)


def no_unknown_columns(rule_id, frame, allowed, vi, en, severity="error") -> Check:
    """The frame has no column outside `allowed` (the layout's canonical and optional columns)."""
    allowed = set(allowed)

    def fn(ctx: DeliveryContext) -> TableVerdict:
        extra = [c for c in frame_of(ctx, frame).columns if c not in allowed]
        return TableVerdict(not extra, found=f"unknown {extra}" if extra else "none",
                            expected=f"only {sorted(allowed)}")

    return table_rule(rule_id, fn, vi, en, frame=frame, severity=severity)


def dates_not_after(rule_id, column, limit: str, vi, en, *, severity="error") -> Check:
    """Every date in records' `column` is on or before `limit`: ``today`` or ``period_end``."""

    def fn(ctx: DeliveryContext) -> pd.Series:
        values = pd.to_datetime(ctx.records[column], errors="coerce")
        bound = pd.Timestamp(ctx.today) + pd.Timedelta(days=1) if limit == "today" else ctx.period_end
        if limit == "today":
            return ~(values >= bound)
        return ~(values > bound)

    return derived(rule_id, fn, vi, en, column=column, severity=severity)
