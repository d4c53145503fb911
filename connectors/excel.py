"""The one generic spreadsheet reader: a workbook + a `SheetLayout` -> canonical records with lineage.

Reads cell values with python-calamine (fast; merged ranges come with it for xlsx and xls, and are read
from content.xml for .ods), finds the sheet and its header by meaning (never by row number), forward-fills
merged header cells and joins header levels with ` / `, skips the ruler row (`A B 1 2 3=1+2`), reads the
sheet's unit line (`Đơn vị tính: Triệu đồng`), stops at the first fully empty row or the footer (`Người
lập biểu` …), and converts each mapped cell by its kind or its value vocabulary. Every record carries
`source_file`, `sheet`, `row_number` (1-based, as Excel shows it) and `raw_cells` (canonical column -> the
cell's text as found); `records.attrs` carries `column_labels` / `column_letters` (canonical column ->
header as typed / its letter), `columns_used`, `columns_ignored` and `reader_warnings` (columns nobody
declared, ignored and reported).

A file that does not fit raises one `BadInputError` listing every problem found (`problems`), each naming
file, sheet, row, the column by its header as typed and its letter, the value as typed and what was
expected. Formats are sniffed from the bytes (`sniff_format`), not trusted from the extension: xlsx,
BIFF `.xls`, `.ods`, an HTML table saved as `.xls`, CSV/tab text in UTF-8 or UTF-16. A sheet typed in a
legacy font (TCVN3, VNI) is converted as a whole and says so (`records.attrs["text_encoding"]`), while
`raw_cells` keep the text as found. Number text follows the layout's declared convention (`numbers: vi`).
"""

from __future__ import annotations

import difflib
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml.ElementTree
import pandas as pd
import python_calamine

from connectors.errors import BadInputError, Problem
from connectors.formulas import Evaluator, FormulaError, SheetFacts, xlsx_sheet_facts
from connectors.layout import ColumnSpec, FileLayout, SheetLayout, header_key
from connectors.legacy import UNICODE, detect_encoding, to_unicode
from connectors.textfile import detect_text_encoding, read_csv_rows, read_html_tables
from connectors.vn import (
    AmbiguousNumberError,
    cell_text,
    fold_accents,
    is_missing,
    money_factor,
    normalize_label,
    normalize_text,
    parse_bool,
    parse_date,
    parse_number,
    parse_period_line,
    parse_unit_line,
)

LINEAGE_COLUMNS = ["source_file", "sheet", "row_number"]
# No figure of a ward's report comes near this, in any unit (10^15 đồng is a thousand times the state
# budget); `1e308`, `inf` or NaN in a cell is a typing or export error, refused at the cell.
MAX_MAGNITUDE = 1e15

# Limits on a zipped workbook (xlsx, ods), checked from its directory before any XML is parsed, so a zip
# bomb is refused without being inflated. Real ward reports inflate 3-20x (large shared-string tables up to
# ~60x) and stay far below 100 MB; Apache POI refuses parts inflating more than 100x the same way.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024   # all parts together
MAX_INFLATE_RATIO = 100                      # per part, for parts over RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024              # tiny parts compress arbitrarily well, harmlessly
MAX_ZIP_PARTS = 10_000
_XML_HEAD_BYTES = 64 * 1024                  # a DTD must come before the root element

_MAGIC = (
    (b"PK\x03\x04", "xlsx"),  # also .ods, told apart below
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),  # OLE2 compound file (BIFF8)
)


