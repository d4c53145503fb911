"""Deterministic sample exports of phường Chu Văn An (unit 10549), 2024-01 .. 2025-12 (or later on request).

What is written (see docs/contracts.md, "Sample data"):

* four workbooks per month, in the layouts of the real Vietnamese exports: the tax office's budget
  revenue report (``tax``), the health station's criteria table and NVQS pre-screening report
  (``health``), the school register (``education``) and the "other indicators" tracking sheet
  (``indicators``);
* ``public_service/dossiers.json``: every one-stop dossier received in 2024-2025, as the stand-in API
  serves them (sync field names, ``dd/MM/yyyy HH:mm:ss`` local timestamps, null for unknown dates);
* ``public_service/exports/ho-so-YYYY-MM.{csv,json}``: the dossiers received or finished in a month.

Every figure a target depends on is an exact function of ``samples/params.yaml`` (see the rounding
rules at its top); ``random.Random(seed)`` only draws dossier-level detail (procedure, times, which
dossier is late). Same seed, same bytes: xlsx timestamps and zip-entry times are pinned.

By default the tree covers 2024-01 .. 2025-12 and its bytes never change. A caller that needs a later
month (the 2026 plan's January) asks for it: ``last="2026-01"`` (CLI ``--to 2026-01``) extends the range
through that month, within the years ``params.yaml`` has figures for; ``months=`` (CLI ``--from``) writes
the workbooks and exports of some months only (dossiers.json always holds the whole range). The dossiers
of 2024-01 .. 2025-12 are the same in an extended range, drawn from the same random stream, except what
a later extraction sees: December 2025's carried dossiers finish in January 2026 (drawn from a stream of
their own) and the state as of the end of the last month (handed over, not "waiting").

CLI: ``python -m samples.generate --out DIR [--seed N] [--from YYYY-MM] [--to YYYY-MM]``.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import json
import random
import zipfile
from copy import copy
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

PARAMS_PATH = Path(__file__).with_name("params.yaml")
FIRST_MONTH = (2024, 1)
DEFAULT_LAST = (2025, 12)   # the default range ends here: what it writes never changes
MONTHS = [(y, m) for y in (2024, 2025) for m in range(1, 13)]   # the default range
TS_FORMAT = "%d/%m/%Y %H:%M:%S"
# Pinned workbook metadata and zip-entry time, so the same seed gives the same bytes.
FIXED_TIMESTAMP = dt.datetime(2026, 1, 5, 8, 0, 0)
FIXED_ZIP_TIME = (2026, 1, 5, 8, 0, 0)

MONEY_FMT = "#,##0.0"
COUNT_FMT = "#,##0"
PCT_FMT = "0.00"
DATE_FMT = "dd/mm/yyyy"

BOLD = Font(name="Times New Roman", bold=True, size=12)
NORMAL = Font(name="Times New Roman", size=12)
ITALIC = Font(name="Times New Roman", italic=True, size=12)
TITLE = Font(name="Times New Roman", bold=True, size=14)
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


# ----------------------------------------------------------------------------------------- helpers
def parse_month(text: str) -> tuple[int, int]:
    """``"2026-01"`` -> ``(2026, 1)``; ValueError naming the text otherwise."""
    try:
        y, m = (int(x) for x in str(text).split("-"))
    except ValueError:
        raise ValueError(f"{text!r}: expected a month YYYY-MM, e.g. 2026-01") from None
    if not 1 <= m <= 12 or len(str(text)) != 7:
        raise ValueError(f"{text!r}: expected a month YYYY-MM, e.g. 2026-01")
    return y, m


def months_through(last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every month from FIRST_MONTH to ``last`` inclusive."""
    out, (y, m) = [], FIRST_MONTH
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def check_last(params: dict, last: tuple[int, int]) -> None:
    """The range must end in a year the parameters have figures for (``years`` of params.yaml)."""
    years = params.get("years") or [DEFAULT_LAST[0]]
    if last < DEFAULT_LAST or (last > DEFAULT_LAST and last[0] not in years):
        raise ValueError(f"{last[0]}-{last[1]:02d}: the samples end in 2025-12 or a later month of a year "
                         f"samples/params.yaml has figures for ({', '.join(map(str, years))})")


def load_params(path: Path = PARAMS_PATH) -> dict:
    """The generator's parameters (samples/params.yaml) as a dict."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def round_half_up(x: Any, places: int = 0) -> float:
    """Round like a spreadsheet (half away from zero for positives) on the decimal text of ``x``."""
    q = Decimal(1).scaleb(-places)
    return float(Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP))


def share(annual: Any, pct: Any) -> float:
    """A month's value: ``annual * pct / 100`` rounded half-up to one decimal (million VND)."""
    return float((Decimal(str(annual)) * Decimal(str(pct)) / 100).quantize(Decimal("0.1"), ROUND_HALF_UP))


def count(x: Decimal | float) -> int:
    """A count derived from a percentage: half-up to an integer."""
    return int(Decimal(str(x)).quantize(Decimal(1), ROUND_HALF_UP))


def per_month(value: Any) -> list:
    """A parameter given as a scalar (every month) or a list of 12."""
    return list(value) if isinstance(value, list) else [value] * 12


