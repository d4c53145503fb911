"""Typed errors of the connectors package, under one root.

Flows decide what the user sees: `RetriableSourceError` is worth another try (Prefect retries only this
class), `FatalSourceError` is not (bad credentials, a missing endpoint, a file that does not fit).
Messages never carry secrets: callers pass file names and URL paths with secret-free query strings only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a warning, unusual) in a delivered file, pointing at the cell to fix.

    `column` is the header as typed in the file and `letter` its spreadsheet letter; `found` is the value
    as typed (text); `expected` says what would fit, in English, `expected_vi` in Vietnamese (the
    Vietnamese line falls back to the English words when a raise site gave none).
    """

    file: str
    expected: str
    found: object = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None
    source: str | None = None
    expected_vi: str | None = None
    detail: str | None = None
    severity: str = "error"  # error (refuses the delivery) or warning (reported, loaded)
    note_vi: str | None = None  # a whole sentence instead of "found …, expected …" (e.g. "không dùng")
    note_en: str | None = None

    def where_en(self) -> str:
        where = f"{self.source} file {self.file}" if self.source else f"file {self.file}"
        if self.sheet is not None:
            where += f", sheet '{self.sheet}'"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'" + (f" ({self.letter})" if self.letter else "")
        elif self.letter:
            where += f", column {self.letter}"
        return where

    def where_vi(self) -> str:
        where = f"tệp {self.file}" + (f" (nguồn {self.source})" if self.source else "")
        if self.sheet is not None:
            where += f", trang '{self.sheet}'"
        if self.row is not None:
            where += f", dòng {self.row}"
        if self.column is not None:
            where += f", cột {self.letter + ' ' if self.letter else ''}'{self.column}'"
        elif self.letter:
            where += f", cột {self.letter}"
        return where

    def message_en(self) -> str:
        if self.note_en:
            return f"{self.where_en()}: {self.note_en}"
        message = f"{self.where_en()}: found {_quote(self.found)}, expected {self.expected}"
        return message + (f" ({self.detail})" if self.detail else "")

    def message_vi(self) -> str:
        if self.note_vi:
            return f"{self.where_vi()}: {self.note_vi}"
        found = _quote(self.found).replace("an empty cell", "ô trống").replace("nothing", "không có gì")
        return f"{self.where_vi()}: gặp {found}, cần {self.expected_vi or self.expected}"

    def to_dict(self) -> dict:
        """A JSON-ready form (for the validation report, the alert and the run log)."""
        out = asdict(self)
        out["found"] = None if self.found is None else (self.found if isinstance(self.found, str)
                                                        else _quote(self.found))
        out["message_vi"], out["message_en"] = self.message_vi(), self.message_en()
        return out


#: How many problems one refusal lists in its message; the rest are counted.
MAX_LISTED_PROBLEMS = 50


class BadInputError(FatalSourceError):
    """A user's file does not fit its layout: says where (file, sheet, row, column), what and what was expected.

    Rendered as one sentence per problem, e.g. ``tax file bao-cao.xlsx, sheet 'Thu NSNN', row 12, column
    'Lũy kế từ đầu năm' (E): found 'abc', expected a number``. `file` is a file name (never a full URL with
    a query string). A refusal may carry several problems (`problems`, every one found in the delivery);
    the attributes `file`, `sheet`, `row`, `column`, `found`, `expected` are those of the first.
    """

    def __init__(
        self,
        *,
        file: str | None = None,
        expected: str | None = None,
        found: object = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        source: str | None = None,
        detail: str | None = None,
        letter: str | None = None,
        expected_vi: str | None = None,
        problems: Sequence[Problem] | None = None,
    ):
        if problems:
            self.problems = list(problems)
        else:
            self.problems = [Problem(file=file or "?", expected=expected or "?", found=found, sheet=sheet,
                                     row=row, column=column, letter=letter, source=source,
                                     expected_vi=expected_vi, detail=detail)]
        first = self.problems[0]
        self.file, self.sheet, self.row, self.column = first.file, first.sheet, first.row, first.column
        self.found, self.expected, self.source, self.detail = first.found, first.expected, first.source, first.detail
        self.letter = first.letter
        super().__init__(self._render(Problem.message_en, "problems", "more"))

    def _render(self, one, plural: str, more: str) -> str:
        if len(self.problems) == 1:
            return one(self.problems[0])
        listed = self.problems[:MAX_LISTED_PROBLEMS]
        lines = [f"{len(self.problems)} {plural}:"] + [f"  - {one(p)}" for p in listed]
        if len(self.problems) > len(listed):
            lines.append(f"  … {len(self.problems) - len(listed)} {more}")
        return "\n".join(lines)

    def message_vi(self) -> str:
        """The same problems in Vietnamese (one line each)."""
        return self._render(Problem.message_vi, "lỗi", "lỗi khác")

    def lines(self) -> list[tuple[str, str]]:
        """(Vietnamese, English) line pairs, one per problem (capped, with a count of the rest)."""
        listed = self.problems[:MAX_LISTED_PROBLEMS]
        pairs = [(p.message_vi(), p.message_en()) for p in listed]
        if len(self.problems) > len(listed):
            rest = len(self.problems) - len(listed)
            pairs.append((f"… và {rest} lỗi khác", f"… and {rest} more"))
        return pairs
