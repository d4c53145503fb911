"""Deliveries as data, and their files.

A workbook is a `Book` of `Sheet`s. A sheet is its table, column by column (`Col`: the header as a path of
levels, top to leaf, and one cell per data row), with the lines above the header (`above`: issuing body,
title, period line, unit line …) and below the table (`below`: place and date, signatures), each line a
list of (anchor, text). Rendering places every piece the way a ward office's workbook has it: header
levels merged across their group, a single-level column merged down the header's depth, a ruler row,
one empty row before the footer. It also returns where each column and data row landed (`Placed`), so a
harmful test knows the cell (row as Excel shows it, column letter) of every value it planted.

Files: `write_xlsx` (openpyxl), `write_html` (an HTML table as a web system serves it, named `.xls`), and
`convert_with_libreoffice` (every BIFF `.xls` / `.ods` of a test session in one `soffice` call per format).

A dossier export is an `Export`: canonical records plus how they are written (CSV or JSON, column order
and header spellings, value spellings, encoding).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import html
import io
import json
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook


# ----------------------------------------------------------------------------------------------- workbooks
@dataclass
class Col:
    """One column of a table: its meaning (`key`), its header as typed (levels, top to leaf) and its cells."""

    key: str                      # canonical meaning ('th_thang', 'ket_luan' …) or 'extra:<name>'
    path: list[str]               # header levels as typed, top level first
    cells: list                   # one value per data row: str, int, float, date, datetime or None
    role: str = "optional"        # required | optional | extra (unknown to the product)
    kind: str = "text"            # text | number | int | date (what the cells hold; drives transformations)
    decimals: int = 0             # display decimals of a number column (Vietnamese text, number format)
    ruler: str | None = None      # this column's token in the base ruler row (A, B, 1, 6=4/2 …)
    group_key: bool = False       # equal consecutive cells are merged down (a station code over its rows)


@dataclass
class Line:
    """A line above or below the table: (anchor, text) pairs; anchors left, right, center, last or an index."""

    role: str
    cells: list[tuple[object, object]] = field(default_factory=list)


@dataclass
class Sheet:
    key: str                      # the layout's sheet ('thu_nsnn', 'tieu_chi', 'mau_2a' …)
    name: str
    above: list[Line]
    cols: list[Col]
    below: list[Line]
    ruler: str = "base"           # base | numbers | paren | letters_numbers | none
    gap: int = 1                  # empty rows between the last data row and the footer
    across: list[tuple[int, str, str]] = field(default_factory=list)  # (data row, first key, last key) merged

    @property
    def n(self) -> int:
        return len(self.cols[0].cells) if self.cols else 0

    def col(self, key: str) -> Col:
        for c in self.cols:
            if c.key == key:
                return c
        raise KeyError(f"{self.key}: no column {key!r} (have {[c.key for c in self.cols]})")

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.cols)

    def index(self, key: str) -> int:
        return [c.key for c in self.cols].index(key)

    def line(self, role: str) -> Line | None:
        for line in self.above + self.below:
            if line.role == role:
                return line
        return None

    def renumber_ruler(self) -> None:
        """After columns moved, came or went, a base ruler (A B C 1 2 …) no longer counts: renumber it."""
        if self.ruler == "base":
            self.ruler = "numbers"


@dataclass
class Book:
    source: str
    sheets: list[Sheet]
    fmt: str = "xlsx"             # xlsx | xls | ods | html | xlsx_named_xls
    extra_sheets: list[tuple[int, str, list[list]]] = field(default_factory=list)  # (position, name, rows)

    def sheet(self, key: str) -> Sheet:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(key)

    def copy(self) -> Book:
        return copy.deepcopy(self)

    @property
    def suffix(self) -> str:
        return {"xlsx": ".xlsx", "xls": ".xls", "ods": ".ods", "html": ".xls", "xlsx_named_xls": ".xls"}[self.fmt]


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class Placed:
    """Where a sheet's pieces landed (1-based rows as Excel shows them)."""

    sheet: str
    header_rows: tuple[int, int]
    letters: dict[str, str]       # column key -> letter
    headers: dict[str, list[str]]  # column key -> header path as typed
    data_rows: list[int]          # data row i -> Excel row
    grid: list[list]
    merges: list[tuple[int, int, int, int]]  # (row1, col1, row2, col2), 1-based inclusive

    def cell(self, key: str, i: int) -> tuple[int, str]:
        return self.data_rows[i], self.letters[key]


