"""Run a suite over one delivery with Great Expectations 1.x (one GX run) and say what failed, row by row.

The delivery's two frames (the connector's records and the observations) are stacked into one batch
with a ``_frame`` column; each expectation is restricted to its frame by a pandas ``row_condition``.
Derived rules (cross-field, uniqueness, history, dates) are computed with pandas into marker columns of
that same batch, which GX checks too, so a delivery costs one GX validation whatever its size.
Table-level rules (columns present, no unknown columns, the period) are judged before the run.

GX returns a failed result instead of raising; `validate_delivery` turns it into a `ValidationReport`
and `raise_on_failure` raises `ValidationFailed` when an error-level rule failed. One ephemeral GX
context per process; analytics and progress bars are off.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from expectations.checks import Check, DeliveryContext
from expectations.errors import ValidationFailed

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# GX announces its temporary docs folder at INFO on every new context; operators do not need it.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

MAX_SAMPLE_ROWS = 20
_LINEAGE = ["source_file", "sheet", "row_number"]
_RECORD_KEYS = ["member_code", "ma_ho_so", "ma_truong", "ma_tram", "ma_chi_tieu", "item_code", "label",
                "ten_truong", "chi_tieu"]


@dataclass
class FailedCheck:
    """One rule that did not hold, with up to 20 offending rows and where they came from.

    ``samples`` are dicts with ``frame, source_file, sheet, row_number, column_name, raw_text, found`` and
    the row's key (indicator/member, dossier id, school code …); table-level rules have none but say
    what was ``found`` and ``expected``.
    """

    rule_id: str
    expectation: str
    kwargs: dict
    severity: str
    description_vi: str
    description_en: str
    frame: str
    unexpected_count: int | None
    samples: list[dict] = field(default_factory=list)
    found: str = ""
    expected: str = ""


@dataclass
class ValidationReport:
    """The outcome of one suite over one delivery."""

    suite_name: str
    evaluated_count: int
    failed: list[FailedCheck]
    source_code: str = ""
    unit_code: str = ""
    period: str = ""
    rows_checked: dict = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    checked_at: str = ""

    @property
    def success(self) -> bool:
        """True when no error-level rule failed (warnings load and flag)."""
        return not any(f.severity == "error" for f in self.failed)

    @property
    def failed_count(self) -> int:
        """How many rules failed (errors and warnings)."""
        return len(self.failed)

    @property
    def errors(self) -> list[FailedCheck]:
        """The failed error-level rules (those that block the load)."""
        return [f for f in self.failed if f.severity == "error"]

    @property
    def warnings(self) -> list[FailedCheck]:
        """The failed warning-level rules (loaded and flagged)."""
        return [f for f in self.failed if f.severity == "warning"]

    def summary(self) -> str:
        """One paragraph naming each failed rule and its first offending row (file, sheet, row, column)."""
        if not self.failed:
            return f"{self.suite_name}: all {self.evaluated_count} checks passed"
        return f"{self.suite_name}: " + "; ".join(describe_failure(f) for f in self.failed)

    def to_dict(self) -> dict:
        """A JSON-ready summary, stored in the warehouse's validation_results."""
        return {"suite_name": self.suite_name, "success": self.success, "source_code": self.source_code,
                "unit_code": self.unit_code, "period": self.period, "checked_at": self.checked_at,
                "evaluated_count": self.evaluated_count, "failed_count": self.failed_count,
                "error_count": len(self.errors), "warning_count": len(self.warnings),
                "rows_checked": dict(self.rows_checked), "skipped": list(self.skipped),
                "failed": [asdict(f) for f in self.failed]}


def describe_failure(f: FailedCheck) -> str:
    """`[error] rule-id (description): N row(s) failed (first at file …, sheet …, row …, column …, found …)`."""
    where = ""
    if f.samples:
        s = f.samples[0]
        where = (f" (first at file {s.get('source_file')}, sheet {s.get('sheet')!r}, row {s.get('row_number')}, "
                 f"column {s.get('column_name')!r}, found {s.get('raw_text')!r})")
    elif f.found or f.expected:
        where = f" (found {f.found}; expected {f.expected})"
    n = "" if f.unexpected_count is None else f"{f.unexpected_count} row(s) "
    return f"[{f.severity}] {f.rule_id} ({f.description_vi or f.expectation}): {n}failed{where}"


