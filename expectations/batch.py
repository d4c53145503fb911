"""Validate many deliveries of one (source, period) in ONE Great Expectations run.

A city close has one delivery per ward for each (source, period). A GX run has a fixed cost whatever its
size, so the deliveries share one run: every delivery's rule values are handed to the runner's
`_gx_validate` together (rules with the same expectation and arguments share one long column, whatever
the delivery), and each unexpected row is attributed back to its delivery and rule. The result per delivery is the
`ValidationReport` that `validate_delivery` would have returned for it alone (same failed rules, counts
and sample rows), so a bad ward is quarantined alone.

What is per delivery and what is shared:

- the suite is built per delivery (`build_suite(source, unit, period)`), and table-level and derived rules
  are computed with pandas per delivery, exactly as for a single delivery (they read the delivery's
  context: its unit, records' attrs, history); a derived rule that says how to judge many deliveries at
  once (`Check.derive_many`: the uniqueness rules) runs once over the batch instead;
- a rule whose expectation arguments are the same in every delivery shares one GX expectation; when they
  differ (``obs.unit_matches`` names each delivery's own unit) a value-set rule is turned into a True/False
  marker per delivery with pandas, so the run holds one expectation for it, not one per ward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from expectations.checks import Check, DeliveryContext, frame_of
from expectations.runner import (
    ValidationReport,
    _failed_rule,
    _gx_validate,
    _history,
    _report,
    _rule_values,
    _RuleValues,
    _signature,
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
    contexts, suites, failures, blocks = [], [], [], []
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
        contexts.append(ctx)
        suites.append(checks)
        failures.append(failed)
        blocks.append(blocked)
    derived = _derived_together(contexts, suites, blocks)
    plans, skips = [], []
    for n, ctx in enumerate(contexts):
        planned, skipped = _rule_values(ctx, suites[n], blocks[n], derived[n])
        plans.append(planned)
        skips.append(skipped)
    parts, owners = _shared(plans)
    for n, (rows, count, found) in _gx_validate(parts).items():
        delivery, rule = owners[n]
        failures[delivery].append(_failed_rule(contexts[delivery], rule.check, rule.positions[rows].tolist(),
                                               count, found))
    return {d.key: _report(contexts[n], suites[n], failures[n], skips[n],
                           f"{source_code}:{d.unit_code}:{period}")
            for n, d in enumerate(deliveries)}


def _derived_together(contexts: list[DeliveryContext], suites: list[list[Check]],
                      blocks: list[set[str]]) -> list[dict[int, pd.Series]]:
    """The markers of every derived rule that can judge many deliveries at once (`Check.derive_many`),
    computed once for all the deliveries that run it: ``[{rule position in the delivery's suite: marks}]``.

    A delivery whose frame is empty or blocked (its columns are missing) is left out, as `_rule_values`
    skips it; when the rule cannot run over the stack (a column missing somewhere), each delivery runs
    it alone, so the one without the column is skipped as before.
    """
    out: list[dict[int, pd.Series]] = [{} for _ in contexts]
    together: dict[tuple, list[tuple[int, int]]] = {}
    first: dict[tuple, Check] = {}
    for n, checks in enumerate(suites):
        for i, check in enumerate(checks):
            if check.derive_many is None or check.frame in blocks[n] or frame_of(contexts[n], check.frame).empty:
                continue
            # Same rule, same arguments: build_suite makes the same Check for every delivery of a source.
            key = (check.rule_id, check.frame, check.column, check.condition)
            together.setdefault(key, []).append((n, i))
            first.setdefault(key, check)
    for key, members in together.items():
        try:
            marks = first[key].derive_many([contexts[n] for n, _ in members])
        except KeyError:
            continue
        for (n, i), mark in zip(members, marks, strict=True):
            out[n][i] = mark
    return out


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


def _shared(plans: list[list[_RuleValues]]) -> tuple[list[_RuleValues], list[tuple[int, _RuleValues]]]:
    """Every delivery's rules as GX parts; a value-set rule whose arguments differ between deliveries
    becomes True/False markers, so it shares one expectation instead of one per ward.

    Returns:
        the parts, and for each part its delivery's number and the delivery's own rule.
    """
    signatures: dict[str, set[str]] = {}
    for planned in plans:
        for rule in planned:
            signatures.setdefault(rule.check.rule_id, set()).add(_signature(rule))
    parts: list[_RuleValues] = []
    owners: list[tuple[int, _RuleValues]] = []
    for n, planned in enumerate(plans):
        for rule in planned:
            part = rule
            if len(signatures[rule.check.rule_id]) > 1 and rule.expectation == "ExpectColumnValuesToBeInSet":
                part = _as_markers(rule)
            parts.append(part)
            owners.append((n, rule))
    return parts, owners
