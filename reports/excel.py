"""The official monthly report to the ward's Emulation-Reward Council, as an Excel workbook (openpyxl).

Layout (one sheet, print-ready: A4 landscape, fitted to the page width, header rows repeated on every
page): the national header block and the issuing body, the place-and-date line, the title, the period
line, the unit line, a header row and a ruler row, one row per target, then the signature block.

Columns: STT | Chỉ tiêu | Đơn vị tính | Kế hoạch | Thực hiện | So sánh | Đánh giá | Dự báo cả năm | Ghi chú.
``Thực hiện`` and ``So sánh`` (thực hiện / kế hoạch, %) are numeric cells with Vietnamese number formats;
texts from sources are neutralised so a spreadsheet never runs them as formulas.

The caller passes plain rows (dicts or a DataFrame, as from ``warehouse.attainment.read_attainment``):
``target_code, plan_item, name_vi, display_unit, comparison, bound_low, bound_high, value, numerator,
denominator, status, outlook_value, outlook_status, gap_text, is_restatement``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from reports.vn import (
    STATUS_VI,
    XL_1DP,
    XL_2DP,
    XL_INT,
    format_date,
    format_number,
    missing,
    neutralise_formula,
    outlook_label,
    period_end,
    period_words,
    plan_bound,
    plan_text,
    stt_of,
    value_decimals,
)

COLUMNS = ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "So sánh", "Đánh giá", "Dự báo cả năm",
           "Ghi chú"]
RULER = ["1", "2", "3", "4", "5", "6=5/4 (%)", "7", "8", "9"]
WIDTHS = [6, 48, 10, 14, 14, 11, 15, 26, 48]
SHEET_TITLE = "Báo cáo thi đua"
FONT = "Times New Roman"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class ReportMeta:
    """What the report's header and footer say.

    Args:
        period: ``YYYY-MM`` reported.
        unit_code / unit_name: the ward (``10549``, ``Phường Chu Văn An``).
        issuer: the issuing body, upper case (``UBND PHƯỜNG CHU VĂN AN``).
        place: the place of the date line (``Chu Văn An``).
        issued_on: the report's date.
        evaluated_at: when the judgement shown was made (the snapshot's date), if known.
        plan_year / plan_title: the plan judged.
        city_name: the city line of the unit.
    """

    period: str
    unit_code: str
    unit_name: str
    issuer: str
    place: str
    issued_on: dt.date
    evaluated_at: dt.datetime | None = None
    plan_year: int | None = None
    plan_title: str | None = None
    city_name: str = "thành phố Hải Phòng"


def _rows(attainment) -> list[dict]:
    if hasattr(attainment, "to_dict"):
        attainment = attainment.to_dict("records")
    return sorted((dict(r) for r in attainment), key=lambda r: str(r.get("target_code")))


def _set(ws, row: int, col: int, value, *, bold=False, italic=False, size=12, align="left", wrap=False,
         number_format=None, border=False, fixed=False):
    """Write one cell; text that is not our own fixed wording (``fixed``) is neutralised."""
    cell = ws.cell(row=row, column=col)
    cell.value = value if fixed else neutralise_formula(value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is a string cell, never a formula, even our own wording
    cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if number_format:
        cell.number_format = number_format
    if border:
        cell.border = _BOX
    return cell


def _merge(ws, row: int, first: int, last: int, value, **style):
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    return _set(ws, row, first, value, **style)


def result_cells(rec: dict) -> tuple:
    """(Thực hiện value, its number format, So sánh value or None) of one target row."""
    comparison = rec.get("comparison")
    value = rec.get("value")
    if missing(value):
        return None, None, None
    if comparison == "qualitative":
        return ("Giữ vững" if float(value) >= 1 else "Không giữ vững"), None, None
    decimals = value_decimals(rec.get("display_unit"))
    fmt = XL_INT if decimals == 0 else XL_2DP
    bound = plan_bound(comparison, rec.get("bound_low"), rec.get("bound_high"))
    ratio = None if not bound else round(float(value) / bound * 100, 1)
    return float(value), fmt, ratio


def outlook_text(rec: dict) -> str:
    """'Dự kiến đạt (111.438 lượt)': the outlook status in words and the projected figure."""
    status = rec.get("outlook_status")
    if missing(status) or not status:
        return ""
    label = outlook_label(status, rec.get("period"))
    value = rec.get("outlook_value")
    if missing(value) or rec.get("comparison") == "qualitative":
        return label
    unit = rec.get("display_unit") or ""
    number = format_number(value, value_decimals(unit))
    return f"{label} ({number}{'%' if unit == '%' else ' ' + unit})"


def note_text(rec: dict) -> str:
    """The Ghi chú cell: the gap to the bound (for a target without data, why it has none: ``Chưa có số
    liệu; Thiếu số liệu tháng 1–11 năm 2025 …``), and whether the row restates a closed year."""
    parts = []
    if missing(rec.get("value")):
        parts.append("Chưa có số liệu")
    gap = rec.get("gap_text")
    if isinstance(gap, str) and gap:
        parts.append(gap)
    if rec.get("is_restatement") is True:
        parts.append("Điều chỉnh sau khi khóa sổ năm")
    return "; ".join(parts)


def write_attainment_report(attainment, meta: ReportMeta, out_path: str | Path) -> Path:
    """Write the council's report for one month to ``out_path`` (.xlsx) and return the path.

    Args:
        attainment: one row per target (dicts or a DataFrame, columns in the module docstring).
        meta: header and footer values.
        out_path: the workbook to write (its folder is created).
    """
    rows = _rows(attainment)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    last = len(COLUMNS)
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width

    # national header block: issuing body left, national motto right
    _merge(ws, 1, 1, 3, meta.issuer, bold=True, align="center")
    _merge(ws, 2, 1, 3, "Số:        /BC-UBND", align="center")
    _merge(ws, 1, 5, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center")
    _merge(ws, 2, 5, last, "Độc lập - Tự do - Hạnh phúc", bold=True, align="center")
    d = meta.issued_on
    _merge(ws, 3, 5, last, f"{meta.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", italic=True,
           align="center")
    year = meta.plan_year or int(meta.period[:4])
    _merge(ws, 5, 1, last, f"BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THI ĐUA NĂM {year}", bold=True, size=14,
           align="center")
    as_of = f"; đánh giá ngày {format_date(meta.evaluated_at)}" if meta.evaluated_at else ""
    _merge(ws, 6, 1, last, f"{period_words(meta.period)} (số liệu đến hết ngày "
                           f"{format_date(period_end(meta.period))}{as_of})", italic=True, align="center")
    _merge(ws, 7, 1, last, f"Đơn vị báo cáo: {meta.unit_name}, {meta.city_name} (mã đơn vị {meta.unit_code})",
           align="right")

    header_row = 9
    for col, label in enumerate(COLUMNS, 1):
        _set(ws, header_row, col, label, bold=True, align="center", wrap=True, border=True)
        _set(ws, header_row + 1, col, RULER[col - 1], italic=True, size=10, align="center", border=True)
    ws.row_dimensions[header_row].height = 32

    row = header_row + 2
    for rec in rows:
        value, fmt, ratio = result_cells(rec)
        cells = [
            (stt_of(rec.get("target_code"), rec.get("plan_item")), dict(align="center")),
            (rec.get("name_vi") or rec.get("target_code"), dict(wrap=True)),
            (rec.get("display_unit") or "", dict(align="center")),
            (plan_text(rec.get("comparison"), rec.get("bound_low"), rec.get("bound_high")), dict(align="center")),
            (value, dict(align="right" if fmt else "center", number_format=fmt)),
            (ratio, dict(align="right", number_format=XL_1DP)),
            (STATUS_VI.get(rec.get("status"), rec.get("status")), dict(align="center")),
            (outlook_text(rec), dict(wrap=True)),
            (note_text(rec), dict(wrap=True)),
        ]
        for col, (cell_value, style) in enumerate(cells, 1):
            _set(ws, row, col, cell_value, border=True, **style)
        row += 1

    # signature block
    row += 1
    _set(ws, row, 1, "Nơi nhận:", bold=True, italic=True, size=11)
    _merge(ws, row, 6, last, "TM. ỦY BAN NHÂN DÂN", bold=True, align="center")
    _set(ws, row + 1, 1, "- Hội đồng Thi đua - Khen thưởng phường;", size=11, fixed=True)
    _merge(ws, row + 1, 6, last, "CHỦ TỊCH", bold=True, align="center")
    _set(ws, row + 2, 1, "- Lưu: VT.", size=11, fixed=True)
    _merge(ws, row + 2, 6, last, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, align="center")
    _merge(ws, row, 3, 4, "Người lập biểu", bold=True, align="center")
    _merge(ws, row + 2, 3, 4, "(Ký, ghi rõ họ tên)", italic=True, align="center")

    # print-ready: A4 landscape, one page wide, header rows repeated
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.print_area = f"A1:{get_column_letter(last)}{row + 6}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = ws.cell(row=header_row + 2, column=1)
    ws.oddFooter.center.text = "Trang &P / &N"
    wb.properties.title = f"Báo cáo kết quả thực hiện chỉ tiêu thi đua {period_words(meta.period).lower()}"
    wb.properties.creator = "thidua"

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