_context = None


def _gx_context():
    global _context
    if _context is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX pins some module loggers to INFO on import (e.g. the temporary docs folder notice, once per
        # context); quiet them afterwards so operators see only warnings.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = ctx.data_sources.add_pandas("thidua")
        asset = source.add_dataframe_asset("delivery")
        _context = (ctx, asset.add_batch_definition_whole_dataframe("whole"))
    return _context


def _plain(v):
    if v is None:
        return None
    if isinstance(v, dict | list):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp | datetime | date):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _sample(ctx: DeliveryContext, check: Check, frame: str, row: pd.Series) -> dict:
    out = {"frame": frame, **{c: _plain(row.get(c)) for c in _LINEAGE}}
    if frame == "observations":
        out.update(indicator_code=_plain(row.get("indicator_code")), member_code=_plain(row.get("member_code")),
                   column_name=_plain(row.get("column_name")), raw_text=_plain(row.get("raw_text")))
        if check.column:
            out["found"] = _plain(row.get(check.column))
    else:
        labels = ctx.records.attrs.get("column_labels") or {}
        raw_cells = row.get("raw_cells")
        column = check.column
        out["column_name"] = labels.get(column, column) if column else None
        found = _plain(row.get(column)) if column else None
        raw = raw_cells.get(column) if isinstance(raw_cells, dict) and column else None
        out["raw_text"] = raw if raw not in (None, "") else (None if found is None else str(found))
        out["found"] = found
        for key in _RECORD_KEYS:
            if key in row.index and _plain(row.get(key)) is not None:
                out["key"] = f"{key}={_plain(row.get(key))}"
                break
    return out


def validate_delivery(*, source_code: str, unit_code: str, period: str, observations: pd.DataFrame,
                      records: pd.DataFrame | None = None, history: pd.DataFrame | None = None,
                      today: date | None = None, declared_period: str | None = None,
                      checks: list[Check] | None = None) -> ValidationReport:
    """Run the dataset's suite over one delivery in one GX validation and report every failure.

    Args:
        source_code, unit_code, period: the delivery's identity (the suite is chosen by source).
        observations: the observations a load would write.
        records: the connector's records (lineage columns, ``raw_cells``, ``attrs["column_labels"]``).
        history: earlier observations of the same source (active loads of nearby months), or None.
        today: the local date for "no future dates" (default: today, UTC).
        declared_period: the month named in the file's title, when it has one.
        checks: the suite; default `expectations.suites.build_suite(source_code, unit_code, period)`.

    Returns:
        The `ValidationReport` (``success`` is False when an error-level rule failed).
    """
    from expectations.suites import build_suite

    checks = build_suite(source_code, unit_code, period) if checks is None else checks
    if records is None:  # observations alone (e.g. a test, or a source without records): record rules n/a
        checks = [c for c in checks if c.frame == "observations"]
    ctx = DeliveryContext(
        observations=observations.reset_index(drop=True),
        records=(records if records is not None else pd.DataFrame()).reset_index(drop=True),
        history=_history(history, period),
        source_code=source_code, unit_code=unit_code, period=period,
        today=today or datetime.now(UTC).date(), declared_period=declared_period)
    if records is not None:
        ctx.records.attrs = dict(records.attrs)
    return _run(ctx, checks, f"{source_code}:{unit_code}:{period}")


def validate(df: pd.DataFrame, checks: list[Check], suite_name: str) -> ValidationReport:
    """Run the observation-frame rules of `checks` over an observations frame alone (no records, no
    history). `suite_name` is ``source:unit:period``."""
    source, unit, period = ([*suite_name.split(":"), "", ""])[:3]
    return validate_delivery(source_code=source, unit_code=unit, period=period, observations=df,
                             checks=[c for c in checks if c.frame == "observations"])


