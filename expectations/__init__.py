"""Data contracts: Great Expectations suites per dataset, run per delivery.

Public API: `build_suite(source_code, unit_code, period)`, `validate(df, checks, suite_name)`,
`raise_on_failure(report)`, `ValidationFailed`.
"""

from expectations.errors import ValidationFailed
from expectations.runner import ValidationReport, raise_on_failure, validate
from expectations.suites import build_suite

__all__ = ["ValidationFailed", "ValidationReport", "build_suite", "raise_on_failure", "validate"]