def month_end(y: int, m: int) -> dt.date:
    """The last day of month ``m`` of ``y``."""
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def signed_date(params: dict, y: int, m: int) -> dt.date:
    """The date a month's report is signed: ``signed_day`` of the following month."""
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return dt.date(ny, nm, params["signed_day"])


def unit_names(params: dict) -> tuple[str, str, str]:
    """(upper-case name for headers, place name for the footer date line, issuing body for properties).

    From ``unit_name`` ("Phường Chu Văn An" -> "PHƯỜNG CHU VĂN AN", "Chu Văn An", "UBND phường Chu Văn
    An"); ``place_name`` overrides the footer's place (the synthetic wards of samples/city.py use it).
    """
    name = params.get("unit_name", "Phường Chu Văn An")
    kind, _, rest = name.partition(" ")
    place = params.get("place_name") or rest
    return name.upper(), place, f"UBND {kind.lower()} {rest}"


def save_workbook(wb: Workbook, path: Path, issuer: str = "UBND phường Chu Văn An") -> None:
    """Write ``wb`` to ``path`` byte-for-byte reproducibly (pinned core properties and zip times)."""
    wb.properties.creator = issuer
    wb.properties.lastModifiedBy = issuer
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    raw = io.BytesIO()
    # not wb.save(): openpyxl's save_workbook() resets `modified` to now
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    # openpyxl stamps zip entries with the current time: copy them with a fixed one
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fixed.getvalue())