def _history(history: pd.DataFrame | None, period: str) -> pd.DataFrame:
    cols = ["indicator_code", "member_code", "period", "value", "numerator"]
    if history is None or history.empty:
        return pd.DataFrame(columns=cols)
    frame = history.reindex(columns=cols)
    return frame[frame["period"] != period].reset_index(drop=True)


def _table_failures(ctx: DeliveryContext, checks: list[Check]) -> tuple[list[FailedCheck], set[str]]:
    """Judge the table-level rules; return the failures and the frames whose columns are missing."""
    failed: list[FailedCheck] = []
    blocked_frames: set[str] = set()
    for check in checks:
        if check.kind != "table":
            continue
        verdict = check.table(ctx)
        if not verdict.ok:
            failed.append(FailedCheck(check.rule_id, "table", {}, check.severity, check.description_vi,
                                      check.description_en, check.frame, None, [], verdict.found,
                                      verdict.expected))
            if check.rule_id.endswith("columns_present"):
                blocked_frames.add(check.frame)
    return failed, blocked_frames


@dataclass
class _RuleValues:
    """The values one row-level rule checks in one delivery: positions in the delivery's stacked rows
    (observations first, then records) and the GX expectation that judges them."""

    index: int
    check: Check
    expectation: str
    kwargs: dict
    positions: object  # numpy int array
    values: object     # numpy object array


def _offsets(ctx: DeliveryContext) -> dict[str, int]:
    return {"observations": 0, "records": len(ctx.observations)}


def _rule_values(ctx: DeliveryContext, checks: list[Check],
                 blocked_frames: set[str]) -> tuple[list[_RuleValues], list[str]]:
    """Each row-level rule's values in its scope (its frame, its condition); derived rules as True/False
    markers. Rules that cannot run (empty frame, missing column) are listed as skipped."""
    frames = {"observations": ctx.observations, "records": ctx.records}
    offsets = _offsets(ctx)
    planned: list[_RuleValues] = []
    skipped: list[str] = []
    for i, check in enumerate(checks):
        if check.kind == "table":
            continue
        frame = frames[check.frame]
        if frame.empty or check.frame in blocked_frames:
            skipped.append(check.rule_id)
            continue
        try:
            scope = frame.query(check.condition).index if check.condition else frame.index
            if check.kind == "derived":
                marks = check.derive(ctx).reindex(frame.index).fillna(True).astype(bool)
                values, expectation, kwargs = marks.loc[scope], "ExpectColumnValuesToBeInSet", {"value_set": [True]}
            elif check.expectation == "ExpectColumnValuesToNotBeNull":
                values = frame.loc[scope, check.kwargs["column"]].notna()
                expectation, kwargs = "ExpectColumnValuesToBeInSet", {"value_set": [True]}
            else:
                values = frame.loc[scope, check.kwargs["column"]]
                expectation = check.expectation
                kwargs = {k: v for k, v in check.kwargs.items() if k != "column"}
                if expectation == "ExpectColumnValuesToBeBetween" and not pd.api.types.is_numeric_dtype(values):
                    # Mixed columns (an empty cell is None) compare as numbers; the connector owns the types.
                    values = pd.to_numeric(values, errors="coerce")
        except KeyError:  # a column the rule needs is missing; the schema rule says so
            skipped.append(check.rule_id)
            continue
        planned.append(_RuleValues(i, check, expectation, kwargs,
                                   (values.index + offsets[check.frame]).to_numpy(),
                                   values.astype(object).to_numpy()))
    return planned, skipped


def _placed_column(total: int, parts: list[tuple[object, object]], expectation: str) -> pd.Series:
    """One batch column: the rule's values at their rows, nothing elsewhere (GX ignores empty cells)."""
    placed = pd.Series([None] * total, dtype=object)
    for positions, values in parts:
        placed.iloc[positions] = values
    if expectation == "ExpectColumnValuesToBeBetween":
        placed = pd.to_numeric(placed, errors="coerce")
    return placed