def _anchor(anchor: object, width: int) -> tuple[int, int]:
    """(first, last) 0-based column a line's piece occupies (merged when last > first)."""
    if isinstance(anchor, int):
        c = max(0, min(anchor, width - 1))
        return c, c
    if anchor == "left":
        return 0, max(0, width // 3 - 1)
    if anchor == "right":
        start = max(0, width - max(2, (2 * width) // 5))
        return start, width - 1
    if anchor == "center":
        return 0, width - 1
    if anchor == "last":
        return width - 1, width - 1
    if anchor == "mid":
        return width // 2, width // 2
    raise ValueError(anchor)


def _ruler_tokens(sheet: Sheet) -> list[str] | None:
    width = len(sheet.cols)
    if sheet.ruler == "none":
        return None
    if sheet.ruler == "base" and all(c.ruler for c in sheet.cols):
        return [c.ruler for c in sheet.cols]
    if sheet.ruler == "paren":
        return [f"({i})" for i in range(1, width + 1)]
    if sheet.ruler == "letters_numbers":
        # text columns first get letters (A, B …), the rest numbers (1, 2 …) in order of position
        out, letter, number = [], 0, 0
        for c in sheet.cols:
            if c.kind in ("number", "int") or number:
                number += 1
                out.append(str(number))
            else:
                out.append(chr(ord("A") + letter))
                letter += 1
        return out
    return [str(i) for i in range(1, width + 1)]


def render_sheet(sheet: Sheet) -> Placed:
    """The sheet as a grid of values with its merged ranges, and where everything landed."""
    width = len(sheet.cols)
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []

    def new_row() -> int:
        rows.append([None] * width)
        return len(rows) - 1

    def place(line: Line) -> None:
        r = new_row()
        for anchor, text in line.cells:
            first, last = _anchor(anchor, width)
            rows[r][first] = text
            if last > first:
                merges.append((r + 1, first + 1, r + 1, last + 1))

    for line in sheet.above:
        place(line)

    depth = max(len(c.path) for c in sheet.cols)
    h0 = len(rows)
    for _ in range(depth):
        new_row()
    cols = sheet.cols
    for c, col in enumerate(cols):
        levels = len(col.path)
        for lvl in range(levels - 1):
            def same_group(other: Col, lvl=lvl, col=col) -> bool:
                return len(other.path) > lvl + 1 and other.path[: lvl + 1] == col.path[: lvl + 1]
            if c > 0 and same_group(cols[c - 1]):
                continue
            end = c
            while end + 1 < width and same_group(cols[end + 1]):
                end += 1
            rows[h0 + lvl][c] = col.path[lvl]
            if end > c:
                merges.append((h0 + lvl + 1, c + 1, h0 + lvl + 1, end + 1))
        rows[h0 + levels - 1][c] = col.path[-1]
        if levels < depth:
            merges.append((h0 + levels, c + 1, h0 + depth, c + 1))

    tokens = _ruler_tokens(sheet)
    if tokens:
        r = new_row()
        rows[r] = list(tokens)

    first_data = len(rows)
    data_rows = []
    for _ in range(sheet.n):
        data_rows.append(new_row() + 1)
    for c, col in enumerate(cols):
        i = 0
        while i < sheet.n:
            value = col.cells[i]
            rows[first_data + i][c] = value
            end = i
            if col.group_key and value not in (None, ""):
                while end + 1 < sheet.n and col.cells[end + 1] == value:
                    end += 1
                if end > i:
                    merges.append((first_data + i + 1, c + 1, first_data + end + 1, c + 1))
            i = end + 1
    keys = [c.key for c in cols]
    for i, first_key, last_key in sheet.across:
        a, b = keys.index(first_key), keys.index(last_key)
        if b <= a:
            raise ValueError(f"across-merge {first_key}..{last_key} needs them in order")
        for c in range(a + 1, b + 1):
            rows[first_data + i][c] = None
        merges.append((first_data + i + 1, a + 1, first_data + i + 1, b + 1))

    for _ in range(sheet.gap):
        new_row()
    for line in sheet.below:
        place(line)

    return Placed(sheet=sheet.name, header_rows=(h0 + 1, h0 + depth),
                  letters={col.key: column_letter(c) for c, col in enumerate(cols)},
                  headers={col.key: list(col.path) for col in cols}, data_rows=data_rows, grid=rows,
                  merges=merges)


def render_book(book: Book) -> list[tuple[str, Placed | None, list[list], list]]:
    """Every sheet in file order: (name, placement or None for an extra sheet, grid, merges)."""
    out: list[tuple[str, Placed | None, list[list], list]] = []
    for sheet in book.sheets:
        placed = render_sheet(sheet)
        out.append((sheet.name, placed, placed.grid, placed.merges))
    for position, name, rows in sorted(book.extra_sheets, key=lambda e: e[0]):
        out.insert(min(position, len(out)), (name, None, rows, []))
    return out


def _number_format(col_kind: str, decimals: int) -> str | None:
    if col_kind == "number":
        return "#,##0" + ("." + "0" * decimals if decimals else "")
    if col_kind == "int":
        return "#,##0"
    return None


def write_xlsx(book: Book, path: Path) -> dict[str, Placed]:
    """The book as an xlsx workbook (openpyxl); returns the placement of each of its table sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    placed_by_key: dict[str, Placed] = {}
    formats = {s.name: s for s in book.sheets}
    for name, placed, grid, merges in render_book(book):
        ws = wb.create_sheet(name)
        sheet = formats.get(name) if placed is not None else None
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = "dd/mm/yyyy"
                elif sheet is not None and placed is not None and r in placed.data_rows and \
                        isinstance(value, (int, float)) and not isinstance(value, bool):
                    fmt = _number_format(sheet.cols[c - 1].kind, sheet.cols[c - 1].decimals)
                    if fmt:
                        cell.number_format = fmt
        for r1, c1, r2, c2 in merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        if placed is not None:
            placed_by_key[sheet.key] = placed
    wb.save(path)
    return placed_by_key


def _html_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.10f}".rstrip("0").rstrip(".")
        return text
    return str(value)


def write_html(book: Book, path: Path) -> dict[str, Placed]:
    """The book as a web system's "Excel" export: one HTML <table> per sheet (colspan/rowspan for merges,
    `mso-number-format` styles), UTF-8, saved under a `.xls` name. Numbers are written as the server
    formats them for Excel: plain digits with a dot before decimals, unless a transformation typed them
    as Vietnamese text already."""
    parts = ['<html xmlns:o="urn:schemas-microsoft-com:office:office" '
             'xmlns:x="urn:schemas-microsoft-com:office:excel">',
             '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
             '<style>td{mso-number-format:"\\@";} .n{mso-number-format:"\\#\\,\\#\\#0\\.0";} '
             '.d{mso-number-format:"dd\\/mm\\/yyyy";}</style></head><body>']
    placed_by_key: dict[str, Placed] = {}
    keys = {s.name: s.key for s in book.sheets}
    for name, placed, grid, merges in render_book(book):
        if placed is None:
            continue  # an HTML export carries the report's tables only
        placed_by_key[keys[name]] = placed
        span: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in merges:
            span[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        covered.add((r, c))
        parts.append('<table border="1">')
        for r, row in enumerate(grid, start=1):
            cells = []
            for c, value in enumerate(row, start=1):
                if (r, c) in covered:
                    continue
                attrs = ""
                if (r, c) in span:
                    rs, cs = span[(r, c)]
                    attrs += (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    attrs += ' class="n"'
                elif isinstance(value, (dt.date, dt.datetime)):
                    attrs += ' class="d"'
                text = html.escape(_html_text(value)).replace("\n", "<br>")
                cells.append(f"<td{attrs}>{text}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return placed_by_key


def write_book(book: Book, path: Path) -> dict[str, Placed]:
    """Write `book` in its own format where no converter is needed (xlsx, html, xlsx named .xls).

    For `xls` / `ods`, write the xlsx that LibreOffice will convert (see `convert_with_libreoffice`)."""
    if book.fmt == "html":
        return write_html(book, path)
    return write_xlsx(book, path)


def convert_with_libreoffice(jobs: list[tuple[Path, str]], workdir: Path, timeout: float = 600) -> dict[Path, Path]:
    """Convert every (xlsx, 'xls' | 'ods') job with ONE `soffice --headless --convert-to` call per format.

    Returns xlsx path -> converted path. Raises RuntimeError naming the files LibreOffice did not write."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: the .xls/.ods variants need it")
    profile = workdir / "lo-profile"
    out: dict[Path, Path] = {}
    for fmt in ("xls", "ods"):
        sources = [src for src, f in jobs if f == fmt]
        if not sources:
            continue
        outdir = workdir / f"converted-{fmt}"
        outdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, HOME=str(workdir))
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), *map(str, sources)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        missing = []
        for src in sources:
            target = outdir / (src.stem + "." + fmt)
            if target.exists():
                out[src] = target
            else:
                missing.append(src.name)
        if missing:
            raise RuntimeError(f"soffice --convert-to {fmt} wrote nothing for {missing[:5]} "
                               f"(exit {proc.returncode}): {proc.stderr[-500:]}")
    return out


