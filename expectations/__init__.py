"""Data contracts: Great Expectations suites per dataset, run once per delivery.

Public API: `build_suite(source_code, unit_code, period)`, `validate_delivery(...)` (records +
observations + history, one GX run), `validate(df, checks, suite_name)` (observations alone),
`raise_on_failure(report)`, `ValidationFailed`, `render_report_html(report_dict, ...)` (the offline
validation report).
"""

from expectations.errors import ValidationFailed
from expectations.html_report import render_report_html
from expectations.runner import ValidationReport, raise_on_failure, validate, validate_delivery
from expectations.suites import build_suite

__all__ = ["ValidationFailed", "ValidationReport", "build_suite", "raise_on_failure", "render_report_html",
           "validate", "validate_delivery"]
