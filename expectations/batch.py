"""Validate many deliveries of one (source, period) in ONE Great Expectations run.

A city close has one delivery per ward for each (source, period). A GX run costs tens of milliseconds
whatever its size, so the deliveries are stacked: every delivery's rows (observations, then records) are
laid one after the other in one batch, each rule keeps one column across the whole batch, and each rule's
failed rows are attributed back to the delivery whose range they fall in. The result per delivery is the
`ValidationReport` that `validate_delivery` would have returned for it alone (same failed rules, counts
and sample rows), so a bad ward is quarantined alone.

What is per delivery and what is shared:

- the suite is built per delivery (`build_suite(source, unit, period)`), and table-level and derived rules
  are computed with pandas per delivery, exactly as for a single delivery (they read the delivery's
  context: its unit, records' attrs, history);
- a rule whose expectation arguments are the same in every delivery shares one GX column; when they differ
  (``obs.unit_matches`` names each delivery's own unit) a value-set rule is turned into a True/False marker
  per delivery with pandas, so the batch still holds one column per rule, not one per ward.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from expectations.checks import DeliveryContext
from expectations.runner import (
    ValidationReport,
    _failed_rule,
    _gx_validate,
    _history,
    _placed_column,
    _report,
    _rule_values,
    _RuleValues,
    _table_failures,
)


@dataclass
class BatchDelivery:
    """One delivery of the batch: its key (any hashable the caller uses, e.g. the unit code) and frames.

    Attributes:
        key: the caller's name for the delivery; the result is keyed by it.
        unit_code: the delivery's unit (the suite's ``obs.unit_matches`` rule checks it).
        observations, records: as for `validate_delivery` (records may be None).
        history: earlier observations of the same source and unit (active loads), or None.
        declared_period: the month named in the file's title, when it has one.
    """

    key: object
    unit_code: str
    observations: pd.DataFrame
    records: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    declared_period: str | None = None


def validate_batch(source_code: str, period: str, deliveries: list[BatchDelivery],
                   today: date | None = None) -> dict[object, ValidationReport]:
    """Run the source's suite over every delivery of (source, period) in one GX validation.

    Returns:
        ``{delivery.key: ValidationReport}``, each as `validate_delivery` reports that delivery alone.
    """
    from expectations.suites import build_suite

    today = today or datetime.now(UTC).date()
    contexts, suites, failures, skips, plans = [], [], [], [], []
    starts, total = [], 0
    for d in deliveries:
        checks = build_suite(source_code, d.unit_code, period)
        if d.records is None:  # observations alone: record rules n/a (as in validate_delivery)
            checks = [c for c in checks if c.frame == "observations"]
        ctx = DeliveryContext(
            observations=d.observations.reset_index(drop=True),
            records=(d.records if d.records is not None else pd.DataFrame()).reset_index(drop=True),
            history=_history(d.history, period), source_code=source_code, unit_code=d.unit_code,
            period=period, today=today, declared_period=d.declared_period)
        if d.records is not None:
            ctx.records.attrs = dict(d.records.attrs)
        failed, blocked = _table_failures(ctx, checks)
        planned, skipped = _rule_values(ctx, checks, blocked)
        contexts.append(ctx)
        suites.append(checks)
        failures.append(failed)
        skips.append(skipped)
        plans.append(planned)
        starts.append(total)
        total += len(ctx.observations) + len(ctx.records)
    columns, wanted, owners = _stack(plans, starts, total)
    starts_arr = np.asarray(starts)
    for column, (rows, _count, found) in _gx_validate(columns, wanted, total,
                                                      f"{source_code}:batch:{period}").items():
        rule_id = owners[column]
        per_delivery: dict[int, list[int]] = {}
        for row in rows:
            n = int(np.searchsorted(starts_arr, row, side="right") - 1)
            per_delivery.setdefault(n, []).append(row - starts[n])
        if found and not rows:  # the expectation itself raised: every delivery that had values is told
            per_delivery = {n: [] for n, p in enumerate(plans) if any(r.check.rule_id == rule_id for r in p)}
        for n, local_rows in per_delivery.items():
            check = next(c for c in suites[n] if c.rule_id == rule_id)
            count = None if found and not rows else len(local_rows)
            failures[n].append(_failed_rule(contexts[n], check, local_rows, count, found))
    return {d.key: _report(contexts[n], suites[n], failures[n], skips[n],
                           f"{source_code}:{d.unit_code}:{period}")
            for n, d in enumerate(deliveries)}


def _signature(rule: _RuleValues) -> str:
    return json.dumps([rule.expectation, rule.kwargs], sort_keys=True, default=str)


def _as_markers(rule: _RuleValues) -> _RuleValues:
    """A value-set rule as True/False markers (empty cells stay empty, as GX ignores them)."""
    allowed = set(rule.kwargs["value_set"])
    marks = np.array([None if _empty(v) else v in allowed for v in rule.values], dtype=object)
    return _RuleValues(rule.index, rule.check, "ExpectColumnValuesToBeInSet", {"value_set": [True]},
                       rule.positions, marks)


def _empty(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or dict cell is a value, not an empty cell
        return False


def _stack(plans: list[list[_RuleValues]], starts: list[int], total: int):
    """One batch column per rule (per rule and argument set when a non-set rule's arguments differ)."""
    signatures: dict[str, set[str]] = {}
    for planned in plans:
        for rule in planned:
            signatures.setdefault(rule.check.rule_id, set()).add(_signature(rule))
    parts: dict[str, list] = {}
    wanted: dict[str, tuple[str, dict]] = {}
    owners: dict[str, str] = {}
    names: dict[tuple[str, str], str] = {}
    for planned, start in zip(plans, starts, strict=True):
        for rule in planned:
            if len(signatures[rule.check.rule_id]) > 1 and rule.expectation == "ExpectColumnValuesToBeInSet":
                rule = _as_markers(rule)
            key = (rule.check.rule_id, _signature(rule))
            column = names.setdefault(key, f"_r{len(names)}")
            parts.setdefault(column, []).append((rule.positions + start, rule.values))
            wanted[column] = (rule.expectation, rule.kwargs)
            owners[column] = rule.check.rule_id
    columns = {c: _placed_column(total, p, wanted[c][0]) for c, p in parts.items()}
    return columns, wanted, owners