# -------------------------------------------------------------------------------------- dossier exports
SYNC_FIELDS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
               "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
               "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
DATE_FIELDS = ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")


@dataclass
class ExportCol:
    key: str                      # the sync field it carries ('MaHoSo' …) or 'extra:<name>'
    header: str                   # as typed in the file
    role: str = "optional"
    values: list | None = None    # for extra columns: one value per record (text as written)


@dataclass
class Export:
    """A dossier export: records with canonical values (datetimes, ints, bools, fee lists) and how to write them."""

    records: list[dict]
    fmt: str = "csv"              # csv | json
    cols: list[ExportCol] = field(default_factory=list)
    date_style: str = "vi"        # vi (dd/MM/yyyy HH:mm:ss) | vi_minutes | iso_t | iso_space
    bool_style: str = "true_false"  # true_false | True_False | 1_0 | co_khong | x_blank | check_blank …
    fee_style: str = "plain"      # plain (15000) | vi (15.000)
    encoding: str = "utf-8-sig"   # utf-8-sig | utf-8 | utf-16
    delimiter: str = ","
    newline: str = "\r\n"
    quote_all: bool = False
    apostrophe_ids: bool = False  # MaHoSo written '000.00… (Excel keeps leading zeros)
    json_fees: str = "list"       # list (DanhSachLePhi) | total (TongPhiLePhi)
    json_indent: int | None = None
    json_numbers_as_text: bool = False
    overrides: dict[tuple[int, str], str] = field(default_factory=dict)  # (record, key) -> text as typed

    def copy(self) -> Export:
        return copy.deepcopy(self)

    @property
    def suffix(self) -> str:
        return ".csv" if self.fmt == "csv" else ".json"


