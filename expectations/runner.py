"""Run a suite over one delivery with Great Expectations 1.x (one GX run) and say what failed, row by row.

Each row-level rule's values are taken from its frame (the connector's records or the observations),
restricted to its scope (its condition); derived rules (cross-field, uniqueness, history, dates) are
computed with pandas as True/False markers. Rules with the same expectation and arguments (every marker
rule, the "not negative" rules …) share ONE GX expectation over one long column, their values one after
the other, and each unexpected row is attributed back to its rule and row; so a delivery costs one GX
validation of a handful of expectations whatever its size (a second, smaller one when something fails:
the first asks only for success, the second for the failing expectations' unexpected row indexes).
The suites are built once per process. Table-level rules (columns present, no unknown columns, the
period) are judged before the run.

GX returns a failed result instead of raising; `validate_delivery` turns it into a `ValidationReport`
and `raise_on_failure` raises `ValidationFailed` when an error-level rule failed. One ephemeral GX
context per process; analytics and progress bars are off.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import logging
import os
import re
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from expectations import messages
from expectations.checks import Check, DeliveryContext, Finding, figures
from expectations.errors import ValidationFailed

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# GX announces its temporary docs folder at INFO on every new context; operators do not need it.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

#: Failing rows reported per rule (every one up to this cap; the rest are counted in ``not_shown``).
MAX_SAMPLE_ROWS = messages.MAX_ROWS_PER_RULE
#: Failing rules' first cells named in the one-line `ValidationReport.summary`.
SUMMARY_CELLS = 3
_LINEAGE = ["source_file", "sheet", "row_number"]
_RECORD_KEYS = ["member_code", "ma_ho_so", "ma_truong", "ma_tram", "ma_chi_tieu", "item_code", "label",
                "ten_truong", "chi_tieu"]


@dataclass
class FailedCheck:
    """One rule that did not hold, with every offending row up to `MAX_SAMPLE_ROWS` and where it is.

    ``samples`` are dicts, one per cell at fault (a row may break a rule in several cells), with
    ``frame, source_file, sheet, row_number, column`` (canonical), ``column_name`` (the header as typed in
    the file), ``letter`` (when known), ``raw_text`` (the value as typed), ``found`` (the value read),
    ``expected`` / ``expected_vi``, ``message_vi`` / ``message_en`` (the two lines people read) and the
    row's key (indicator/member, dossier id, school code …). ``not_shown`` counts the failing rows beyond
    the cap. Table-level rules have no samples (except the reader's warnings) but say what was ``found``
    and ``expected`` (``found_vi`` / ``expected_vi`` in Vietnamese).
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
    found_vi: str = ""
    expected_vi: str = ""
    not_shown: int = 0


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
        """One line (English) naming each failed rule and its first cells at fault (file, sheet, row,
        column, value as typed, what was expected); `lines` gives every cell, in both languages."""
        if not self.failed:
            return f"{self.suite_name}: all {self.evaluated_count} checks passed"
        return f"{self.suite_name}: " + "; ".join(describe_failure(f) for f in self.failed)

    def lines(self) -> list[tuple[str, str]]:
        """(Vietnamese, English) line pairs: each failed rule, then every cell at fault (capped per rule)."""
        return messages.report_lines(self.to_dict())

    def to_dict(self) -> dict:
        """A JSON-ready summary, stored in the warehouse's validation_results."""
        return {"suite_name": self.suite_name, "success": self.success, "source_code": self.source_code,
                "unit_code": self.unit_code, "period": self.period, "checked_at": self.checked_at,
                "evaluated_count": self.evaluated_count, "failed_count": self.failed_count,
                "error_count": len(self.errors), "warning_count": len(self.warnings),
                "rows_checked": dict(self.rows_checked), "skipped": list(self.skipped),
                "failed": [asdict(f) for f in self.failed]}


def describe_failure(f: FailedCheck) -> str:
    """`[error] rule-id (description): N row(s) failed: file …, sheet '…', row …, column '…' (G): found '…',
    expected …; …` on one line (the first `SUMMARY_CELLS` cells, then how many more)."""
    where = ""
    if f.samples:
        shown = [messages.cell_lines(s)[1] for s in f.samples[:SUMMARY_CELLS]]
        rest = len(f.samples) - len(shown) + f.not_shown
        where = ": " + "; ".join(shown) + (f"; and {rest} more" if rest else "")
    elif f.found or f.expected:
        where = f" (found {f.found}; expected {f.expected})"
    n = "" if f.unexpected_count is None else f"{f.unexpected_count} row(s) "
    return f"[{f.severity}] {f.rule_id} ({f.description_en or f.description_vi or f.expectation}): {n}failed{where}"


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
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every in-memory batch under 1 GB by hashing all of its cells, twice per run
        # (the batch and the validator's copy), for a `pandas_data_fingerprint` marker nothing here reads.
        # On a 1 M-record export that is ~5 s of a ~10 s validation; a threshold of 0 turns it off.
        pandas_execution_engine.HASH_THRESHOLD = 0
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


# Observation fields whose text is the lineage cell's (the cell the figure was read from).
_CELL_FIELDS = ("value", "text_value", "numerator")


@dataclass
class _Columns:
    """How the file names the records' columns: canonical name -> (header as typed, letter or None)."""

    by_name: dict
    letter_of_header: dict

    @classmethod
    def of(cls, records: pd.DataFrame) -> _Columns:
        attrs = records.attrs or {}
        by_name = {name: (label, None) for name, label in (attrs.get("column_labels") or {}).items()}
        letters = {}
        for used in attrs.get("columns_used") or []:
            if not isinstance(used, dict) or not used.get("name"):
                continue
            header = used.get("header") or by_name.get(used["name"], (used["name"], None))[0]
            by_name[used["name"]] = (header, used.get("letter"))
            if used.get("letter"):
                letters.setdefault(header, used.get("letter"))
        return cls(by_name, letters)

    def header(self, name: str) -> tuple[str, str | None]:
        return self.by_name.get(name, (name, None))


def _sample(ctx: DeliveryContext, check: Check, frame: str, row: pd.Series, finding: Finding | None = None,
            columns: _Columns | None = None) -> dict:
    """One cell at fault as a plain dict: where it is, the value as typed, what was expected, the two lines."""
    columns = columns or _Columns.of(ctx.records)
    finding = finding or Finding(check.column, *_expected(check))
    column = finding.column or check.column
    out = {"frame": frame, **{c: _plain(row.get(c)) for c in _LINEAGE}, "column": column}
    if frame == "observations":
        out.update(indicator_code=_plain(row.get("indicator_code")), member_code=_plain(row.get("member_code")))
        found = _plain(row.get(column)) if column else None
        if column is None or column in _CELL_FIELDS:
            header = _plain(row.get("column_name"))
            raw = _plain(row.get("raw_text"))
            if raw is None and column is not None:
                raw = messages.display(row.get(column))
        else:  # a field the connector derived (a code, a count): named by its field, shown as read
            header, raw = column, messages.display(row.get(column))
        out.update(column_name=header, letter=columns.letter_of_header.get(header) if header else None,
                   raw_text=raw if finding.found is None else finding.found, found=found)
    else:
        header, letter = columns.header(column) if column else (None, None)
        value = row.get(column) if column else None
        raw_cells = row.get("raw_cells")
        if finding.found is not None:
            raw = finding.found
        elif isinstance(raw_cells, dict) and column in raw_cells:
            raw = raw_cells[column]
            raw = None if raw is None else str(raw)
        else:
            raw = messages.display(value)
        out.update(column_name=header, letter=letter, raw_text=raw, found=_plain(value) if column else None)
        for key in _RECORD_KEYS:
            if key in row.index and _plain(row.get(key)) is not None:
                out["key"] = f"{key}={_plain(row.get(key))}"
                break
    if finding.header is not None:
        out["column_name"] = finding.header or None
        out["letter"] = columns.letter_of_header.get(finding.header) if finding.header else None
    out["expected"], out["expected_vi"] = finding.expected_en, finding.expected_vi
    out["message_vi"], out["message_en"] = messages.cell_lines({k: v for k, v in out.items()
                                                                 if not k.startswith("message_")})
    return out


def _quoted(values) -> tuple[str, str]:
    texts = [f"'{v}'" if isinstance(v, str) else messages.display(v) or "" for v in values]
    if len(texts) <= 1:
        return "".join(texts), "".join(texts)
    return ", ".join(texts[:-1]) + " hoặc " + texts[-1], ", ".join(texts[:-1]) + " or " + texts[-1]


def _expected(check: Check) -> tuple[str, str]:
    """(English, Vietnamese) of what a rule expects of a cell, when it has no `explain` of its own."""
    kwargs = check.kwargs
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return "a value", "có giá trị"
    if check.expectation == "ExpectColumnValuesToBeInSet" and check.kind == "gx":
        vi, en = _quoted(kwargs.get("value_set") or [])
        return en, vi
    if check.expectation == "ExpectColumnValuesToBeBetween":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        d = messages.decimals_of([v for v in (low, high) if v is not None])
        if low is not None and high is not None:
            (lv, le), (hv, he) = messages.numbers(low, d), messages.numbers(high, d)
            return f"a number from {le} to {he}", f"một số từ {lv} đến {hv}"
        if low is not None:
            lv, le = messages.numbers(low, d)
            return (("a number not below 0", "một số không âm") if low == 0
                    else (f"a number of at least {le}", f"một số không nhỏ hơn {lv}"))
        if high is not None:
            hv, he = messages.numbers(high, d)
            return f"a number of at most {he}", f"một số không lớn hơn {hv}"
    en, vi = check.description_en, check.description_vi
    return (f"the rule to hold ({en[:1].lower() + en[1:]})" if en else "the rule to hold",
            f"đúng quy tắc ({vi[:1].lower() + vi[1:]})" if vi else "đúng quy tắc")


def _findings(ctx: DeliveryContext, check: Check, positions: list[int]) -> list[list[Finding]]:
    """The cells at fault of each reported failing row: the rule's own `explain` when it has one (a
    message must never break a validation: a rule whose explanation fails says what it checks instead)."""
    generic = [[Finding(check.column, *_expected(check))]] * len(positions)
    if check.explain is None or not positions:
        return generic
    try:
        found = check.explain(ctx, np.asarray(positions, dtype=int))
    except Exception:  # noqa: BLE001 - the verdict stands; only its wording falls back
        logging.getLogger(__name__).warning("%s: could not explain the failing rows", check.rule_id, exc_info=True)
        return generic
    return [cells or generic[0] for cells in found] if len(found) == len(positions) else generic


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
    # the figure, and which delivery it came from (the figure in force: indicators.earlier_month_revised)
    cols = ["indicator_code", "member_code", "period", "value", "numerator", "denominator", "text_value",
            "load_id", "load_period", "source_file", "column_name", "raw_text"]
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
            samples = list(verdict.samples or ())
            shown = samples[:MAX_SAMPLE_ROWS]
            failed.append(FailedCheck(check.rule_id, "table", {}, check.severity, check.description_vi,
                                      check.description_en, check.frame, len(samples) if samples else None,
                                      shown, verdict.found, verdict.expected, verdict.found_vi or verdict.found,
                                      verdict.expected_vi or verdict.expected, len(samples) - len(shown)))
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


_SIMPLE_CONDITION = re.compile(r"^\s*(\w+)\s*(in|==)\s*(.+?)\s*$")


@functools.lru_cache(maxsize=256)
def _simple_condition(condition: str) -> tuple[str, list] | None:
    """``column in [..]`` / ``column == value`` as (column, allowed values); None for anything else."""
    match = _SIMPLE_CONDITION.match(condition)
    if not match:
        return None
    try:
        value = ast.literal_eval(match.group(3))
    except (ValueError, SyntaxError):
        return None
    if match.group(2) == "in" and isinstance(value, list | tuple):
        return match.group(1), list(value)
    if match.group(2) == "==" and isinstance(value, str | int | float):
        return match.group(1), [value]
    return None


def _scope(frame: pd.DataFrame, condition: str | None) -> np.ndarray:
    """The rows a rule applies to, as a boolean mask over the frame's rows (the frame has a RangeIndex)."""
    if not condition:
        return np.ones(len(frame), dtype=bool)
    simple = _simple_condition(condition)
    if simple is not None:  # what DataFrame.query would select, without its expression parser (~10 ms)
        column, allowed = simple
        return frame[column].isin(allowed).to_numpy()
    mask = np.zeros(len(frame), dtype=bool)
    mask[frame.query(condition).index.to_numpy()] = True
    return mask


def _aligned_marks(marks: pd.Series, index: pd.Index) -> pd.Series:
    """A derived rule's markers on the frame's rows; a row the rule did not mark holds."""
    if marks.dtype == bool and marks.index.equals(index):  # the usual case: no reindex, no copies
        return marks
    return marks.reindex(index).fillna(True).astype(bool)


def _rule_values(ctx: DeliveryContext, checks: list[Check], blocked_frames: set[str],
                 derived: dict[int, pd.Series] | None = None) -> tuple[list[_RuleValues], list[str]]:
    """Each row-level rule's values in its scope (its frame, its condition); derived rules as True/False
    markers (taken from `derived`, by the rule's position in `checks`, when a batch computed them for
    every delivery at once). Rules that cannot run (empty frame, missing column) are listed as skipped."""
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
            scope = _scope(frame, check.condition)
            if check.kind == "derived":
                marks = derived[i] if derived and i in derived else check.derive(ctx)
                marks = _aligned_marks(marks, frame.index)
                values = marks.to_numpy()[scope]
                expectation, kwargs = "ExpectColumnValuesToBeInSet", {"value_set": [True]}
            elif check.expectation == "ExpectColumnValuesToNotBeNull":
                values = frame[check.kwargs["column"]].notna().to_numpy()[scope]
                expectation, kwargs = "ExpectColumnValuesToBeInSet", {"value_set": [True]}
            else:
                column = frame[check.kwargs["column"]]
                expectation = check.expectation
                kwargs = {k: v for k, v in check.kwargs.items() if k != "column"}
                if expectation == "ExpectColumnValuesToBeBetween":
                    # The numbers the connector read (floats); a cell it kept as text is not re-parsed here.
                    values = figures(column)[scope]
                else:
                    values = column.to_numpy(dtype=object)[scope]
        except KeyError:  # a column the rule needs is missing; the schema rule says so
            skipped.append(check.rule_id)
            continue
        values = values if values.dtype == float else np.asarray(values, dtype=object)
        planned.append(_RuleValues(i, check, expectation, kwargs, np.flatnonzero(scope) + offsets[check.frame],
                                   values))
    return planned, skipped


def _signature(rule: _RuleValues) -> str:
    return json.dumps([rule.expectation, rule.kwargs], sort_keys=True, default=str)


# Suites built so far, by their expectations (column, expectation, kwargs): a source's suite is the same
# for every delivery, so it is built once per process. Bounded: a value set naming one ward makes a suite
# per ward in single-delivery runs.
_SUITES: OrderedDict[tuple, object] = OrderedDict()
_MAX_SUITES = 64
_BOOLEAN_ONLY = {"result_format": "BOOLEAN_ONLY"}
# Only the unexpected rows' positions are read: no values, no rows, no query text, no partial counts.
_INDEX_LIST = {"result_format": "COMPLETE", "partial_unexpected_count": 0, "include_unexpected_rows": False,
               "return_unexpected_index_query": False, "exclude_unexpected_values": True}


def _suite(expectations: tuple[tuple[str, str, str], ...], kwargs: dict[str, dict]):
    """The GX suite checking ``(column, expectation, signature)`` triples (cached per process)."""
    suite = _SUITES.get(expectations)
    if suite is not None:
        _SUITES.move_to_end(expectations)
        return suite
    import great_expectations as gx

    digest = hashlib.sha1(repr(expectations).encode()).hexdigest()[:16]
    suite = gx.ExpectationSuite(name=f"thidua-{digest}")
    for column, expectation, signature in expectations:
        cls = getattr(gx.expectations, expectation)
        suite.add_expectation(cls(column=column, **kwargs[signature], meta={"column": column}))
    _SUITES[expectations] = suite
    while len(_SUITES) > _MAX_SUITES:
        _SUITES.popitem(last=False)
    return suite


def _gx_results(batch: pd.DataFrame, expectations: tuple, kwargs: dict, result_format: dict) -> list:
    _, batch_definition = _gx_context()
    gx_batch = batch_definition.get_batch(batch_parameters={"dataframe": batch})
    return gx_batch.validate(_suite(expectations, kwargs), result_format=result_format).results


def _exception(result) -> str:
    if result.exception_info and result.exception_info.get("raised_exception"):
        return str(result.exception_info.get("exception_message"))[:300]
    return ""


def _index_list(result, length: int) -> np.ndarray:
    rows = []
    for row in (result.result or {}).get("unexpected_index_list") or []:
        if isinstance(row, dict):
            row = row.get("index")
        if isinstance(row, int | np.integer) and 0 <= row < length:
            rows.append(int(row))
    return np.asarray(sorted(rows), dtype=int)


def _long_column(parts: list[_RuleValues], expectation: str) -> pd.Series:
    if expectation == "ExpectColumnValuesToBeBetween":  # numbers only (figures), never text parsed here
        values = np.concatenate([figures(p.values) for p in parts]) if parts else np.array([], dtype=float)
        return pd.Series(values, dtype=float)
    values = np.concatenate([p.values for p in parts]) if parts else np.array([], dtype=object)
    return pd.Series(values, dtype=object)


def _batch(columns: dict[str, pd.Series]) -> pd.DataFrame:
    """The columns side by side; shorter ones padded with empty cells (GX ignores them)."""
    length = max(len(c) for c in columns.values())
    return pd.DataFrame({name: c if len(c) == length else _padded(c, length) for name, c in columns.items()},
                        index=range(length))


def _padded(column: pd.Series, length: int) -> pd.Series:
    """`column` followed by empty cells up to `length` (positional; reindex would hash the index)."""
    if pd.api.types.is_float_dtype(column.dtype):
        out = np.full(length, np.nan)
    else:
        out = np.full(length, None, dtype=object)
    out[:len(column)] = column.to_numpy()
    return pd.Series(out, index=range(length), dtype=out.dtype)  # object stays object (no string inference)


# A rule family's long column is cut into at most this many lanes of equal length, side by side (see
# _gx_validate): a dozen not-null markers over 1 M records make a 12 M-value column, and without lanes
# every other column of the batch would be padded to that length.
_MAX_LANES = 8


def _lane_length(parts: list[_RuleValues], groups: dict[str, list[int]]) -> int:
    totals = [sum(len(parts[n].values) for n in members) for members in groups.values()]
    return max(1, max(len(p.values) for p in parts), -(-max(totals) // _MAX_LANES))


def _gx_validate(parts: list[_RuleValues]) -> dict[int, tuple[np.ndarray, int | None, str]]:
    """Judge every rule's values with Great Expectations; ``{part: (failing value positions, count,
    exception)}`` for every part (a rule in one delivery) that failed.

    Rules with the same expectation and arguments (a family) share one long column, their values one
    after the other, so a run costs a few expectations whatever the number of rules and deliveries. The
    long column is laid out in lanes of equal length (the longest part, or a family's length / 8 when
    that is longer), one expectation per lane; GX ignores empty cells, so a short lane is padded with
    nothing. A first run asks only for success (BOOLEAN_ONLY); the lanes that failed run again for
    their unexpected row indexes. An expectation that raised is run again per part, so the error is told
    only where it happens.
    """
    if not parts:
        return {}
    groups: dict[str, list[int]] = {}
    kwargs: dict[str, dict] = {}
    for n, part in enumerate(parts):
        signature = _signature(part)
        groups.setdefault(signature, []).append(n)
        kwargs[signature] = part.kwargs
    lane = _lane_length(parts, groups)
    columns: dict[str, pd.Series] = {}
    expectations: dict[str, tuple[str, str, str]] = {}
    where: dict[str, tuple[str, int]] = {}  # lane column -> (family, first long position)
    for i, signature in enumerate(sorted(groups)):
        expectation = parts[groups[signature][0]].expectation
        long = _long_column([parts[n] for n in groups[signature]], expectation)
        for j, start in enumerate(range(0, max(len(long), 1), lane)):
            name = f"_g{i}_{j}"
            columns[name] = long.iloc[start:start + lane].reset_index(drop=True)
            expectations[name] = (name, expectation, signature)
            where[name] = (signature, start)
    batch = _batch(columns)
    first = _gx_results(batch, tuple(expectations.values()), kwargs, _BOOLEAN_ONLY)
    failed_lanes = [r.expectation_config.meta["column"] for r in first if not r.success]
    if not failed_lanes:
        return {}
    second = _gx_results(batch[failed_lanes], tuple(expectations[c] for c in failed_lanes), kwargs, _INDEX_LIST)
    raised: set[str] = set()
    rows_by_family: dict[str, list[np.ndarray]] = {}
    for r in second:
        if r.success:
            continue
        signature, start = where[r.expectation_config.meta["column"]]
        if _exception(r):
            raised.add(signature)
            continue
        rows_by_family.setdefault(signature, []).append(_index_list(r, len(batch)) + start)
    out: dict[int, tuple[np.ndarray, int | None, str]] = {}
    for signature, found in rows_by_family.items():
        if signature in raised:
            continue
        members = groups[signature]
        rows = np.sort(np.concatenate(found))
        ends = np.cumsum([len(parts[n].values) for n in members])
        owner = np.searchsorted(ends, rows, side="right")
        for k, n in enumerate(members):
            mine = rows[owner == k] - (ends[k] - len(parts[n].values))
            if len(mine):
                out[n] = (mine, len(mine), "")
    numbers = [n for signature in sorted(raised) for n in groups[signature]]
    if numbers:
        out.update(_gx_validate_each([parts[n] for n in numbers], numbers))
    return out


def _gx_validate_each(parts: list[_RuleValues], numbers: list[int]) -> dict[int, tuple[np.ndarray, int | None, str]]:
    """One expectation per part (the rare run after an expectation raised)."""
    batch = _batch({f"_p{k}": _long_column([p], p.expectation) for k, p in enumerate(parts)})
    kwargs = {_signature(p): p.kwargs for p in parts}
    expectations = tuple((f"_p{k}", p.expectation, _signature(p)) for k, p in enumerate(parts))
    out = {}
    for r in _gx_results(batch, expectations, kwargs, _INDEX_LIST):
        if r.success:
            continue
        k = int(r.expectation_config.meta["column"][2:])
        rows = _index_list(r, len(parts[k].values))
        found = _exception(r)
        out[numbers[k]] = (rows, (r.result or {}).get("unexpected_count"), found)
    return out


def _failed_rule(ctx: DeliveryContext, check: Check, rows: list[int], count: int | None,
                 found: str) -> FailedCheck:
    """A failed row-level rule with every failing row up to `MAX_SAMPLE_ROWS` (`rows` are positions in
    the delivery's stack), each as its cell(s) at fault; only these rows are explained."""
    frame = ctx.observations if check.frame == "observations" else ctx.records
    offset = _offsets(ctx)[check.frame]
    positions = [row - offset for row in rows[:MAX_SAMPLE_ROWS]]
    columns = _Columns.of(ctx.records)
    samples = []
    for position, cells in zip(positions, _findings(ctx, check, positions), strict=True):
        row = frame.iloc[position]
        samples += [_sample(ctx, check, check.frame, row, cell, columns) for cell in cells]
    total = count if count is not None else len(rows)
    return FailedCheck(check.rule_id, check.expectation, _json_kwargs(check), check.severity,
                       check.description_vi, check.description_en, check.frame, count, samples, found,
                       not_shown=max(total - len(positions), 0))


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
    # 2. Each rule's values in its scope (its frame, its condition); derived rules as True/False markers.
    # GX judges them all in one run (rules sharing an expectation share one long column; see _gx_validate).
    planned, skipped = _rule_values(ctx, checks, blocked_frames)
    for n, (rows, count, found) in _gx_validate(planned).items():
        failed.append(_failed_rule(ctx, planned[n].check, planned[n].positions[rows].tolist(), count, found))
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
