"""Expectation suites, one per dataset, defined in code and reviewed like code.

A suite is the list of `Check` for one delivery: the shared observation rules, period rules and the
reader's warnings (`expectations.common`) plus the dataset's own rules (`expectations.<source>`: its records' schema,
types, keys, ranges, cross-field rules and history rules). `error` blocks the load (the delivery is
quarantined); `warning` loads and flags. Every rule has a stable ``rule_id`` and a description in
plain Vietnamese and English; `tests/unit/expectations/test_rules.py` holds, for every rule, a delivery
that passes it and one that breaks it.
"""

from __future__ import annotations

from expectations import common, completeness, education, health, indicators, public_service, tax
from expectations.checks import Check, DeliveryContext, TableVerdict
from expectations.common import OBSERVATION_COLUMNS

_DATASETS = {
    "tax": tax,
    "public_service": public_service,
    "health": health,
    "education": education,
    "indicators": indicators,
}

__all__ = ["OBSERVATION_COLUMNS", "Check", "DeliveryContext", "TableVerdict", "build_suite", "carried_periods",
           "dataset_names", "source_indicators"]


def dataset_names() -> list[str]:
    """The datasets (sources) that have a suite."""
    return list(_DATASETS)


def source_indicators(source_code: str) -> list[str]:
    """The indicator codes a source may deliver."""
    return list(_module(source_code).INDICATORS)


def _module(source_code: str):
    try:
        return _DATASETS[source_code]
    except KeyError:
        raise KeyError(f"no expectation suite for source {source_code!r}; "
                       f"known: {', '.join(_DATASETS)}") from None


def carried_periods(source_code: str, period: str) -> list[str]:
    """The other months a delivery of `source_code` for `period` may carry figures for (the indicators
    workbook: months 1..M−1 and last December); [] for the other sources."""
    module = _module(source_code)
    return module.carried_periods(period) if hasattr(module, "carried_periods") else []


def build_suite(source_code: str, unit_code: str, period: str) -> list[Check]:
    """The checks for one delivery of `source_code` for (unit, period): shared rules, then the dataset's."""
    module = _module(source_code)
    checks = [*common.observation_checks(module.INDICATORS, unit_code, period, carried_periods(source_code, period)),
              *common.period_checks(),
              *common.read_checks(), *module.checks(), *completeness.checks(source_code)]
    ids = [c.rule_id for c in checks]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:  # a programming error in a suite, caught by the unit tests
        raise ValueError(f"suite {source_code}: rule ids used twice: {sorted(duplicates)}")
    return checks