BOOL_STYLES: dict[str, tuple[str, str]] = {
    "true_false": ("true", "false"), "True_False": ("True", "False"), "TRUE_FALSE": ("TRUE", "FALSE"),
    "1_0": ("1", "0"), "co_khong": ("Có", "Không"), "co_khong_lower": ("có", "không"),
    "x_blank": ("x", ""), "X_blank": ("X", ""), "check_blank": ("✓", ""),
}


def _date_text(value: dt.datetime | None, style: str) -> str:
    if value is None:
        return ""
    if style == "vi":
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if style == "vi_minutes":
        return value.strftime("%d/%m/%Y %H:%M")
    if style == "iso_t":
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "iso_space":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raise ValueError(style)


def _vi_int(n: int) -> str:
    return f"{n:,d}".replace(",", ".")


def field_text(export: Export, rec: dict, key: str) -> str:
    """The text a CSV cell holds for `key` of `rec`, in the export's styles."""
    value = rec.get(key)
    if key in DATE_FIELDS:
        return _date_text(value, export.date_style)
    if key == "DuocThanhToanTrucTuyen":
        yes, no = BOOL_STYLES[export.bool_style]
        return yes if value else no
    if key == "TongPhiLePhi":
        total = sum(f["Gia"] for f in rec["DanhSachLePhi"])
        return _vi_int(total) if export.fee_style == "vi" else str(total)
    if key == "MaHoSo" and export.apostrophe_ids:
        return "'" + str(value)
    if value is None:
        return ""
    return str(value)


