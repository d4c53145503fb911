"""Run a suite over a DataFrame with Great Expectations 1.x and say what failed, row by row.

GX returns a failed result instead of raising; `validate` turns it into a `ValidationReport` and
`raise_on_failure` raises `ValidationFailed` when an error-level expectation failed. One ephemeral GX
context per process (its setup cost is paid once); analytics and progress bars are off.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field

import pandas as pd

from expectations.errors import ValidationFailed
from expectations.suites import Check

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# GX announces its temporary docs folder at INFO on every new context; operators do not need it.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

MAX_SAMPLE_ROWS = 20
_LINEAGE = ["source_file", "sheet", "row_number", "column_name", "raw_text"]


@dataclass
class FailedCheck:
    """One expectation that did not hold, with up to 20 offending rows and where they came from."""

    expectation: str
    kwargs: dict
    severity: str
    description_vi: str
    unexpected_count: int | None
    samples: list[dict] = field(default_factory=list)


@dataclass
class ValidationReport:
    """The outcome of one suite over one delivery."""

    suite_name: str
    evaluated_count: int
    failed: list[FailedCheck]

    @property
    def success(self) -> bool:
        """True when no error-level expectation failed (warnings load and flag)."""
        return not any(f.severity == "error" for f in self.failed)

    @property
    def failed_count(self) -> int:
        """How many expectations failed (errors and warnings)."""
        return len(self.failed)

    def summary(self) -> str:
        """One paragraph naming each failed rule and its first offending row."""
        if not self.failed:
            return f"{self.suite_name}: all {self.evaluated_count} checks passed"
        parts = []
        for f in self.failed:
            where = ""
            if f.samples:
                s = f.samples[0]
                where = (f" (first at file {s.get('source_file')}, sheet {s.get('sheet')!r}, "
                         f"row {s.get('row_number')}, column {s.get('column_name')!r}, "
                         f"found {s.get('raw_text')!r})")
            n = "" if f.unexpected_count is None else f"{f.unexpected_count} row(s) "
            parts.append(f"[{f.severity}] {f.description_vi or f.expectation}: {n}failed{where}")
        return f"{self.suite_name}: " + "; ".join(parts)

    def to_dict(self) -> dict:
        """A JSON-ready summary, stored in the warehouse's validation_results."""
        return {"suite_name": self.suite_name, "success": self.success,
                "evaluated_count": self.evaluated_count, "failed_count": self.failed_count,
                "failed": [asdict(f) for f in self.failed]}


_context = None


def _gx_context():
    global _context
    if _context is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = ctx.data_sources.add_pandas("thidua")
        asset = source.add_dataframe_asset("delivery")
        _context = (ctx, asset.add_batch_definition_whole_dataframe("whole"))
    return _context


def _to_expectation(check: Check, index: int):
    import great_expectations as gx

    cls = getattr(gx.expectations, check.expectation)
    return cls(**check.kwargs, meta={"severity": check.severity, "index": index})


def validate(df: pd.DataFrame, checks: list[Check], suite_name: str) -> ValidationReport:
    """Run `checks` over `df` (one GX run for the whole delivery) and report every failure.

    Args:
        df: the delivery's observations (or records) with lineage columns.
        checks: the suite, from `expectations.suites.build_suite`.
        suite_name: a name for the report, e.g. ``"tax:10549:2025-08"``.
    """
    import great_expectations as gx

    ctx, batch_definition = _gx_context()
    suite = gx.ExpectationSuite(name=suite_name)
    for i, check in enumerate(checks):
        suite.add_expectation(_to_expectation(check, i))
    # GX keeps suites by name on the context; a fresh name per run keeps runs independent.
    frame = df.reset_index(drop=True)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failed: list[FailedCheck] = []
    for r in result.results:
        if r.success:
            continue
        index = int(r.expectation_config.meta["index"])
        check = checks[index]
        rows = (r.result or {}).get("unexpected_index_list") or []
        samples = []
        for row in rows[:MAX_SAMPLE_ROWS]:
            if isinstance(row, dict):  # multi-column expectations report dicts
                row = row.get("index", None)
            if isinstance(row, int) and 0 <= row < len(frame):
                rec = frame.iloc[row]
                samples.append({c: _plain(rec.get(c)) for c in [*_LINEAGE, "indicator_code", "member_code"]
                                if c in frame.columns})
        failed.append(FailedCheck(check.expectation, check.kwargs, check.severity, check.description_vi,
                                  (r.result or {}).get("unexpected_count"), samples))
    return ValidationReport(suite_name, len(checks), failed)


def raise_on_failure(report: ValidationReport) -> ValidationReport:
    """Raise `ValidationFailed` when an error-level check failed; return the report otherwise."""
    if not report.success:
        raise ValidationFailed(report)
    return report


def _plain(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
