"""Errors raised by the data contracts."""

from __future__ import annotations


class ExpectationsError(Exception):
    """Root of every error raised by the expectations package."""


class ValidationFailed(ExpectationsError):
    """A delivery broke at least one error-level expectation; nothing of it may be loaded.

    Attributes:
        report: the full `ValidationReport` (every expectation, failed ones with sample rows).
    """

    def __init__(self, report):
        self.report = report
        super().__init__(report.summary())
