"""Bad deliveries for the reliability suite, each built from a good generated sample in a tmp folder.

Every builder takes the good sample's path and an output folder and returns the bad file (usually with the
sample's own name, so the inbox sees what an office would send). Cells are addressed as the generator
writes them (docs/contracts.md "Generated specifics"): tax row 7 header, row 10 the total, row 11 section
I, rows 12-20 items 1-9, column F `Thực hiện tháng`, G `Lũy kế từ đầu năm`, K6 the unit line.
"""

from __future__ import annotations

import json
import shutil
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from connectors.legacy import from_unicode  # only to *write* legacy text, as tests/data/make_corpus.py does


def edit(fn: Callable) -> Callable[[Path, Path], Path]:
    """A builder that opens the sample with openpyxl, lets `fn(workbook)` change it, and saves a copy."""
    def build(sample: Path, out: Path) -> Path:
        wb = openpyxl.load_workbook(sample)
        fn(wb)
        target = out / sample.name
        wb.save(target)
        return target
    return build


def cells(**values) -> Callable[[Path, Path], Path]:
    """Set cells of the first sheet, e.g. ``cells(F13="abc")``; None empties a cell."""
    def fn(wb):
        for ref, value in values.items():
            wb.worksheets[0][ref] = value
    return edit(fn)


def sheet_cells(sheet: str, **values) -> Callable[[Path, Path], Path]:
    """Set cells of the named sheet."""
    def fn(wb):
        for ref, value in values.items():
            wb[sheet][ref] = value
    return edit(fn)


def add_to_cells(**deltas) -> Callable[[Path, Path], Path]:
    """Add a number to numeric cells of the first sheet (keeps everything else as generated)."""
    def fn(wb):
        ws = wb.worksheets[0]
        for ref, delta in deltas.items():
            ws[ref] = float(ws[ref].value) + delta
    return edit(fn)


def copy_row(source_row: int, target_row: int) -> Callable[[Path, Path], Path]:
    """Insert a copy of `source_row` at `target_row` (a duplicated row)."""
    def fn(wb):
        ws = wb.worksheets[0]
        values = [c.value for c in ws[source_row]]
        ws.insert_rows(target_row)
        for col, value in enumerate(values, 1):
            ws.cell(target_row, col).value = value
    return edit(fn)


def delete_column(col: int) -> Callable[[Path, Path], Path]:
    def fn(wb):
        ws = wb.worksheets[0]
        for rng in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(rng))
        ws.delete_cols(col)
    return edit(fn)


def duplicate_header_column(col: int, rows: range) -> Callable[[Path, Path], Path]:
    """A second column with the same header as `col` (data copied), inserted right after it."""
    def fn(wb):
        ws = wb.worksheets[0]
        for rng in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(rng))
        ws.insert_cols(col + 1)
        for r in rows:
            ws.cell(r, col + 1).value = ws.cell(r, col).value
    return edit(fn)


def empty_sheet(wb):
    ws = wb.worksheets[0]
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.delete_rows(1, ws.max_row)


def workbook_of(other_source: str) -> Callable[[Path, Path], Path]:
    """Another office's workbook of the same month, named as this source's report (the wrong attachment)."""
    def build(sample: Path, out: Path) -> Path:
        other = next((sample.parents[2] / other_source / sample.parent.name).iterdir())
        return Path(shutil.copyfile(other, out / sample.name))
    return build


def all_texts(convert: Callable[[str], str], **then) -> Callable[[Path, Path], Path]:
    """Every text cell of the first sheet converted (legacy font, NFD), then `then` cells set as given."""
    def fn(wb):
        ws = wb.worksheets[0]
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.value = convert(c.value)
        for ref, value in then.items():
            ws[ref] = value
    return edit(fn)


def tcvn3(text: str) -> str:
    return from_unicode(text, "tcvn3")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def two_legacy_fonts(wb):
    """Rows above the data typed in TCVN3, the data rows in VNI: no single font can be told."""
    ws = wb.worksheets[0]
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                c.value = from_unicode(c.value, "tcvn3" if c.row < 10 else "vni")


def raw_bytes(data: bytes, name: str | None = None) -> Callable[[Path, Path], Path]:
    """A file with exactly these bytes (named like the sample unless `name`)."""
    def build(sample: Path, out: Path) -> Path:
        target = out / (name or sample.name)
        target.write_bytes(data)
        return target
    return build