def _gx_validate(columns: dict[str, pd.Series], expectations: dict[str, tuple[str, dict]], total: int,
                 suite_name: str) -> dict[str, tuple[list[int], int | None, str]]:
    """ONE GX validation of a batch; returns ``{column: (unexpected rows, unexpected count, exception)}``
    for every expectation that failed."""
    import great_expectations as gx

    if not columns:
        return {}
    _, batch_definition = _gx_context()
    # GX keeps suites by name on the context; a fresh name per run keeps runs independent.
    suite = gx.ExpectationSuite(name=f"{suite_name}:{datetime.now(UTC).timestamp()}")
    for column, (expectation, kwargs) in expectations.items():
        cls = getattr(gx.expectations, expectation)
        suite.add_expectation(cls(column=column, **kwargs, meta={"column": column}))
    batch = pd.DataFrame(columns, index=range(total))
    gx_batch = batch_definition.get_batch(batch_parameters={"dataframe": batch})
    result = gx_batch.validate(suite, result_format={"result_format": "COMPLETE"})
    out = {}
    for r in result.results:
        if r.success:
            continue
        rows = []
        for row in (r.result or {}).get("unexpected_index_list") or []:
            if isinstance(row, dict):
                row = row.get("index")
            if isinstance(row, int) and 0 <= row < total:
                rows.append(row)
        found = ""
        if r.exception_info and r.exception_info.get("raised_exception"):
            found = str(r.exception_info.get("exception_message"))[:300]
        out[r.expectation_config.meta["column"]] = (rows, (r.result or {}).get("unexpected_count"), found)
    return out


def _failed_rule(ctx: DeliveryContext, check: Check, rows: list[int], count: int | None,
                 found: str) -> FailedCheck:
    """A failed row-level rule with up to 20 sample rows (`rows` are positions in the delivery's stack)."""
    frames = {"observations": ctx.observations, "records": ctx.records}
    offset = _offsets(ctx)[check.frame]
    samples = [_sample(ctx, check, check.frame, frames[check.frame].iloc[row - offset])
               for row in rows[:MAX_SAMPLE_ROWS]]
    return FailedCheck(check.rule_id, check.expectation, _json_kwargs(check), check.severity,
                       check.description_vi, check.description_en, check.frame, count, samples, found)


def _report(ctx: DeliveryContext, checks: list[Check], failed: list[FailedCheck], skipped: list[str],
            suite_name: str) -> ValidationReport:
    order = {c.rule_id: n for n, c in enumerate(checks)}
    failed.sort(key=lambda f: order.get(f.rule_id, 0))
    return ValidationReport(suite_name, len(checks), failed, ctx.source_code, ctx.unit_code, ctx.period,
                            {"observations": len(ctx.observations), "records": len(ctx.records)}, skipped,
                            datetime.now(UTC).isoformat(timespec="seconds"))


def _run(ctx: DeliveryContext, checks: list[Check], suite_name: str) -> ValidationReport:
    # 1. Table-level rules (shape first: rules that read a missing column are skipped, not crashed).
    failed, blocked_frames = _table_failures(ctx, checks)
    # 2. One batch: a row per observation and per record, one column per rule holding the values in the
    # rule's scope (its frame, its condition) and nothing elsewhere: GX ignores empty cells, so no
    # row_condition (a pandas query per rule) is needed. Derived rules get a True/False marker column.
    planned, skipped = _rule_values(ctx, checks, blocked_frames)
    total = len(ctx.observations) + len(ctx.records)
    columns = {f"_r{p.index}": _placed_column(total, [(p.positions, p.values)], p.expectation) for p in planned}
    wanted = {f"_r{p.index}": (p.expectation, p.kwargs) for p in planned}
    by_column = {f"_r{p.index}": p.check for p in planned}
    for column, (rows, count, found) in _gx_validate(columns, wanted, total, suite_name).items():
        failed.append(_failed_rule(ctx, by_column[column], rows, count, found))
    return _report(ctx, checks, failed, skipped, suite_name)


def _json_kwargs(check: Check) -> dict:
    out = {k: v for k, v in check.kwargs.items()}
    if check.condition:
        out["condition"] = check.condition
    return out


def raise_on_failure(report: ValidationReport) -> ValidationReport:
    """Raise `ValidationFailed` when an error-level check failed; return the report otherwise."""
    if not report.success:
        raise ValidationFailed(report)
    return report