def placed_export(export: Export) -> dict:
    """Where a CSV export's cells are: header letter per key, Excel row per record (header on row 1)."""
    return {"letters": {c.key: column_letter(i) for i, c in enumerate(export.cols)},
            "headers": {c.key: c.header for c in export.cols},
            "rows": [i + 2 for i in range(len(export.records))]}


def write_export(export: Export, path: Path) -> dict:
    """Write the export (CSV or JSON) and return its placement (`placed_export`; JSON rows are positions)."""
    if export.fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, delimiter=export.delimiter, lineterminator=export.newline,
                            quoting=csv.QUOTE_ALL if export.quote_all else csv.QUOTE_MINIMAL)
        writer.writerow([c.header for c in export.cols])
        for i, rec in enumerate(export.records):
            row = []
            for c in export.cols:
                if (i, c.key) in export.overrides:
                    row.append(export.overrides[(i, c.key)])
                elif c.values is not None:
                    row.append("" if c.values[i] is None else str(c.values[i]))
                else:
                    row.append(field_text(export, rec, c.key))
            writer.writerow(row)
        text = buf.getvalue()
        if export.encoding == "utf-16":
            path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
        else:
            path.write_bytes(text.encode(export.encoding))
        return placed_export(export)
    rows = []
    for i, rec in enumerate(export.records):
        obj: dict = {}
        for c in export.cols:
            if (i, c.key) in export.overrides:
                obj[c.header] = export.overrides[(i, c.key)]
                continue
            if c.values is not None:
                obj[c.header] = c.values[i]
                continue
            value = rec.get(c.key)
            if c.key in DATE_FIELDS:
                obj[c.header] = None if value is None else _date_text(value, export.date_style)
            elif c.key == "TongPhiLePhi":
                if export.json_fees == "list":
                    obj["DanhSachLePhi"] = [dict(f) for f in rec["DanhSachLePhi"]]
                else:
                    obj[c.header] = sum(f["Gia"] for f in rec["DanhSachLePhi"])
            elif c.key == "DuocThanhToanTrucTuyen":
                obj[c.header] = bool(value) if export.bool_style == "true_false" else \
                    BOOL_STYLES[export.bool_style][0 if value else 1]
            elif isinstance(value, int) and export.json_numbers_as_text:
                obj[c.header] = str(value)
            else:
                obj[c.header] = value
        rows.append(obj)
    body = {"tong_so": len(rows), "du_lieu": rows}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=export.json_indent), encoding="utf-8")
    return {"letters": {}, "headers": {c.key: c.header for c in export.cols},
            "rows": [i + 1 for i in range(len(rows))]}


# --------------------------------------------------------------------------------------------- text helpers
def map_texts(book_or_sheet, fn: Callable[[str], str], *, headers: bool = True, cells: bool = True,
              lines: bool = True, names: bool = False) -> None:
    """Apply `fn` to every text of a book (or one sheet) in place: headers, text cells, lines, sheet names."""
    sheets = book_or_sheet.sheets if isinstance(book_or_sheet, Book) else [book_or_sheet]
    for sheet in sheets:
        if names:
            sheet.name = fn(sheet.name)
        for col in sheet.cols:
            if headers:
                col.path = [fn(p) for p in col.path]
            if cells:
                col.cells = [fn(v) if isinstance(v, str) else v for v in col.cells]
        if lines:
            for line in sheet.above + sheet.below:
                line.cells = [(a, fn(t) if isinstance(t, str) else t) for a, t in line.cells]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)