def sniff_format(path: str | Path) -> str:
    """The real format of a spreadsheet file from its first bytes: xlsx, ods, xls, html, csv or unknown.

    Files named `.xls` are often xlsx zips or HTML tables; the extension is never trusted.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "xlsx" and b"mimetypeapplication/vnd.oasis.opendocument" in head[:200]:
                return "ods"
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 3 and head.count(b"\x00") * 3 >= len(head)):
        head = head.decode(detect_text_encoding(head), errors="ignore").encode("utf-8")  # UTF-16 text
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml", b"<meta", b"<head", b"<body")):
        return "html"
    if b"\x00" not in head and (b"," in head or b";" in head or b"\t" in head):
        return "csv"
    return "unknown"


@dataclass
class Grid:
    """One sheet's cells as a rectangle from A1 (0-based lists), with its merged ranges when known."""

    name: str
    rows: list[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None = None
    raw_rows: list[list] | None = None  # the cells as found, when `rows` were converted from a legacy font
    text_encoding: str = UNICODE          # unicode, tcvn3 or vni (what the texts were typed in)
    hidden_rows: set[int] = field(default_factory=set)  # rows hidden in the sheet (xlsx): never read
    # formulas saved without a result: computed ones (cell -> formula) and those that could not be
    # (cell -> (formula, why)); the reader refuses the latter when it needs the cell
    computed: dict[tuple[int, int], str] = field(default_factory=dict)
    uncomputed: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


class Workbook:
    """A spreadsheet opened for reading values; use as a context manager.

    Reads xlsx/xlsm, legacy BIFF `.xls` and `.ods` with python-calamine, an HTML table saved as `.xls`
    (one sheet per <table>, named `Table 1` …) and CSV/tab text in UTF-8 or UTF-16 (one sheet named after
    the file), always by the bytes, never by the extension. Sheets typed in a legacy Vietnamese font
    (TCVN3, VNI) are converted to Unicode and say so (`Grid.text_encoding`).
    """

    def __init__(self, path: str | Path, *, source: str | None = None):
        self.path = Path(path)
        self.source = source
        self.format = sniff_format(self.path)
        self._book = None
        self._tables: dict[str, Grid] = {}
        data = self.path.read_bytes()
        if self.format in ("xlsx", "ods"):
            check_zip_container(data, file=self.path.name, source=source)
        elif self.format == "xls":
            check_ole_container(data, file=self.path.name, source=source)
        if self.format in ("xlsx", "xls", "ods"):
            try:
                # from_filelike sniffs the content, so an xlsx named .xls opens as xlsx
                self._book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            except Exception as exc:  # calamine raises several private error types
                raise BadInputError(file=self.path.name, source=source, found="an unreadable workbook",
                                    expected="a readable Excel workbook", detail=type(exc).__name__) from None
        elif self.format == "html":
            for i, (rows, merged) in enumerate(read_html_tables(data, file=self.path.name, source=source), 1):
                self._tables[f"Table {i}"] = Grid(name=f"Table {i}", rows=rows, merged=merged)
        elif self.format == "csv":
            rows, _ = read_csv_rows(data, file=self.path.name, source=source)
            name = self.path.stem
            self._tables[name] = Grid(name=name, rows=[[c if c != "" else None for c in r] for r in rows])
        else:
            raise BadInputError(
                file=self.path.name, source=source,
                found="an empty file (0 bytes)" if not data else f"a {self.format} file",
                expected="an Excel workbook (.xlsx, .xls or .ods), an HTML table or a CSV file",
            )

    @property
    def hidden_sheets(self) -> set[str]:
        """Sheets hidden in the workbook (hidden or very hidden): never read."""
        if self._book is None:
            return set()
        try:
            return {m.name for m in self._book.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] != "Visible"}
        except Exception:  # metadata not available for this format
            return set()

    @property
    def sheet_names(self) -> list[str]:
        """The sheets (or HTML tables, or the one CSV sheet) in file order."""
        if self._book is not None:
            return list(self._book.sheet_names)
        return list(self._tables)

    def grid(self, name: str) -> Grid:
        """The cells of sheet `name`, texts in Unicode (converted from TCVN3/VNI when typed in those fonts).

        Read once per workbook (choosing the sheet and reading its table look at the same cells)."""
        cache = self.__dict__.setdefault("_grids", {})
        if name not in cache:
            cache[name] = self._read_grid(name)
        return cache[name]

    def _read_grid(self, name: str) -> Grid:
        if self._book is None:
            grid = self._tables[name]
        else:
            sheet = self._book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            try:
                merged = sheet.merged_cell_ranges
            except Exception:  # not available for every format
                merged = None
            if merged is None and self.format == "ods":
                merged = self._ods_merges().get(name)
            grid = Grid(name=name, rows=[list(r) for r in rows], merged=list(merged) if merged else None)
            if self.format == "xlsx":
                _apply_sheet_facts(grid, self._xlsx_facts().get(name))
        return _convert_legacy_text(grid, file=self.path.name, source=self.source)

    def _xlsx_facts(self) -> dict[str, SheetFacts]:
        if not hasattr(self, "_facts_cache"):
            self._facts_cache = xlsx_sheet_facts(self.path.read_bytes())
        return self._facts_cache

    def _ods_merges(self) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
        """Merged ranges of every sheet of an .ods (calamine gives none for ODF): read from content.xml."""
        if not hasattr(self, "_ods_cache"):
            self._ods_cache = ods_merged_ranges(self.path.read_bytes())
        return self._ods_cache

    def close(self) -> None:
        """Release the workbook."""
        if self._book is not None:
            self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _apply_sheet_facts(grid: Grid, facts: SheetFacts | None) -> None:
    """Hidden rows onto the grid, and each formula saved without a result computed into its cell (plain
    arithmetic over the sheet's cells) or listed as not computable."""
    if facts is None:
        return
    grid.hidden_rows = set(facts.hidden_rows)
    pending = dict(facts.formulas)
    visiting: set[tuple[int, int]] = set()

    def value_of(r: int, c: int):
        """A referenced cell as a formula sees it: a float, None (blank), TRUE/FALSE, or its text."""
        if (r, c) in pending:
            return compute(r, c)
        value = grid.rows[r][c] if r < len(grid.rows) and c < len(grid.rows[r]) else None
        if value is None or (isinstance(value, str) and not normalize_text(value)):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return float(value)
        if not isinstance(value, str):
            return cell_text(value)
        # numbers typed as text count as in Excel only when unambiguous; other text stays text
        try:
            number = parse_number(value, None)
        except ValueError:
            return normalize_text(value)
        return None if number is None else float(number)

    def compute(r: int, c: int) -> float | None:
        if (r, c) in grid.computed:
            return grid.rows[r][c]
        if (r, c) in grid.uncomputed:
            raise FormulaError("it refers to a formula that cannot be computed")
        if (r, c) in visiting:
            raise FormulaError("a circular reference")
        visiting.add((r, c))
        formula = pending[(r, c)]
        try:
            result = Evaluator(value_of).evaluate(formula)
        except FormulaError as exc:
            grid.uncomputed[(r, c)] = ("=" + formula, str(exc))
            raise
        finally:
            visiting.discard((r, c))
        while len(grid.rows) <= r:
            grid.rows.append([])
        row = grid.rows[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = result
        grid.computed[(r, c)] = "=" + formula
        return result

    for cell in list(pending):
        try:
            compute(*cell)
        except FormulaError:
            continue


_ODF_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def ods_merged_ranges(data: bytes) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Sheet name -> merged ranges ((row, col), (last row, last col)), 0-based, of an OpenDocument sheet.

    A merged cell carries `table:number-rows-spanned` / `table:number-columns-spanned`; repeated rows and
    cells (`…-repeated`) advance the position. Parsed with defusedxml (the container was checked first).
    """
    out: dict[str, list] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as fh:
            sheet, row, col, ranges = None, 0, 0, []
            for event, elem in defusedxml.ElementTree.iterparse(fh, events=("start", "end")):
                tag = elem.tag
                if tag == _ODF_TABLE + "table":
                    if event == "start":
                        sheet, row, ranges = elem.get(_ODF_TABLE + "name"), 0, []
                    else:
                        out[sheet] = ranges
                        elem.clear()
                elif tag == _ODF_TABLE + "table-row":
                    if event == "start":
                        col = 0
                    else:
                        row += int(elem.get(_ODF_TABLE + "number-rows-repeated", "1"))
                        elem.clear()
                elif tag in (_ODF_TABLE + "table-cell", _ODF_TABLE + "covered-table-cell") and event == "start":
                    rows = int(elem.get(_ODF_TABLE + "number-rows-spanned", "1"))
                    cols = int(elem.get(_ODF_TABLE + "number-columns-spanned", "1"))
                    if rows > 1 or cols > 1:
                        ranges.append(((row, col), (row + rows - 1, col + cols - 1)))
                    col += int(elem.get(_ODF_TABLE + "number-columns-repeated", "1"))
    except (KeyError, zipfile.BadZipFile, defusedxml.ElementTree.ParseError, ValueError):
        return {}
    return out


def check_zip_container(data: bytes, *, file: str, source: str | None = None) -> None:
    """Refuse a zipped workbook that is damaged, a zip bomb, or carries an XML DTD (entity bomb, XXE).

    Only the zip's directory and the first bytes of each XML part are read: sizes and ratios come from
    the directory (zipfile refuses a part that inflates beyond its declared size), and OOXML/ODF never
    use a DTD, so any `<!DOCTYPE`/`<!ENTITY` is refused through defusedxml before calamine parses a byte.
    """
    def refuse(found: str, expected: str, detail: str | None = None) -> BadInputError:
        return BadInputError(file=file, source=source, found=found, expected=expected, detail=detail)

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise refuse("a damaged or truncated zip container", "a complete Excel workbook (.xlsx)") from None
    if len(parts) > MAX_ZIP_PARTS:
        raise refuse(f"{len(parts)} parts in the zip container", f"at most {MAX_ZIP_PARTS} parts")
    total = sum(p.file_size for p in parts)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise refuse(f"{total / 2**20:,.0f} MB of uncompressed content (a zip bomb)",
                     f"at most {MAX_UNCOMPRESSED_BYTES // 2**20} MB uncompressed")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR_BYTES and ratio > MAX_INFLATE_RATIO:
            raise refuse(f"part {part.filename} inflating {ratio:,.0f} times (a zip bomb)",
                         f"parts that inflate at most {MAX_INFLATE_RATIO} times")
    for part in parts:
        if not part.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(part) as fh:
                head = fh.read(_XML_HEAD_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise refuse(f"a damaged part {part.filename}", "a complete Excel workbook (.xlsx)",
                         type(exc).__name__) from None
        if b"<!doctype" in head.lower() or b"<!entity" in head.lower():
            try:
                defusedxml.ElementTree.fromstring(head, forbid_dtd=True)
                reason = "DTD"
            except Exception as exc:  # DTDForbidden / EntitiesForbidden, or the head cut mid-element
                reason = type(exc).__name__
            raise refuse(f"an XML DTD or entity declarations in part {part.filename} (an entity bomb or "
                         "external entity)", "workbook XML without a DTD", reason)
    try:
        bad = archive.testzip()  # CRC of every part; bounded by the size limits above
    except (zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        bad, reason = "?", type(exc).__name__
    else:
        reason = "checksum mismatch"
    if bad is not None:
        raise refuse(f"a damaged part {bad} ({reason})", "a complete Excel workbook (.xlsx)")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_ole_container(data: bytes, *, file: str, source: str | None = None) -> None:
    """Refuse an OLE2 compound file that holds an encrypted (password-protected) workbook.

    Excel saves a password-protected xlsx as a compound file with the streams `EncryptionInfo` and
    `EncryptedPackage` (MS-OFFCRYPTO); their names sit UTF-16LE in the directory sectors.
    """
    if not data.startswith(_OLE_MAGIC):
        return
    if any(_is_directory_name(data, name) for name in ("EncryptedPackage", "EncryptionInfo")):
        raise BadInputError(file=file, source=source, found="a password-protected (encrypted) workbook",
                            expected="a workbook saved without a password (File > Info > Protect Workbook: "
                                     "remove the password)")


def _is_directory_name(data: bytes, name: str) -> bool:
    """True when `name` starts a 128-byte directory entry of the compound file (not just any text)."""
    needle = name.encode("utf-16-le") + b"\x00\x00"
    start = data.find(needle)
    while start != -1:
        if start >= 512 and (start - 512) % 128 == 0:
            return True
        start = data.find(needle, start + 1)
    return False


def _convert_legacy_text(grid: Grid, *, file: str, source: str | None) -> Grid:
    """The grid with its texts in Unicode: a sheet typed in TCVN3 or VNI is converted as a whole."""
    if grid.raw_rows is not None:
        return grid
    texts = [v for row in grid.rows for v in row if isinstance(v, str)]
    encoding, evidence = detect_encoding(texts)
    if encoding == UNICODE:
        return grid
    if encoding not in ("tcvn3", "vni"):
        raise BadInputError(file=file, source=source, sheet=grid.name,
                            found=f"text in an unrecognised legacy font encoding (evidence {evidence})",
                            expected="Unicode text, or text typed wholly in TCVN3 (.VnTime) or VNI (VNI-Times)")
    converted = [[to_unicode(v, encoding) if isinstance(v, str) else v for v in row] for row in grid.rows]
    return Grid(name=grid.name, rows=converted, merged=grid.merged, raw_rows=grid.rows, text_encoding=encoding)


@dataclass
class SheetTable:
    """The table read from one sheet: records plus what the reader learned about the sheet."""

    records: pd.DataFrame
    sheet: str
    column_labels: dict[str, str]
    header_row: int  # 1-based row of the first header row
    unit_text: str | None = None
    unit_factor: float | None = None
    period: str | None = None  # from a `Tháng 8 năm 2025` line above the header, when present
    preamble: list[str] = field(default_factory=list)  # texts above the header (title, period, unit)
    unmapped_labels: list[str] = field(default_factory=list)
    text_encoding: str = UNICODE  # tcvn3 / vni when the sheet was converted from a legacy font


_RULER_TOKEN = re.compile(r"^(?:[a-zđ]|\d{1,3}|\(\d{1,3}\)|\(?\d{1,3}\s*=\s*[\d\s+\-*/x×()]+\)?)$")


def is_ruler_row(values: list) -> bool:
    """True for a column-number ruler under a header: `A B C 1 2 3 6=4/2 …`, nothing else.

    Letters must run on (A, B, C …) and numbers count up by one (1, 2, 3 …; `6=4/2` counts as 6), so
    a data row such as `1 | a | 1 | 1` is never taken for a ruler.
    """
    tokens = [normalize_label(cell_text(v)) for v in values if not _is_blank(v)]
    if len(tokens) < 2 or not all(_RULER_TOKEN.match(t) for t in tokens):
        return False
    letters = [t for t in tokens if t.isalpha()]
    numbers = [int(re.match(r"\(?(\d+)", t).group(1)) for t in tokens if not t.isalpha()]
    if not numbers:
        return False
    if any(ord(b) - ord(a) != 1 for a, b in zip(letters, letters[1:], strict=False)):
        return False
    return all(b - a == 1 for a, b in zip(numbers, numbers[1:], strict=False))


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not normalize_text(value))


def _row_is_empty(values: list) -> bool:
    return all(_is_blank(v) for v in values)


def header_levels(grid: Grid, start: int, depth: int) -> list[list[str]]:
    """The header levels of every column for a header occupying rows `start .. start+depth-1` (0-based).

    Merged ranges are filled from their top-left cell; where merge information is missing, an empty upper
    header cell above a sub-header is filled from the left (a group spanning columns). A level repeated
    (a vertical merge) is kept once.
    """
    width = grid.width
    block = [
        [normalize_text(cell_text(v)) for v in (grid.rows[r] + [None] * (width - len(grid.rows[r])))]
        for r in range(start, min(start + depth, len(grid.rows)))
    ]
    depth = len(block)
    for (r0, c0), (r1, c1) in grid.merged or []:
        if r1 < start or r0 >= start + depth:
            continue
        top = grid.rows[r0][c0] if r0 < len(grid.rows) and c0 < len(grid.rows[r0]) else None
        text = normalize_text(cell_text(top))
        for r in range(max(r0, start), min(r1, start + depth - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if not block[r - start][c]:
                    block[r - start][c] = text
    for i in range(depth - 1):
        row, below = block[i], block[i + 1]
        for c in range(1, width):
            if not row[c] and below[c] and row[c - 1] and below[c - 1]:
                row[c] = row[c - 1]
    levels = []
    for c in range(width):
        parts: list[str] = []
        for i in range(depth):
            part = block[i][c]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        levels.append(parts)
    return levels


def header_labels(grid: Grid, start: int, depth: int) -> list[str]:
    """Labels of every column (see `header_levels`), levels joined with ` / `."""
    return [" / ".join(parts) for parts in header_levels(grid, start, depth)]


def _match_columns(levels: list[list[str]], layout: SheetLayout
                   ) -> tuple[dict[str, int], dict[str, list[int]], list[int], list[int]]:
    """Which column holds each canonical column, by its header's meaning.

    Returns (canonical -> 0-based column, canonical -> the other columns claiming it just as strongly
    (ambiguous: two columns, one meaning), known columns not read, unknown columns). The strongest
    matches are claimed first: an exact spelling on the full header path, then on a tail of it (the
    leaf of a grouped header), then patterns.
    """
    labels = [" / ".join(parts) for parts in levels]
    specs = {spec.name: spec for spec in layout.columns}
    strengths = {spec.name: [spec.matcher.match_strength(labels[c], levels[c]) for c in range(len(levels))]
                 for spec in layout.columns}
    claimed: dict[int, str] = {}
    mapping: dict[str, int] = {}
    twins: dict[str, list[int]] = {}
    for strength in (4, 3, 2, 1):
        for spec in layout.columns:
            if spec.name in mapping:
                continue
            hits = [c for c, k in enumerate(strengths[spec.name]) if k == strength and c not in claimed]
            if hits:
                mapping[spec.name] = hits[0]
                claimed[hits[0]] = spec.name
                if len(hits) > 1 and not spec.informative:
                    twins[spec.name] = hits[1:]
                    claimed.update({c: spec.name for c in hits[1:]})
    for family in layout.families:
        for c, parts in enumerate(levels):
            if c in claimed or not parts:
                continue
            name = family.match(labels[c], parts)
            if name and name not in mapping:
                mapping[name] = c
                claimed[c] = name
            elif name:
                twins.setdefault(name, []).append(c)
                claimed[c] = name
    known, unknown = [], []
    for c, parts in enumerate(levels):
        if not parts or c in claimed:
            continue
        if any(m.match_strength(labels[c], parts) for m in layout.known):
            known.append(c)
            continue
        # a column that would mean what another column already holds, only more weakly (a grouped
        # `… / Lũy kế từ đầu năm` beside a plain `Lũy kế từ đầu năm`): which one holds the figures?
        rival = next((name for name, k in strengths.items()
                      if k[c] and name in mapping and not specs[name].informative), None)
        if rival is not None:
            twins.setdefault(rival, []).append(c)
        else:
            unknown.append(c)
    return mapping, twins, known, unknown


def _find_header(grid: Grid, layout: SheetLayout) -> int | None:
    """The first header row: a row whose labels carry every `detect` meaning (the common case, cheap);
    failing that, the row (with the levels below it, for a grouped header) that carries the most
    required columns, at least half of them: a header lacking a required column is still found, so the
    refusal names the missing column at the header rather than "no header"."""
    rows = range(min(layout.search_rows, len(grid.rows)))
    for r in rows:
        labels = [normalize_text(cell_text(v)) for v in grid.rows[r]]
        if all(any(m.match_strength(x) for x in labels if x) for m in layout.header_labels):
            return r
    required = [spec for spec in layout.columns if spec.required]
    best, best_score = None, (0, 0)
    for r in rows:
        own = [c for c, v in enumerate(grid.rows[r]) if not _is_blank(v)]
        if len(own) < 2:
            continue
        for depth in range(1, layout.max_header_rows + 1):
            mapping, _, known, _ = _match_columns(header_levels(grid, r, depth), layout)
            # required columns found, then how many recognised columns are headed in row r itself (a
            # header's first row heads most columns; a title or a sub-header row few)
            score = (sum(1 for spec in required if spec.name in mapping),
                     len(set(own) & (set(mapping.values()) | set(known))))
            if score > best_score:
                best, best_score = r, score
    if best is not None and best_score[0] >= max(1, len(required) // 2) and best_score[1] >= 2:
        return best
    return None


_DRAFT_NAMES = re.compile(r"\b(nhap|draft|ban sao|copy|cu|old|tmp|temp|test|thu nghiem|backup|sao luu)\b")
_SHEET_MONTH = (re.compile(r"^(?:.*\b)?(?:thang|t)\s*0?(\d{1,2})(?:\s*(?:nam\s*)?(\d{4}))?\b"),
                re.compile(r"^(?:.*\b)?0?(\d{1,2})\s+(\d{4})\b"))


def sheet_period(book: Workbook, name: str, search_rows: int = 12) -> tuple[int | None, int | None]:
    """(month, year) a sheet claims: from a period line in its top rows (`Tháng 12 năm 2025`), else from
    its name (`T12`, `Tháng 12`, `12-2025`); (None, None) when it names none."""
    for row in book.grid(name).rows[:search_rows]:
        for v in row:
            found = parse_period_line(cell_text(v)) if isinstance(v, str) else None
            if found:
                return int(found[5:]), int(found[:4])
    folded = " ".join(re.sub(r"[^a-z0-9]+", " ", fold_accents(name)).split())
    for pattern in _SHEET_MONTH:
        m = pattern.match(folded)
        if m and 1 <= int(m.group(1)) <= 12:
            return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)
    return None, None


def _claims(book: Workbook, layout: SheetLayout, name: str) -> bool:
    """True when a sheet is one of the layout's: by its name, or by a title in its top rows."""
    if normalize_label(name) in {normalize_label(n) for n in layout.select.names}:
        return True
    patterns = [re.compile(normalize_label(p)) for p in layout.select.title_patterns]
    if not patterns:
        return False
    for row in book.grid(name).rows[: layout.search_rows]:
        for v in row:
            text = normalize_label(cell_text(v)) if isinstance(v, str) else ""
            if text and any(p.search(text) for p in patterns):
                return True
    return False


def choose_sheet(book: Workbook, layout: SheetLayout, period: str | None = None
                 ) -> tuple[str | None, list[Problem]]:
    """The sheet a layout applies to, and the notes on the sheets passed over.

    Hidden sheets are never read, nor sheets named as drafts or copies (`Nháp`, `Bản sao`, `cũ` …). Of the
    visible sheets that are the layout's (by name or title; a lone sheet too, where the layout allows),
    a workbook with a sheet per month gives the one of `period` (by its title line or its name); two
    visible sheets claiming the period are refused naming both. Sheets of other months are passed over.
    """
    file, source = book.path.name, book.source
    notes: list[Problem] = []
    visible = []
    for name in book.sheet_names:
        if name in book.hidden_sheets:
            notes.append(Problem(file=file, source=source, sheet=name, expected="", severity="warning",
                                 note_vi="trang ẩn, không đọc", note_en="a hidden sheet, not read"))
        elif _DRAFT_NAMES.search(" ".join(re.sub(r"[^a-z0-9]+", " ", fold_accents(name)).split())):
            notes.append(Problem(file=file, source=source, sheet=name, expected="", severity="warning",
                                 note_vi="trang nháp hoặc bản sao, không đọc",
                                 note_en="a draft or copy sheet, not read"))
        else:
            visible.append(name)
    candidates = [n for n in visible if _claims(book, layout, n)]
    if not candidates and layout.select.only_sheet and len(visible) == 1:
        candidates = visible
    if len(candidates) <= 1 or period is None:
        return (candidates[0] if candidates else None), notes
    year, month = int(period[:4]), int(period[5:7])
    claims = {n: sheet_period(book, n, layout.search_rows) for n in candidates}
    of_period = [n for n, (m, y) in claims.items() if m == month and y in (None, year)]
    undated = [n for n, (m, _) in claims.items() if m is None]
    if len(of_period) > 1:
        raise BadInputError(file=file, source=source, sheet=of_period[0],
                            found=f"{len(of_period)} visible sheets for {month:02d}/{year}: "
                                  + ", ".join(f"'{n}'" for n in of_period),
                            expected="one sheet per month: hide, delete or rename the outdated one",
                            expected_vi="mỗi tháng một trang: ẩn, xóa hoặc đổi tên trang cũ")
    chosen = of_period[0] if of_period else (undated[0] if len(undated) == 1 else None)
    if chosen is None:
        raise BadInputError(file=file, source=source,
                            found=", ".join(f"'{n}'" for n in candidates),
                            expected=f"a sheet for {month:02d}/{year} (by its name or its title line "
                                     f"'Tháng {month} năm {year}')",
                            expected_vi=f"một trang của tháng {month:02d}/{year} (theo tên trang hoặc dòng "
                                        f"'Tháng {month} năm {year}')")
    for name in candidates:
        if name != chosen:
            notes.append(Problem(file=file, source=source, sheet=name, expected="", severity="warning",
                                 note_vi="trang của kỳ khác, không đọc", note_en="a sheet of another period, not read"))
    return chosen, notes


def select_sheet(book: Workbook, layout: SheetLayout, period: str | None = None) -> str | None:
    """The sheet a layout applies to (see `choose_sheet`), without the notes."""
    return choose_sheet(book, layout, period)[0]


def _convert(value, kind: str, factor: float | None, convention: str | None = "vi"):
    """A cell's value in its canonical kind; ValueError with the expectation when it does not fit."""
    if kind == "text":
        text = normalize_text(cell_text(value))
        return text or None
    if kind == "cell":
        if isinstance(value, str):
            text = normalize_text(value)
            return text or None
        return value if value != "" else None
    if kind in ("number", "percent", "integer", "money"):
        try:
            number = parse_number(value, convention)
        except AmbiguousNumberError:
            raise ValueError("an unambiguous number: '.' or ',' before three digits may group thousands or "
                             "mark decimals, and the layout declares no number convention") from None
        except ValueError:
            raise ValueError(("a number", "một số")) from None
        if number is None:
            return None
        if not math.isfinite(number) or abs(number) >= MAX_MAGNITUDE:
            raise ValueError((f"a figure below {MAX_MAGNITUDE:.0e} in size (an absurd magnitude, an overflow "
                              "or a #NUM! error)", f"một con số nhỏ hơn {MAX_MAGNITUDE:.0e} (giá trị vô lý, "
                              "tràn số hoặc lỗi #NUM!)"))
        if kind == "integer" and not float(number).is_integer():
            raise ValueError(("a whole number", "một số nguyên"))
        if kind == "money":
            # rounded to 1/10000 đồng so that 189038.9 million is exactly 189038900000 VND
            return round(number * (factor if factor is not None else 1.0), 4)
        return number
    if kind == "date":
        try:
            return parse_date(value)
        except ValueError:
            raise ValueError(("a date dd/mm/yyyy", "một ngày dd/mm/yyyy")) from None
    if kind == "bool":
        try:
            return parse_bool(value)
        except ValueError:
            raise ValueError(("yes or no", "có hoặc không")) from None
    raise ValueError(f"a value of kind {kind}")


def _is_footer(values: list, layout: SheetLayout) -> bool:
    for v in values:
        if _is_blank(v) or not isinstance(v, str):
            continue
        text = normalize_label(v)
        if any(text.startswith(f) for f in layout.footer):
            return True
        if any(re.search(normalize_label(p), text) for p in layout.footer_patterns):
            return True
    return False


def read_sheet(book: Workbook, layout: SheetLayout, *, sheet_name: str | None = None,
               period: str | None = None) -> SheetTable | None:
    """Read the table `layout` describes from an open workbook; None when an optional sheet is absent.

    Every problem of the sheet is collected (missing or doubled columns, then every cell that does not
    fit) and raised together as one `BadInputError`; columns nobody declared are ignored and reported as
    warnings (`records.attrs["reader_warnings"]`).
    """
    file = book.path.name
    source = book.source
    sheet_notes: list[Problem] = []
    name = sheet_name
    if name is None:
        name, sheet_notes = choose_sheet(book, layout, period)
    if name is None:
        if not layout.required:
            return None
        raise BadInputError(
            file=file, source=source, found=book.sheet_names,
            expected=f"a sheet named '{layout.select.names[0]}'" if layout.select.names
            else f"a sheet for {layout.title}",
            expected_vi=f"một trang tên '{layout.select.names[0]}'" if layout.select.names
            else f"một trang {layout.title}",
        )
    grid = book.grid(name)
    start = _find_header(grid, layout)
    if start is None:
        wanted = ", ".join(f"'{m.describe()}'" for m in layout.header_labels)
        raise BadInputError(file=file, source=source, sheet=name, found="no such row",
                            expected=f"a header row with the labels {wanted} in the first "
                                     f"{layout.search_rows} rows",
                            expected_vi=f"một dòng tiêu đề có các cột {wanted} trong {layout.search_rows} "
                                        "dòng đầu")

    depth, ruler_at = _header_depth(grid, layout, start)
    levels = header_levels(grid, start, depth)
    labels = [" / ".join(parts) for parts in levels]
    layout_version, layout = layout.version_for(labels)
    mapping, twins, known, unknown = _match_columns(levels, layout)
    problems = _column_problems(labels, mapping, twins, layout, file=file, source=source, sheet=name,
                                row=start + 1)
    warnings = [Problem(file=file, source=source, sheet=name, row=start + 1, column=labels[c],
                        letter=column_letter(c), expected="", severity="warning",
                        note_vi="cột không có trong biểu mẫu, không dùng",
                        note_en="a column the form does not have, not used") for c in unknown]

    preamble = [normalize_text(cell_text(v)) for row in grid.rows[:start] for v in row if not _is_blank(v)]
    unit_text = None
    for text in preamble:
        unit_text = parse_unit_line(text)
        if unit_text is not None:
            break
    period = next((p for p in map(parse_period_line, preamble) if p), None)
    factor = None
    specs = {spec.name: spec for spec in layout.columns}
    kinds = {spec.name: spec.kind for spec in layout.columns}
    for family in layout.families:
        for col in mapping:
            if col not in kinds:
                kinds[col] = family.kind
    uses_money = any(kinds[c] == "money" for c in mapping)
    if uses_money and layout.unit_line != "none":
        if unit_text is None:
            if layout.unit_line == "required":
                problems.append(Problem(file=file, source=source, sheet=name, row=start, found="no unit line",
                                        expected="a line 'Đơn vị tính: …' above the header",
                                        expected_vi="một dòng 'Đơn vị tính: …' phía trên dòng tiêu đề"))
        else:
            try:
                factor = money_factor(unit_text)
            except ValueError:
                factor = None
            if factor is None:
                problems.append(Problem(file=file, source=source, sheet=name, found=f"Đơn vị tính: {unit_text}",
                                        expected="a money unit: đồng, nghìn đồng, triệu đồng or tỷ đồng",
                                        expected_vi="một đơn vị tiền: đồng, nghìn đồng, triệu đồng hoặc tỷ đồng"))
    if any(p.severity == "error" for p in problems):
        raise BadInputError(problems=problems)

    first = (ruler_at + 1) if ruler_at is not None else start + depth
    fill = _group_fills(grid, mapping, specs, first)
    out: dict[str, list] = {c: [] for c in mapping}
    raw_cells: list[dict[str, str]] = []
    row_numbers: list[int] = []
    seen_data = False
    blank_rows: list[int] = []   # blank rows inside the table (0-based), skipped
    hidden_rows: list[int] = []  # hidden rows inside the table, skipped
    pending_blank: list[int] = []
    raw_grid = grid.raw_rows if grid.raw_rows is not None else grid.rows
    for r in range(first, len(grid.rows)):
        values = grid.rows[r]
        raw_values = raw_grid[r]
        if _row_is_empty(values):
            if seen_data:
                pending_blank.append(r)
            continue
        if _is_footer(values, layout):
            break
        if not seen_data and layout.ruler and is_ruler_row(values):
            continue
        if pending_blank and _is_trailing_note(values, mapping):
            # after a gap, a lone text (a note under the table) ends it: the table is what came before
            break
        if r in grid.hidden_rows:
            hidden_rows.append(r)
            continue
        seen_data = True
        blank_rows += pending_blank
        pending_blank = []
        raw = {}
        for col, c in mapping.items():
            value = values[c] if c < len(values) else None
            source_cell = raw_values[c] if c < len(raw_values) else None
            if _is_blank(value) and (r, c) in fill:
                value = source_cell = fill[(r, c)]
            raw[col] = grid.computed.get((r, c)) or cell_text(source_cell)
            if (r, c) in grid.uncomputed:
                formula, why = grid.uncomputed[(r, c)]
                out[col].append(None)
                problems.append(Problem(
                    file=file, source=source, sheet=name, row=r + 1, column=labels[c], letter=column_letter(c),
                    found=formula, detail=why,
                    expected="a figure: the formula was saved without its result and is not plain arithmetic "
                             "(open the file in Excel or LibreOffice and save it again, or type the figure)",
                    expected_vi="một con số: công thức được lưu mà không có kết quả và không phải phép tính đơn "
                                "giản (mở tệp bằng Excel/LibreOffice rồi lưu lại, hoặc nhập số)"))
                continue
            spec = specs.get(col)
            try:
                if spec is not None and spec.values:
                    out[col].append(_canonical_value(value, spec))
                else:
                    out[col].append(_convert(value, kinds[col], factor, layout.number_convention))
            except ValueError as exc:
                out[col].append(None)
                expected, expected_vi = exc.args[0] if isinstance(exc.args[0], tuple) else (str(exc), None)
                # the value as the person sees it (a legacy-font cell as its font shows it)
                shown = grid.computed.get((r, c)) or cell_text(value)
                problems.append(Problem(file=file, source=source, sheet=name, row=r + 1, column=labels[c],
                                        letter=column_letter(c), found=shown, expected=expected,
                                        expected_vi=expected_vi))
        raw_cells.append(raw)
        row_numbers.append(r + 1)
    for rows, vi, en in ((blank_rows, "dòng trống trong bảng, bỏ qua", "a blank row inside the table, skipped"),
                         (hidden_rows, "dòng ẩn trong bảng, không đọc", "a hidden row inside the table, not read")):
        if rows:
            listed = ", ".join(str(r + 1) for r in rows)
            warnings.append(Problem(file=file, source=source, sheet=name, row=rows[0] + 1, expected="",
                                    severity="warning", note_vi=f"{vi} (dòng {listed})",
                                    note_en=f"{en} (rows {listed})"))
    for (r, c), formula in sorted(grid.computed.items()):
        if r >= first and r + 1 in set(row_numbers) and c in mapping.values():
            warnings.append(Problem(file=file, source=source, sheet=name, row=r + 1, column=labels[c],
                                    letter=column_letter(c), expected="", severity="warning",
                                    note_vi=f"công thức {formula} được lưu không có kết quả; đã tính lại",
                                    note_en=f"the formula {formula} was saved without its result; computed"))
    if problems:
        raise BadInputError(problems=problems)

    data = {}
    for spec in layout.columns:
        data[spec.name] = _column(out.get(spec.name), spec.kind, len(row_numbers))
    for col in mapping:
        if col not in data:
            data[col] = _column(out[col], kinds[col], len(row_numbers))
    records = pd.DataFrame(data)
    records["source_file"] = file
    records["sheet"] = name
    records["row_number"] = pd.Series(row_numbers, dtype="int64")
    records["raw_cells"] = pd.Series(raw_cells, dtype="object")
    column_labels = {col: labels[c] for col, c in mapping.items()}
    records.attrs["column_labels"] = column_labels
    records.attrs["column_letters"] = {col: column_letter(c) for col, c in mapping.items()}
    records.attrs["columns_used"] = [{"name": col, "header": labels[c], "letter": column_letter(c)}
                                     for col, c in sorted(mapping.items(), key=lambda kv: kv[1])]
    records.attrs["columns_ignored"] = [{"header": labels[c], "letter": column_letter(c), "known": c in known}
                                        for c in sorted(known + unknown)]
    records.attrs["reader_warnings"] = [w.to_dict() for w in sheet_notes + warnings]
    records.attrs["value_sets"] = {spec.name: spec.canonical_values for spec in layout.columns if spec.values}
    records.attrs["unit_text"] = unit_text
    records.attrs["unit_factor"] = factor
    records.attrs["period"] = period
    records.attrs["text_encoding"] = grid.text_encoding
    records.attrs["file_format"] = book.format
    records.attrs["unmapped_labels"] = [labels[c] for c in unknown]
    records.attrs["layout_version"] = layout_version
    records.attrs["header_row"] = start + 1
    return SheetTable(records=records, sheet=name, column_labels=column_labels, header_row=start + 1,
                      unit_text=unit_text, unit_factor=factor, period=period, preamble=preamble,
                      unmapped_labels=[labels[c] for c in unknown], text_encoding=grid.text_encoding)


def _is_trailing_note(values: list, mapping: dict[str, int]) -> bool:
    """A row after a gap that holds at most one text in the table's columns and no number: a note."""
    cells = [values[c] for c in mapping.values() if c < len(values) and not _is_blank(values[c])]
    return len(cells) <= 1 and not any(isinstance(v, int | float) and not isinstance(v, bool) for v in cells)


def _canonical_value(value, spec: ColumnSpec) -> str | None:
    """The canonical value a cell spells in its column's vocabulary; None when blank."""
    if _is_blank(value) or is_missing(value):
        return None
    canonical = spec.canonical_value(value)
    if canonical is None:
        choices = spec.canonical_values
        listed = ", ".join(f"'{c}'" for c in choices[:-1]) + f" or '{choices[-1]}'" if len(choices) > 1 \
            else f"'{choices[0]}'"
        listed_vi = listed.replace(" or ", " hoặc ")
        raise ValueError((listed, listed_vi))
    return canonical


def _group_fills(grid: Grid, mapping: dict[str, int], specs: dict[str, ColumnSpec], first: int
                 ) -> dict[tuple[int, int], object]:
    """(row, column) -> value for the data cells of group-key columns covered by a vertical merge: a
    station code merged down over its criteria rows belongs to each of them."""
    columns = {c for col, c in mapping.items() if col in specs and specs[col].group_key}
    fills: dict[tuple[int, int], object] = {}
    for (r0, c0), (r1, c1) in grid.merged or []:
        if r1 <= r0 or r1 < first:
            continue
        for c in range(c0, c1 + 1):
            if c not in columns:
                continue
            top = grid.rows[r0][c0] if r0 < len(grid.rows) and c0 < len(grid.rows[r0]) else None
            for r in range(max(r0 + 1, first), r1 + 1):
                fills[(r, c)] = top
    return fills


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_problems(labels: list[str], mapping: dict[str, int], twins: dict[str, list[int]],
                     layout: SheetLayout, *, file: str, source: str | None, sheet: str, row: int
                     ) -> list[Problem]:
    """A required column missing (with the closest header found) or two columns claiming one meaning."""
    problems = []
    keys = {c: header_key(label) for c, label in enumerate(labels) if label}
    for spec in layout.columns:
        if not spec.required or spec.name in mapping:
            continue
        wanted = spec.matcher.describe()
        closest = None
        best = 0.0
        for key in spec.matcher.keys() or [header_key(wanted)]:
            for c, found in keys.items():
                if c in mapping.values():
                    continue
                ratio = difflib.SequenceMatcher(None, key, found).ratio()
                if ratio > best:
                    best, closest = ratio, c
        hint_en = hint_vi = ""
        if closest is not None and best >= 0.6:
            hint_en = f"; the closest header is '{labels[closest]}' (column {column_letter(closest)})"
            hint_vi = f"; cột gần nhất là '{labels[closest]}' (cột {column_letter(closest)})"
        problems.append(Problem(
            file=file, source=source, sheet=sheet, row=row, column=wanted,
            found=[x for x in labels if x], expected=f"a column headed '{wanted}'{hint_en}",
            expected_vi=f"một cột tên '{wanted}'{hint_vi}"))
    specs = {spec.name: spec for spec in layout.columns}
    for name, others in twins.items():
        first = mapping[name]
        columns = [first, *others]
        listed = ", ".join(f"{column_letter(c)} '{labels[c]}'" for c in columns)
        meaning = specs[name].matcher.describe() if name in specs else labels[first]
        problems.append(Problem(
            file=file, source=source, sheet=sheet, row=row, column=labels[first], letter=column_letter(first),
            found=f"{len(columns)} columns with one meaning ({listed})",
            expected=f"one column '{meaning}': remove or rename the others",
            expected_vi=f"một cột '{meaning}' duy nhất: xóa hoặc đổi tên các cột còn lại"))
    return problems


def _header_depth(grid: Grid, layout: SheetLayout, start: int) -> tuple[int, int | None]:
    """(header depth, 0-based ruler row or None): bounded by the ruler, else the depth that maps best."""
    if layout.ruler:
        for k in range(1, layout.max_header_rows + 1):
            r = start + k
            if r < len(grid.rows) and is_ruler_row(grid.rows[r]):
                return k, r
    best, best_score = 1, (-1, -1)
    for depth in range(1, layout.max_header_rows + 1):
        if start + depth > len(grid.rows):
            break
        mapping, _, known, _ = _match_columns(header_levels(grid, start, depth), layout)
        required = sum(1 for s in layout.columns if s.required and s.name in mapping)
        score = (required, len(mapping) + len(known))
        if score > best_score:
            best, best_score = depth, score
    return best, None


def _column(values: list | None, kind: str, n: int) -> pd.Series:
    if values is None:
        values = [None] * n
    if kind in ("number", "percent", "integer", "money"):
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if kind == "date":
        return pd.Series(pd.to_datetime([v if v is not None else pd.NaT for v in values]),
                         dtype="datetime64[ns]")
    if kind == "bool":
        return pd.Series(values, dtype="boolean")
    return pd.Series(values, dtype="object")


def read_workbook(path: str | Path, layout: FileLayout, period: str | None = None) -> dict[str, SheetTable]:
    """Every sheet a `FileLayout` declares, read from the workbook at `path` (absent optional ones omitted).

    The problems of every sheet are raised together.
    """
    tables: dict[str, SheetTable] = {}
    problems: list[Problem] = []
    with Workbook(path, source=layout.source) as book:
        for key, sheet_layout in layout.sheets.items():
            try:
                table = read_sheet(book, sheet_layout, period=period)
            except BadInputError as exc:
                problems.extend(exc.problems)
                continue
            if table is not None:
                tables[key] = table
    if problems:
        raise BadInputError(problems=problems)
    return tables


def check_period(records: pd.DataFrame, period: str, *, source: str | None = None) -> None:
    """Refuse records whose sheet names another month (`Tháng 11 năm 2025` delivered as 2025-12).

    Uses `records.attrs["period"]` (the period line above the header); silent when the sheet has none.
    """
    found = records.attrs.get("period")
    if found and found != period:
        file = str(records["source_file"].iloc[0]) if len(records) else "?"
        sheet = records["sheet"].iloc[0] if len(records) else None
        month, year = int(found[5:]), int(found[:4])
        raise BadInputError(file=file, source=source, sheet=sheet, found=f"Tháng {month} năm {year}",
                            expected=f"the report of {period} (the delivery's month)")


def iter_raw_cells(records: pd.DataFrame, column: str) -> Iterator[str]:
    """The raw text of `column` for each record (empty text when the reader did not see the column)."""
    for cells in records.get("raw_cells", pd.Series([{}] * len(records))):
        yield (cells or {}).get(column, "") if isinstance(cells, dict) else ""


def column_label(records: pd.DataFrame, column: str) -> str:
    """The header label `column` was read from (the canonical name when unknown)."""
    return (records.attrs.get("column_labels") or {}).get(column, column)


__all__ = [
    "LINEAGE_COLUMNS", "Grid", "SheetTable", "Workbook", "check_ole_container", "check_period",
    "check_zip_container", "column_label", "column_letter", "header_labels",
    "is_ruler_row", "iter_raw_cells", "read_sheet", "read_workbook", "select_sheet", "sniff_format",
]
