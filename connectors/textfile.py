"""Text files as delivered: the encoding (UTF-8 with or without BOM, UTF-16 LE/BE) and the CSV delimiter.

Exports "for Excel" are UTF-8 with a BOM (source-formats.md §1); Excel's "Unicode text" is UTF-16 with a
BOM and tabs. Both are recognised from the bytes; anything else that is not valid UTF-8 is refused with
the byte offset, never decoded with a guessed code page. HTML tables saved as `.xls` are read into rows
here too (stdlib `html.parser`, `rowspan`/`colspan` kept as merged ranges).
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

from connectors.errors import BadInputError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def detect_text_encoding(data: bytes) -> str:
    """`utf-8-sig`, `utf-16` (with a BOM), `utf-16-le`/`utf-16-be` (without one, told by NUL bytes) or `utf-8`."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") * 3 >= len(head):
        # ASCII-heavy UTF-16 without BOM: every other byte is NUL
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        return "utf-16-be" if even_nuls > odd_nuls else "utf-16-le"
    return "utf-8"


def decode_text(data: bytes, *, file: str, source: str | None = None) -> tuple[str, str]:
    """(text, encoding name) of a delivered text file; BadInputError names the first byte that does not fit."""
    encoding = detect_text_encoding(data)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise BadInputError(file=file, source=source, found=f"bytes that are not {encoding} at byte {exc.start}",
                            expected="text in UTF-8 (with or without BOM) or UTF-16") from None


def sniff_delimiter(text: str) -> str:
    """The CSV delimiter of `text`: the one of `,` `;` tab that occurs most in the first line outside quotes."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {}
    for delimiter in (",", ";", "\t"):
        try:
            counts[delimiter] = len(next(csv.reader([first], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            counts[delimiter] = 0
    return max(counts, key=lambda d: (counts[d], d == ","))


def read_csv_rows(data: bytes, *, file: str, source: str | None = None) -> tuple[list[list[str]], str]:
    """Rows of a delimited text file as lists of cell texts (empty text for empty cells), and its encoding."""
    text, encoding = decode_text(data, file=file, source=source)
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise BadInputError(file=file, source=source, found=f"malformed CSV ({exc})",
                            expected="a CSV file with quoted fields closed") from None
    return rows, encoding


class _TableParser(HTMLParser):
    """Collects every <table> as rows of cell texts plus merged ranges from rowspan/colspan."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[list], list]] = []
        self._stack: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._stack.append({"rows": [], "merged": [], "taken": set(), "r": -1})
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1]["r"] += 1
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th"):
            t = self._stack[-1]
            if t["r"] < 0:
                t["r"] = 0
                t["rows"].append([])
            r = t["r"]
            c = 0
            while (r, c) in t["taken"]:
                c += 1
            rowspan = _span(attrs.get("rowspan"))
            colspan = _span(attrs.get("colspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    t["taken"].add((r + dr, c + dc))
            if rowspan > 1 or colspan > 1:
                t["merged"].append(((r, c), (r + rowspan - 1, c + colspan - 1)))
            t["cell_at"] = (r, c)
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if not self._stack:
            return
        if tag in ("td", "th") and self._cell is not None:
            t = self._stack[-1]
            r, c = t["cell_at"]
            while len(t["rows"]) <= r:
                t["rows"].append([])
            row = t["rows"][r]
            while len(row) <= c:
                row.append(None)
            text = "".join(self._cell).strip()
            row[c] = text or None
            self._cell = None
        elif tag == "table":
            t = self._stack.pop()
            self.tables.append((t["rows"], t["merged"]))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _span(value) -> int:
    try:
        return max(1, min(int(value), 1000))
    except (TypeError, ValueError):
        return 1


def read_html_tables(data: bytes, *, file: str, source: str | None = None) -> list[tuple[list[list], list]]:
    """Every <table> of an HTML file (e.g. an "Excel" export served as `.xls`): (rows, merged ranges)."""
    text, _ = decode_text(data, file=file, source=source)
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    if not parser.tables:
        raise BadInputError(file=file, source=source, found="an HTML page without a table",
                            expected="an HTML table (an Excel export saved as .xls)")
    return parser.tables


__all__ = ["decode_text", "detect_text_encoding", "read_csv_rows", "read_html_tables", "sniff_delimiter"]