# ------------------------------------------------------------------------ common sheet layout
class SheetWriter:
    """Writes the common layout: header block, title, period/unit lines, header, ruler, rows, footer."""

    def __init__(self, ws, ncols: int, params: dict | None = None):
        self.ws = ws
        self.ncols = ncols
        self.row = 1
        self.unit_upper, self.place, _ = unit_names(params or {})
        # (font, alignment, number format, border) -> the style array openpyxl computed for it once:
        # re-registering the same style objects on every cell costs most of a workbook's write time
        self._styles: dict[tuple, Any] = {}

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)

    def put(self, r: int, c: int, value: Any, font=NORMAL, align=None, fmt=None, border=False):
        cell = self.ws.cell(row=r, column=c, value=value)
        key = (id(font), id(align), fmt, border)
        cached = self._styles.get(key)
        fresh = not cell.has_style
        if cached is not None and fresh:
            cell._style = copy(cached)   # same indices the assignments below would find again
            return cell
        cell.font = font
        if align is not None:
            cell.alignment = align
        if fmt is not None:
            cell.number_format = fmt
        if border:
            cell.border = BOX
        if fresh:
            self._styles[key] = copy(cell._style)
        return cell

    def header_block(self, office: str, title: str, period_line: str, unit_line: str | None) -> None:
        n = self.ncols
        left_end = max(2, n // 3)
        right_start = max(left_end + 1, n - max(2, (2 * n) // 5) + 1)
        self.put(1, 1, f"UBND {self.unit_upper}", BOLD, CENTER)
        self.merge(1, 1, 1, left_end)
        self.put(2, 1, office, BOLD, CENTER)
        self.merge(2, 1, 2, left_end)
        self.put(1, right_start, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", BOLD, CENTER)
        self.merge(1, right_start, 1, n)
        self.put(2, right_start, "Độc lập - Tự do - Hạnh phúc", BOLD, CENTER)
        self.merge(2, right_start, 2, n)
        self.put(4, 1, title, TITLE, CENTER)
        self.merge(4, 1, 4, n)
        self.put(5, 1, period_line, ITALIC, CENTER)
        self.merge(5, 1, 5, n)
        self.row = 6
        if unit_line:
            self.put(6, n, unit_line, ITALIC, RIGHT)
            self.row = 7

    def header(self, groups: list[tuple[str, list[str] | None]]) -> None:
        """Header of one or two rows: ``(label, sub_labels)``; sub_labels None = a single column."""
        two = any(subs for _, subs in groups)
        r, c = self.row, 1
        for label, subs in groups:
            if subs:
                self.put(r, c, label, BOLD, CENTER, border=True)
                for i in range(len(subs)):
                    self.ws.cell(row=r, column=c + i).border = BOX
                    self.put(r + 1, c + i, subs[i], BOLD, CENTER, border=True)
                self.merge(r, c, r, c + len(subs) - 1)
                c += len(subs)
            else:
                self.put(r, c, label, BOLD, CENTER, border=True)
                if two:
                    self.ws.cell(row=r + 1, column=c).border = BOX
                    self.merge(r, c, r + 1, c)
                c += 1
        assert c - 1 == self.ncols, (c - 1, self.ncols)
        self.row += 2 if two else 1

    def ruler(self, marks: list[str]) -> None:
        assert len(marks) == self.ncols
        for c, mark in enumerate(marks, 1):
            self.put(self.row, c, mark, ITALIC, CENTER, border=True)
        self.row += 1

    def data_row(self, values: list[Any], fmts: list[str | None], bold: bool = False) -> None:
        font = BOLD if bold else NORMAL
        for c, (v, f) in enumerate(zip(values, fmts, strict=True), 1):
            align = LEFT if isinstance(v, str) and len(v) > 3 else CENTER if isinstance(v, str) else None
            self.put(self.row, c, v, font, align, f if not isinstance(v, str) else None, border=True)
        self.row += 1

    def footer(self, signed: dt.date, preparer: str, head: str) -> None:
        n = self.ncols
        r = self.row + 1  # one fully empty row ends the data
        half = max(2, n // 2)
        self.put(r, half + 1, f"{self.place}, ngày {signed.day:02d} tháng {signed.month} năm {signed.year}",
                 ITALIC, CENTER)
        self.merge(r, half + 1, r, n)
        self.put(r + 1, 1, "Người lập biểu", BOLD, CENTER)
        self.merge(r + 1, 1, r + 1, half)
        self.put(r + 1, half + 1, "Thủ trưởng đơn vị", BOLD, CENTER)
        self.merge(r + 1, half + 1, r + 1, n)
        self.put(r + 2, 1, "(Ký, ghi rõ họ tên)", ITALIC, CENTER)
        self.merge(r + 2, 1, r + 2, half)
        self.put(r + 2, half + 1, "(Ký tên, đóng dấu)", ITALIC, CENTER)
        self.merge(r + 2, half + 1, r + 2, n)
        self.put(r + 6, 1, preparer, BOLD, CENTER)
        self.merge(r + 6, 1, r + 6, half)
        self.put(r + 6, half + 1, head, BOLD, CENTER)
        self.merge(r + 6, half + 1, r + 6, n)

    def widths(self, widths: list[float]) -> None:
        for c, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(c)].width = w


def period_line(y: int, m: int) -> str:
    """The sheet's period line, e.g. ``Tháng 8 năm 2025``."""
    return f"Tháng {m} năm {y}"


# -------------------------------------------------------------------------------------- tax
def tax_item_series(item: dict, profiles: dict, year: int) -> list[float]:
    """The 12 month values (million VND) of one revenue line in ``year``."""
    prof = profiles[item["profile"]]
    return [share(item["actual"][year], p) for p in prof]


def write_tax(params: dict, y: int, m: int, path: Path) -> None:
    """Báo cáo tình hình thu NSNN trên địa bàn phường (Thuế cơ sở 10), month m of year y."""
    tax = params["tax"]
    profiles = tax["profiles"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Thu NSNN"
    sw = SheetWriter(ws, 11, params)
    sw.header_block("THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG",
                    f"BÁO CÁO TÌNH HÌNH THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN {sw.unit_upper}",
                    period_line(y, m), "Đơn vị tính: Triệu đồng")
    sw.header([
        ("STT", None), ("Nội dung thu", None), ("Mã mục", None),
        (f"Dự toán năm {y}", ["Pháp lệnh", "HĐND giao"]),
        ("Thực hiện tháng", None), ("Lũy kế từ đầu năm", None), ("Cùng kỳ năm trước", None),
        ("So sánh (%)", ["Lũy kế so dự toán", "Lũy kế so cùng kỳ"]), ("Ghi chú", None),
    ])
    sw.ruler(["A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"])
    fmts = [None, None, None, MONEY_FMT, MONEY_FMT, MONEY_FMT, MONEY_FMT, MONEY_FMT, "0.0", "0.0", None]

    def figures(line: dict) -> dict:
        cur = [share(line["actual"][y], p) for p in profiles[line["profile"]]]
        prev = [share(line["actual"][y - 1], p) for p in profiles[line["profile"]]]
        pl, hd = line["estimate"][y]
        return {"pl": pl, "hd": hd, "month": cur[m - 1],
                "ytd": round(sum(cur[:m]), 1), "prior": round(sum(prev[:m]), 1)}

    def pct(a: float, b: float | None) -> float | str:
        return round_half_up(a / b * 100, 1) if b else "-"

    items = [(it, figures(it)) for it in tax["items"]]
    tot = {
        "pl": round(sum(f["pl"] for _, f in items if f["pl"] is not None), 1),
        "hd": round(sum(f["hd"] for _, f in items if f["hd"] is not None), 1),
        "month": round(sum(f["month"] for _, f in items), 1),
        "ytd": round(sum(f["ytd"] for _, f in items), 1),
        "prior": round(sum(f["prior"] for _, f in items), 1),
    }

    def row(stt, label, ma_muc, f, note=None, bold=False):
        month = f["month"] if f["month"] else "-"   # nothing collected this month: no figure
        est = f["hd"] if f["hd"] is not None else f["pl"]
        sw.data_row([stt, label, ma_muc, f["pl"] if f["pl"] is not None else "-",
                     f["hd"] if f["hd"] is not None else "-", month, f["ytd"], f["prior"],
                     pct(f["ytd"], est), pct(f["ytd"], f["prior"]), note], fmts, bold=bold)

    row(None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, tot, bold=True)
    row("I", "Thu nội địa", None, tot, bold=True)
    for it, f in items:
        note = None
        if it["stt"] == "6" and m >= 10 and y == 2025:
            note = "Một số đơn vị thuê đất chậm nộp"
        row(it["stt"], it["label"], it["ma_muc"], f, note)
    tr = tax["transfer"]
    row(tr["stt"], tr["label"], None, figures(tr), "Không tính vào thu trên địa bàn", bold=True)
    sw.footer(signed_date(params, y, m), "Nguyễn Thị Thu Hà", "Phạm Văn Long")
    sw.widths([6, 48, 9, 13, 13, 13, 13, 13, 11, 11, 22])
    save_workbook(wb, path, unit_names(params)[2])


# ----------------------------------------------------------------------------------- health
def write_health(params: dict, y: int, m: int, path: Path) -> None:
    """Trạm Y tế: criteria self-assessment/appraisal table and Mẫu 2a NVQS pre-screening report."""
    h = params["health"]
    st = h["station"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Tiêu chí trạm y tế"
    sw = SheetWriter(ws, 11, params)
    sw.header_block(f"TRẠM Y TẾ {sw.unit_upper}",
                    "KẾT QUẢ ĐÁNH GIÁ TRẠM Y TẾ THEO BỘ TIÊU CHÍ QUỐC GIA VỀ Y TẾ XÃ",
                    period_line(y, m), None)
    sw.header([(x, None) for x in ["STT", "Mã trạm", "Tên trạm", "Tiêu chí số", "Tên tiêu chí",
                                    "Điểm chuẩn", "Điểm tự chấm", "Điểm thẩm định", "Kết luận",
                                    "Số QĐ công nhận", "Ngày QĐ"]])
    sw.ruler(["A", "B", "C", "1", "2", "3", "4", "5", "6", "7", "8"])
    fmts = [None, None, None, None, None, "0.0", "0.0", "0.0", None, None, DATE_FMT]
    for i, (name, chuan, tu, td) in enumerate(h["criteria"], 1):
        ket = "Đạt" if td >= chuan * 0.5 else "Chưa đạt"
        sw.data_row([i, st["code"], st["name"], i, name, chuan, tu, td, ket, st["decision_no"],
                     st["decision_date"]], fmts)
    sw.footer(signed_date(params, y, m), "Lê Thị Mai", "Đỗ Văn Thành")
    sw.widths([6, 11, 28, 9, 52, 10, 10, 10, 10, 16, 12])

    ws2 = wb.create_sheet("Mẫu 2a")
    nv = h["nvqs"][y]
    sw2 = SheetWriter(ws2, 4, params)
    sw2.header_block(f"TRẠM Y TẾ {sw.unit_upper}",
                     f"BÁO CÁO KẾT QUẢ SƠ TUYỂN SỨC KHỎE NGHĨA VỤ QUÂN SỰ NĂM {y + 1}",
                     period_line(y, m), "Đơn vị tính: Người")
    sw2.header([("TT", None), ("Nội dung", None), ("Kết quả", None), ("Ghi chú", None)])
    sw2.ruler(["A", "B", "1", "2"])
    scr, ex, ot = nv["screened"][m - 1], nv["exempt"][m - 1], nv["other"][m - 1]
    note = f"Lũy kế từ đầu đợt sơ tuyển (01/08/{y})" if scr else "Chưa triển khai sơ tuyển"
    f2 = [None, None, COUNT_FMT, None]
    sw2.data_row(["1", "Số lượng sơ tuyển sức khỏe theo kế hoạch", nv["plan"], None], f2)
    sw2.data_row(["2", "Số lượng đã sơ tuyển", scr, note], f2)
    sw2.data_row(["3", "Số lượng đủ điều kiện khám tại tuyến huyện", scr - ex - ot, None], f2)
    sw2.data_row(["4", "Tổng số đã loại ra", ex + ot, None], f2)
    sw2.data_row(["-", "Trong đó: Số lượng đề nghị miễn thực hiện NVQS", ex, None], f2)
    sw2.data_row(["-", "Lý do khác", ot, None], f2)
    sw2.footer(signed_date(params, y, m), "Lê Thị Mai", "Đỗ Văn Thành")
    sw2.widths([12, 52, 14, 30])
    save_workbook(wb, path, unit_names(params)[2])


# -------------------------------------------------------------------------------- education
def school_state(school: dict, period_end: dt.date) -> dict:
    """The register line of a school at ``period_end``: its latest decision dated on or before it."""
    recs = [r for r in school["rec"] if r[1] <= period_end]
    if not recs:
        return {"level": "Chưa đạt", "no": None, "date": None, "expiry": None, "issuer": None,
                "status": "Chưa công nhận", "valid": False}
    no, date, level, expiry, issuer = recs[-1]
    effective = expiry or date.replace(year=date.year + 5)
    valid = effective >= period_end
    status = "Còn hiệu lực" if valid else "Đang đánh giá lại"
    return {"level": level, "no": no, "date": date, "expiry": expiry, "issuer": issuer,
            "status": status, "valid": valid}


def write_education(params: dict, y: int, m: int, path: Path) -> None:
    """Danh sách trường học và tình hình công nhận đạt chuẩn quốc gia, snapshot at month end."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách trường"
    sw = SheetWriter(ws, 12, params)
    sw.header_block("PHÒNG VĂN HÓA - XÃ HỘI",
                    "DANH SÁCH TRƯỜNG HỌC VÀ TÌNH HÌNH CÔNG NHẬN ĐẠT CHUẨN QUỐC GIA",
                    period_line(y, m), None)
    sw.header([(x, None) for x in ["STT", "Mã trường", "Tên trường", "Cấp học", "Loại hình",
                                    "Mức chuẩn quốc gia", "Cấp độ kiểm định", "Số QĐ công nhận",
                                    "Ngày QĐ", "Cơ quan công nhận", "Ngày hết hạn", "Trạng thái"]])
    sw.ruler(["A", "B", "C", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    fmts = [None, None, None, None, None, None, "0", None, DATE_FMT, None, DATE_FMT, None]
    end = month_end(y, m)
    for i, sc in enumerate(params["education"]["schools"], 1):
        s = school_state(sc, end)
        sw.data_row([i, sc["code"], sc["name"], sc["cap"], sc["loai"], s["level"], sc["kd"], s["no"],
                     s["date"], s["issuer"], s["expiry"], s["status"]], fmts)
    sw.footer(signed_date(params, y, m), "Vũ Thị Lan", "Nguyễn Văn Hùng")
    sw.widths([6, 11, 34, 10, 10, 14, 10, 16, 12, 26, 12, 18])
    save_workbook(wb, path, unit_names(params)[2])


# ------------------------------------------------------------------------------- indicators
SECTOR_ROWS = [("1.1", "TGTSP_NLTS", "Nông, lâm nghiệp và thủy sản", "NLTS"),
               ("1.2", "TGTSP_CNXD", "Công nghiệp - Xây dựng", "CNXD"),
               ("1.3", "TGTSP_TMDV", "Thương mại, dịch vụ", "TMDV")]
RATE_ROWS = [
    ("3", "HO_NGHEO", "Tỷ lệ hộ nghèo đa chiều", "Số hộ nghèo", "Tổng số hộ dân cư", "Hộ"),
    ("4", "GDVH", "Tỷ lệ hộ gia đình đạt danh hiệu Gia đình văn hóa",
     "Số hộ đạt danh hiệu Gia đình văn hóa", "Tổng số hộ dân cư", "Hộ"),
    ("5", "TDP_VH", "Tỷ lệ tổ dân phố giữ vững danh hiệu văn hóa",
     "Số tổ dân phố đạt danh hiệu văn hóa", "Tổng số tổ dân phố", "Tổ dân phố"),
]
RATE_ROWS_2 = [
    ("7", "NUOC_SACH", "Tỷ lệ dân số sử dụng nước sạch đạt quy chuẩn",
     "Số người sử dụng nước sạch đạt quy chuẩn", "Dân số", "Người"),
    ("8", "CTR_SH", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý hợp vệ sinh",
     "Khối lượng CTR sinh hoạt được thu gom, xử lý", "Khối lượng CTR sinh hoạt phát sinh", "Tấn"),
]


def sector_series(params: dict, sector: str, year: int) -> list[float]:
    """TGTSP of one sector, million VND at constant prices, per month of ``year``."""
    t = params["indicators"]["tgtsp"]
    return [share(t["annual"][sector][year], p) for p in t["profiles"][sector]]


def write_indicators(params: dict, y: int, m: int, path: Path) -> None:
    """Biểu theo dõi các chỉ tiêu kinh tế - xã hội năm y, months 1..m filled."""
    ind = params["indicators"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu"
    ncols = 6 + 12 + 1
    sw = SheetWriter(ws, ncols, params)
    sw.header_block("VĂN PHÒNG HĐND VÀ UBND",
                    f"BIỂU THEO DÕI CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM {y}", period_line(y, m), None)
    sw.header([("STT", None), ("Mã chỉ tiêu", None), ("Chỉ tiêu", None), ("Đơn vị tính", None),
               ("Năm trước", None), ("Kế hoạch năm", None),
               ("Thực hiện", [f"Tháng {i}" for i in range(1, 13)]), ("Ghi chú", None)])
    sw.ruler(["A", "B", "C", "D"] + [str(i) for i in range(1, 16)])

    def line(stt, code, label, unit, prev, plan, months, fmt, note=None, bold=False):
        vals = [months[i] if i < m else None for i in range(12)]
        sw.data_row([stt, code, label, unit, prev, plan, *vals, note],
                    [None, None, None, None, fmt, fmt] + [fmt] * 12 + [None], bold=bold)

    def section(stt, label):
        sw.data_row([stt, None, label, None, None, None] + [None] * 12 + [None], [None] * ncols, bold=True)

    t = ind["tgtsp"]
    cur = {s: sector_series(params, s, y) for s in ("NLTS", "CNXD", "TMDV")}
    if y - 1 in t["annual"]["NLTS"] and y - 1 >= 2024:
        prev = {s: round(sum(sector_series(params, s, y - 1)), 1) for s in cur}
    else:
        prev = {s: float(t["annual"][s][y - 1]) for s in cur}
    total = [round(sum(cur[s][i] for s in cur), 1) for i in range(12)]
    section("A", "KINH TẾ")
    line("1", "TGTSP", "Tổng giá trị sản phẩm (giá so sánh)", "Triệu đồng",
         round(sum(prev.values()), 1), float(sum(t["plan"][s][y] for s in cur)), total, MONEY_FMT, bold=True)
    for stt, code, label, s in SECTOR_ROWS:
        line(stt, code, label, "Triệu đồng", prev[s], float(t["plan"][s][y]), cur[s], MONEY_FMT)
    tn = ind["tnbq"]
    tn_prev = tn["monthly"][y - 1][11] if y - 1 in tn["monthly"] else tn["prior_2023"]
    line("2", "TNBQ", "Thu nhập bình quân đầu người (ước tính cả năm)", "Triệu đồng/người/năm",
         tn_prev, tn["plan"][y], tn["monthly"][y], "0.0", note="Ước tính theo số liệu đến tháng báo cáo")

    def rate_block(stt, code, label, ts_label, ms_label, unit):
        r = ind["rates"][code]
        ts, ms = per_month(r["ts"][y]), per_month(r["ms"][y])
        flow = code == "CTR_SH"   # month tonnes: the year's figure is a sum, not the December level
        if y - 1 in r["ts"]:
            pts, pms = per_month(r["ts"][y - 1]), per_month(r["ms"][y - 1])
            prev_ts, prev_ms = (round(sum(pts), 1), round(sum(pms), 1)) if flow else (pts[11], pms[11])
        else:
            prev_ts, prev_ms = r["prior"]
        cfmt = MONEY_FMT if flow else COUNT_FMT
        pcts = [round_half_up(a / b * 100, 2) for a, b in zip(ts, ms, strict=True)]
        line(stt, code, label, "%", round_half_up(prev_ts / prev_ms * 100, 2), r["plan_pct"], pcts, PCT_FMT,
             bold=True)
        line("-", f"{code}_TS", ts_label, unit, prev_ts, None, ts, cfmt)
        line("-", f"{code}_MS", ms_label, unit, prev_ms, None, ms, cfmt)

    section("B", "VĂN HÓA - XÃ HỘI")
    for spec in RATE_ROWS:
        rate_block(*spec)
    lk = ind["luot_khach"]
    lk_prev = sum(lk["monthly"][y - 1]) if y - 1 in lk["monthly"] else lk["prior_2023"]
    line("6", "LUOT_KHACH", "Lượt khách du lịch", "Lượt", lk_prev, lk["plan"][y], lk["monthly"][y], COUNT_FMT,
         note=lk.get("note", "Khu di tích đền thờ Chu Văn An"))
    for spec in RATE_ROWS_2:
        rate_block(*spec)
    section("C", "QUỐC PHÒNG - AN NINH")
    an = ind["antt"]
    line("9", "ANTT", "Giữ vững an ninh chính trị, trật tự an toàn xã hội", None, an["text"], an["text"],
         [an["text"]] * 12, None, note=an["notes"][(m - 1) % len(an["notes"])])
    sw.footer(signed_date(params, y, m), "Trần Thị Hương", "Nguyễn Đức Minh")
    sw.widths([6, 14, 46, 12, 12, 12] + [11] * 12 + [30])
    save_workbook(wb, path, unit_names(params)[2])


# --------------------------------------------------------------------------- public service
def month_counts(ps: dict, year: int) -> list[dict]:
    """Per-month dossier counts of ``year`` as exact functions of params (see params.yaml)."""
    spec = ps["years"][year]
    out = []
    for i in range(12):
        rec = spec["received"][i]
        fee = count(Decimal(rec) * Decimal(str(spec["fee_pct"][i])) / 100)
        out.append({
            "received": rec,
            "online": count(Decimal(rec) * Decimal(str(spec["online_pct"][i])) / 100),
            "fee": fee,
            "fee_online": count(Decimal(fee) * Decimal(str(spec["fee_online_pct"][i])) / 100),
            "rejected": spec["rejected"][i],
            "carry": count(Decimal(rec) * Decimal(str(ps["carry_pct"])) / 100),
            "late": spec["late"][i],
        })
    return out


_HOLIDAYS: set[dt.date] = set()


def _is_working(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in _HOLIDAYS


def _working_days(y: int, m: int) -> list[dt.date]:
    return [dt.date(y, m, d) for d in range(1, calendar.monthrange(y, m)[1] + 1)
            if _is_working(dt.date(y, m, d))]


def add_working_days(d: dt.date, n: int) -> dt.date:
    """``d`` plus ``n`` working days (Mon-Fri, skipping public_service.holidays)."""
    while n > 0:
        d += dt.timedelta(days=1)
        if _is_working(d):
            n -= 1
    return d


def _at(rng: random.Random, d: dt.date, lo: int = 7 * 60 + 30, hi: int = 17 * 60) -> dt.datetime:
    minute = rng.randint(lo, hi)
    return dt.datetime(d.year, d.month, d.day, minute // 60, minute % 60, rng.randint(0, 59))


def _fmt(ts: dt.datetime | None) -> str | None:
    return ts.strftime(TS_FORMAT) if ts else None


def generate_dossiers(params: dict, seed: int, last: tuple[int, int] = DEFAULT_LAST) -> list[dict]:
    """Every dossier received 2024-01 .. ``last``, final state as of ``public_service.as_of`` (a range
    extended past 2025-12: as of the end of its last month)."""
    ps = params["public_service"]
    check_last(params, last)
    rng = random.Random(seed)
    # a dossier carried into a month after the default range finishes with draws of its own, so the
    # default range's stream (and every dossier drawn from it) is the same in an extended range
    later = random.Random(f"{seed}:after-{DEFAULT_LAST[0]}-{DEFAULT_LAST[1]:02d}")
    _HOLIDAYS.clear()
    _HOLIDAYS.update(ps.get("holidays", []))
    as_of = dt.datetime.strptime(ps["as_of"], TS_FORMAT)
    if last > DEFAULT_LAST:
        as_of = max(as_of, dt.datetime.combine(month_end(*last), dt.time(23, 59, 59)))
    procs = [{"code": p[0], "name": p[1], "field": p[2], "field_name": p[3], "level": p[4], "days": p[5],
              "fee": p[6], "fee_name": p[7], "weight": p[8], "zero_entry": len(p) > 9 and p[9] == "zero_fee_entry"}
             for p in ps["procedures"]]
    fee_procs = [p for p in procs if p["fee"] > 0]
    free_procs = [p for p in procs if p["fee"] == 0]
    unit = params["unit_code"]
    out: list[dict] = []
    stop = last   # (the loop below has a `last` of its own)
    for y, m in months_through(stop):
        c = month_counts(ps, y)[m - 1]
        n = c["received"]
        wdays = _working_days(y, m)
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        next_first_wd = _working_days(ny, nm)[0]
        idx = list(range(n))
        rng.shuffle(idx)
        online = set(idx[: c["online"]])
        rng.shuffle(idx)
        fee = set(idx[: c["fee"]])
        fee_sorted = sorted(fee, key=lambda i: (i not in online, rng.random()))
        fee_online = set(fee_sorted[: c["fee_online"]])
        rng.shuffle(idx)
        rejected = set(idx[: c["rejected"]])
        carry = set(idx[c["rejected"]: c["rejected"] + c["carry"]])
        same = idx[c["rejected"] + c["carry"]:]
        late = set(same[: c["late"]])
        month_recs = []
        for i in range(n):
            draw = rng
            pool = fee_procs if i in fee else free_procs
            if i in carry:
                pool = [p for p in pool if p["days"] >= 5]
            elif i in late:
                pool = [p for p in pool if p["days"] <= 5]
            proc = rng.choices(pool, weights=[p["weight"] for p in pool])[0]
            if i in carry:
                rdate = rng.choice(wdays[-4:])
            elif i in late:
                rdate = rng.choice(wdays[:8])
            else:
                rdate = rng.choice(wdays)
            received = _at(rng, rdate, hi=16 * 60 + 30)
            due_date = add_working_days(rdate, proc["days"])
            due = dt.datetime(due_date.year, due_date.month, due_date.day, 17, 0, 0)
            end = tu_choi = None
            if i in rejected:
                td = add_working_days(rdate, rng.randint(0, 2))
                tu_choi = max(_at(rng, td), received + dt.timedelta(minutes=15))
                if tu_choi > as_of:
                    tu_choi = received + dt.timedelta(minutes=30)
                if rng.random() < 0.5:   # returned after review: processing ended with the refusal
                    end = tu_choi
                status = 6 if end else 7
            elif i in carry:
                if (ny, nm) <= stop:
                    draw = rng if (ny, nm) <= DEFAULT_LAST else later
                    cands = [d for d in _working_days(ny, nm) if d <= due_date] or [next_first_wd]
                    end = _at(draw, draw.choice(cands))
                status = None
            elif i in late:
                end_date = add_working_days(due_date, rng.randint(1, 2))
                end = _at(rng, end_date)
                status = None
            else:
                last = min(due_date, wdays[-1])
                cands = [d for d in wdays if rdate <= d <= last]
                end_date = rng.choice(cands)
                if end_date == rdate:
                    end = received + dt.timedelta(minutes=rng.randint(20, 180))
                else:
                    end = _at(rng, end_date)
                status = None
            handed = None
            if status is None:
                if end is None:
                    status = 4            # Đang xử lý
                else:
                    handed = _at(draw, add_working_days(end.date(), draw.randint(0, 3)))
                    handed = max(handed, end + dt.timedelta(minutes=5))
                    if handed > as_of:
                        handed, status = None, 9   # Chờ trả kết quả
                    else:
                        status = 10                # Đã trả kết quả
            if i in fee:
                paid_online = i in fee_online
                method = "truc-tuyen" if paid_online else rng.choice(["tien-mat", "tien-mat", "chuyen-khoan"])
                fees = [{"MaPhiLePhi": f"LP.{proc['code']}", "TenPhiLePhi": proc["fee_name"],
                         "Gia": proc["fee"] * (rng.randint(1, 4) if proc["code"] == "2.000815" else 1),
                         "HinhThucThu": method}]
            else:
                paid_online = False
                fees = ([{"MaPhiLePhi": f"LP.{proc['code']}", "TenPhiLePhi": proc["fee_name"], "Gia": 0,
                          "HinhThucThu": None}] if proc["zero_entry"] else [])
            month_recs.append({
                "_received": received,
                "MaTTHC": proc["code"], "TenTTHC": proc["name"], "MaLinhVuc": proc["field"],
                "TenLinhVuc": proc["field_name"], "MucDo": proc["level"],
                "KenhThucHien": 2 if i in online else (3 if rng.random() < 0.08 else 1),
                "NgayTiepNhan": _fmt(received), "NgayHenTra": _fmt(due), "NgayKetThucXuLy": _fmt(end),
                "NgayTra": _fmt(handed), "NgayTuChoi": _fmt(tu_choi), "TrangThaiHoSo": status,
                "DonViXuLy": unit_names(params)[2], "DuocThanhToanTrucTuyen": paid_online,
                "DanhSachLePhi": fees,
            })
        month_recs.sort(key=lambda r: r["_received"])
        seq: dict[dt.date, int] = {}
        for r in month_recs:
            d = r.pop("_received").date()
            seq[d] = seq.get(d, 0) + 1
            out.append({"MaHoSo": f"000.00.{unit}-{d:%y%m%d}-{seq[d]:04d}", **r})
    return out


def _in_month(ts: str | None, y: int, m: int) -> bool:
    return ts is not None and ts[3:10] == f"{m:02d}/{y}"


CSV_FIELDS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien",
              "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo",
              "DonViXuLy", "DuocThanhToanTrucTuyen", "TongPhiLePhi"]


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def write_public_service(dossiers: list[dict], out: Path, months: list[tuple[int, int]] = MONTHS) -> list[Path]:
    """dossiers.json (all) and the exports of ``months`` (dossiers received or finished in the month)."""
    base = out / "public_service"
    (base / "exports").mkdir(parents=True, exist_ok=True)
    written = []
    path = base / "dossiers.json"
    body = ",\n".join(json.dumps(d, ensure_ascii=False) for d in dossiers)
    path.write_text(f'{{"tong_so": {len(dossiers)}, "du_lieu": [\n{body}\n]}}\n', encoding="utf-8")
    written.append(path)
    for y, m in months:
        recs = [d for d in dossiers
                if _in_month(d["NgayTiepNhan"], y, m) or _in_month(d["NgayKetThucXuLy"], y, m)]
        jp = base / "exports" / f"ho-so-{y}-{m:02d}.json"
        body = ",\n".join(json.dumps(d, ensure_ascii=False) for d in recs)
        jp.write_text(f'{{"tong_so": {len(recs)}, "du_lieu": [\n{body}\n]}}\n', encoding="utf-8")
        cp = base / "exports" / f"ho-so-{y}-{m:02d}.csv"
        with open(cp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(CSV_FIELDS)
            for d in recs:
                flat = {**d, "TongPhiLePhi": sum(f["Gia"] for f in d["DanhSachLePhi"])}
                w.writerow([_csv_value(flat[k]) for k in CSV_FIELDS])
        written += [cp, jp]
    return written


# -------------------------------------------------------------------------------------- main
WORKBOOKS = {
    "tax": ("bao-cao-thu-nsnn", write_tax),
    "health": ("y-te", write_health),
    "education": ("truong-hoc", write_education),
    "indicators": ("chi-tieu-khac", write_indicators),
}


def generate(out_dir: Path, seed: int = 2025, params_path: Path = PARAMS_PATH, last: str = "2025-12",
             months: list[str] | None = None) -> dict:
    """Write the sample tree under ``out_dir``; return a manifest of the paths written.

    Args:
        last: the range's last month (default 2025-12; later within params.yaml's ``years``).
        months: write the workbooks and exports of these months only (``"YYYY-MM"``, within the range);
            default every month of the range. dossiers.json always holds every dossier of the range.

    Returns:
        ``{"out_dir", "seed", "workbooks": {source: [paths]}, "dossiers": path, "exports": [paths],
        "dossier_count"}``.

    Raises:
        ValueError: ``last`` or a month of ``months`` is not a month of the range.
    """
    out_dir = Path(out_dir)
    params = load_params(params_path)
    end = parse_month(last)
    check_last(params, end)
    span = months_through(end)
    wanted = span
    if months is not None:
        wanted = [parse_month(p) for p in months]
        outside = [f"{y}-{m:02d}" for y, m in wanted if (y, m) not in span]
        if outside:
            raise ValueError(f"{', '.join(outside)}: not in the sample range 2024-01 .. {last}")
        wanted = sorted(set(wanted))
    unit = params["unit_code"]
    workbooks: dict[str, list[Path]] = {k: [] for k in WORKBOOKS}
    for source, (stem, writer) in WORKBOOKS.items():
        for y, m in wanted:
            path = out_dir / "inbox" / unit / source / f"{y}-{m:02d}" / f"{stem}-{y}-{m:02d}.xlsx"
            writer(params, y, m, path)
            workbooks[source].append(path)
    dossiers = generate_dossiers(params, seed, end)
    ps_files = write_public_service(dossiers, out_dir, wanted)
    return {"out_dir": out_dir, "seed": seed, "workbooks": workbooks, "dossiers": ps_files[0],
            "exports": ps_files[1:], "dossier_count": len(dossiers)}


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: generate the sample tree into ``--out``."""
    ap = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--seed", type=int, default=2025, help="random seed for dossier detail (default 2025)")
    ap.add_argument("--to", default="2025-12", metavar="YYYY-MM",
                    help="last month of the range (default 2025-12; e.g. 2026-01 for the 2026 plan's January)")
    ap.add_argument("--from", dest="start", default=None, metavar="YYYY-MM",
                    help="write the workbooks and exports from this month on only (default 2024-01)")
    args = ap.parse_args(argv)
    try:
        end = parse_month(args.to)
        months = None
        if args.start is not None:
            first = parse_month(args.start)
            months = [f"{y}-{m:02d}" for y, m in months_through(end) if (y, m) >= first]
            if not months:
                raise ValueError(f"--from {args.start} is after --to {args.to}")
        manifest = generate(args.out, seed=args.seed, last=args.to, months=months)
    except ValueError as exc:
        ap.error(str(exc))
    n_wb = sum(len(v) for v in manifest["workbooks"].values())
    print(f"wrote {n_wb} workbooks, {manifest['dossier_count']} dossiers and "
          f"{len(manifest['exports'])} exports under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
