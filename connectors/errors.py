"""Typed errors of the connectors package, under one root.

Flows decide what the user sees: `RetriableSourceError` is worth another try (Prefect retries only this
class), `FatalSourceError` is not (bad credentials, a missing endpoint, a file that does not fit).
Messages never carry secrets: callers pass file names and URL paths with secret-free query strings only.
"""

from __future__ import annotations

from collections.abc import Sequence


class ConnectorError(Exception):
    """Root of every error raised by `connectors`."""


class RetriableSourceError(ConnectorError):
    """A transient failure of the source (429, 5xx, timeout, connection reset): try again later.

    `retry_after` is the delay in seconds the source asked for (HTTP `Retry-After`), when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status_code = status_code


class FatalSourceError(ConnectorError):
    """A failure that another try will not fix (401/403/404, unusable content)."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class SchemaDriftError(FatalSourceError):
    """The source's shape changed: fields or columns the connector relies on are missing or ambiguous."""


def _quote(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "an empty cell" if value == "" else f"'{value}'"
    if isinstance(value, Sequence):
        items = [f"'{v}'" for v in value]
        if len(items) > 12:
            items = items[:12] + [f"… ({len(value) - 12} more)"]
        return "[" + ", ".join(items) + "]" if items else "nothing"
    return f"'{value}'"


class BadInputError(FatalSourceError):
    """A user's file does not fit its layout: says where (file, sheet, row, column), what and what was expected.

    Rendered as one sentence, e.g. ``tax file bao-cao.xlsx, sheet 'Thu NSNN', row 12, column 'Lũy kế từ đầu
    năm': found 'abc', expected a number``. `file` is a file name (never a full URL with a query string).
    """

    def __init__(
        self,
        *,
        file: str,
        expected: str,
        found: object = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        source: str | None = None,
        detail: str | None = None,
    ):
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.found = found
        self.expected = expected
        self.source = source
        self.detail = detail
        where = f"{source} file {file}" if source else f"file {file}"
        if sheet is not None:
            where += f", sheet '{sheet}'"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        message = f"{where}: found {_quote(found)}, expected {expected}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)