def truncated(sample: Path, out: Path) -> Path:
    """The xlsx cut after half its bytes (an interrupted download)."""
    data = sample.read_bytes()
    target = out / sample.name
    target.write_bytes(data[: len(data) // 2])
    return target


def corrupted(sample: Path, out: Path) -> Path:
    """The xlsx with 64 bytes in the middle of the worksheet's compressed data overwritten."""
    data = bytearray(sample.read_bytes())
    with zipfile.ZipFile(sample) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[start:start + 64] = b"\x00" * 64
    target = out / sample.name
    target.write_bytes(bytes(data))
    return target


def _rezip(sample: Path, target: Path, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target


BILLION_LAUGHS_DTD = (b'<!DOCTYPE worksheet [<!ENTITY lol "lol">'
                      + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                                 for i in range(1, 10)) + b"]>")


def entity_bomb(sample: Path, out: Path) -> Path:
    """The xlsx whose worksheet declares the "billion laughs" entities (10^9 'lol' once expanded)."""
    with zipfile.ZipFile(sample) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    if sheet.startswith(b"<?xml"):
        sheet = sheet[sheet.index(b"?>") + 2:]
    sheet = b'<?xml version="1.0" encoding="UTF-8"?>\n' + BILLION_LAUGHS_DTD + b"\n" + sheet
    return _rezip(sample, out / sample.name, {"xl/worksheets/sheet1.xml": sheet})


ZIP_BOMB_MB = 64


def zip_bomb(sample: Path, out: Path) -> Path:
    """The xlsx plus a part of 64 MB of one repeated byte, which deflates about 1000 to 1."""
    return _rezip(sample, out / sample.name, {}, {"xl/media/padding.xml": b" " * (ZIP_BOMB_MB * 2**20)})


def html_page(sample: Path, out: Path) -> Path:
    """A web page (an expired session's login page) saved as the report `.xls`."""
    target = out / (sample.stem + ".xls")
    target.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Đăng nhập</title></head>'
                      "<body><h1>Phiên làm việc đã hết hạn</h1><p>Vui lòng đăng nhập lại.</p></body></html>",
                      encoding="utf-8")
    return target


def password_protected(sample: Path, out: Path) -> Path:
    """What Excel writes for an xlsx saved with a password: an OLE2 compound file (MS-CFB v3) holding the
    streams `EncryptionInfo` and `EncryptedPackage` (MS-OFFCRYPTO). The streams' contents here are
    opaque filler: nothing can decrypt them, exactly as for the product without the password."""
    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    stream = 4096  # at the mini-stream cutoff, so both streams live in ordinary 512-byte sectors
    n = stream // 512
    fat = [fat_sect, end] + [*range(3, 2 + n), end] + [*range(3 + n, 2 + 2 * n), end]
    fat += [free] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6, 0, 1, 1, 0, 4096, end, 0,
                            end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBBIII", len(encoded), kind, 1, left, right, child)
                + b"\x00" * 36 + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, nostream, nostream, 1, end, 0)
                 + entry("EncryptionInfo", 2, nostream, 2, nostream, 2, stream)
                 + entry("EncryptedPackage", 2, nostream, nostream, nostream, 2 + n, stream)
                 + entry("", 0, nostream, nostream, nostream, 0, 0))
    body = struct.pack("<128I", *fat) + directory + b"\x04\x00\x04\x00" * (stream // 4) + b"\xa5" * stream
    target = out / sample.name
    target.write_bytes(header + body)
    return target


def sparse_file(size_mb: int) -> Callable[[Path, Path], Path]:
    """A file of `size_mb` MB that takes no disk space (`truncate`), named like the sample."""
    def build(sample: Path, out: Path) -> Path:
        target = out / sample.name
        with open(target, "wb") as fh:
            fh.truncate(size_mb * 2**20)
        return target
    return build


# ----------------------------------------------------------------------------------- dossier exports
def json_export(change: Callable[[dict], object]) -> Callable[[Path, Path], Path]:
    """The month's JSON export (`{"tong_so": N, "du_lieu": [...]}`) after `change(envelope)` mutates it."""
    def build(sample: Path, out: Path) -> Path:
        envelope = json.loads(sample.read_text(encoding="utf-8"))
        change(envelope)
        target = out / sample.name
        target.write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
        return target
    return build


def without_csv_column(column: str) -> Callable[[Path, Path], Path]:
    """The CSV export with one column removed from the header and every row."""
    def build(sample: Path, out: Path) -> Path:
        import csv
        import io

        text = sample.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        drop = rows[0].index(column)
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\r\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
        target = out / sample.name
        target.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
        return target
    return build


def copy_of(path: Path, name: str) -> Callable[[Path, Path], Path]:
    def build(sample: Path, out: Path) -> Path:
        return Path(shutil.copy(path, out / name))
    return build
