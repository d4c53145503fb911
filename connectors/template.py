"""The fill-in workbook for the "other indicators" (`thidua template`): the layout `indicators` reads, as a form.

Written with openpyxl from `layouts/indicators.yaml` (`template_rows`), so the form and the reader cannot
drift apart: sheet `Chỉ tiêu` in the common layout (header block, title with the year, two header rows
with `Thực hiện` over `Tháng 1 … Tháng 12`, ruler, footer), a `Trạng thái số liệu` column with a drop-down
(`Ước tính` / `Chính thức`), number-only validation on figure cells, a drop-down on the ANTT row, formulas
for rates (`_TS / _MS`) and for TGTSP (sum of its sectors), and every label and formula cell locked (the
sheet is protected without a password: it guards against slips, not people). Instructions in Vietnamese
on a second sheet `Hướng dẫn`.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from connectors.layout import load_layout

UNIT_NAMES = {"10549": "PHƯỜNG CHU VĂN AN"}
STATUS_VALUES = ("Ước tính", "Chính thức")
ASSESSMENT_VALUES = ("Giữ vững", "Không giữ vững")

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(name="Times New Roman", bold=True, size=12)
_NORMAL = Font(name="Times New Roman", size=12)
_ITALIC = Font(name="Times New Roman", italic=True, size=12)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_INPUT = PatternFill("solid", fgColor="FFF9E5")

FIRST_MONTH_COL = 7  # G
HEADERS = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Năm trước", "Kế hoạch năm"]
INSTRUCTIONS = [
    "HƯỚNG DẪN ĐIỀN BIỂU THEO DÕI CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI",
    "",
    "1. Mỗi tháng, điền số liệu của tháng báo cáo vào cột \"Thực hiện / Tháng …\" tương ứng; giữ nguyên số "
    "liệu các tháng trước.",
    "2. Chỉ nhập số vào các ô màu vàng nhạt; không nhập chữ, đơn vị hay dấu cách vào ô số.",
    "3. Ô để trống nghĩa là chưa có số liệu (không ghi 0 thay cho ô trống).",
    "4. Số tiền ghi theo đơn vị ở cột \"Đơn vị tính\" (Triệu đồng).",
    "5. Các dòng tỷ lệ (%) và dòng Tổng giá trị sản phẩm tự tính theo công thức: chỉ điền các dòng "
    "\"Số …\" (tử số) và \"Tổng số …\" (mẫu số) bên dưới.",
    "6. Dòng \"Giữ vững an ninh chính trị…\": chọn \"Giữ vững\" hoặc \"Không giữ vững\"; ghi tình hình "
    "trong tháng vào cột \"Ghi chú\".",
    "7. Cột \"Trạng thái số liệu\": chọn \"Ước tính\" hoặc \"Chính thức\".",
    "8. Không thêm, xóa hay đổi tên cột, dòng, mã chỉ tiêu; không đổi tên sheet \"Chỉ tiêu\".",
    "9. Lưu tệp dạng .xlsx và gửi vào thư mục <hộp thư>/<mã đơn vị>/indicators/<YYYY-MM>/.",
]


def write_indicators_template(path: str | Path, year: int, unit_code: str) -> Path:
    """Write the year's fill-in workbook for `unit_code` to `path` (.xlsx) and return the path.

    Raises:
        ValueError: a year outside 2000…2100 or an empty unit code.
    """
    if not 2000 <= int(year) <= 2100:
        raise ValueError(f"year {year} is outside 2000…2100")
    if not str(unit_code).strip():
        raise ValueError("unit code is empty")
    layout = load_layout("indicators")
    rows = layout.extra.get("template_rows") or []
    rates = {code: m for code, m in (layout.extra.get("indicators") or {}).items() if m.get("kind") == "rate"}
    sums = {code: m["sum_of"] for code, m in (layout.extra.get("indicators") or {}).items() if m.get("sum_of")}
    ncols = 6 + 12 + 2  # … Tháng 12, Ghi chú, Trạng thái số liệu
    last = get_column_letter(ncols)

    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu"
    unit_name = UNIT_NAMES.get(str(unit_code), f"ĐƠN VỊ {unit_code}")

    def put(r, c, value, font=_NORMAL, align=_CENTER, box=False):
        cell = ws.cell(row=r, column=c, value=value)
        cell.font, cell.alignment = font, align
        if box:
            cell.border = _BOX
        return cell

    put(1, 1, f"UBND {unit_name}", _BOLD)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    put(2, 1, "VĂN PHÒNG HĐND VÀ UBND", _BOLD)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    put(1, 12, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _BOLD)
    ws.merge_cells(start_row=1, start_column=12, end_row=1, end_column=ncols)
    put(2, 12, "Độc lập - Tự do - Hạnh phúc", _BOLD)
    ws.merge_cells(start_row=2, start_column=12, end_row=2, end_column=ncols)
    put(4, 1, f"BIỂU THEO DÕI CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM {int(year)}", Font(name="Times New Roman",
                                                                                  bold=True, size=14))
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=ncols)
    put(5, 1, f"Mã đơn vị hành chính: {unit_code}", _ITALIC)
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=ncols)

    h = 7
    for c, label in enumerate(HEADERS, 1):
        put(h, c, label, _BOLD, box=True)
        ws.cell(row=h + 1, column=c).border = _BOX
        ws.merge_cells(start_row=h, start_column=c, end_row=h + 1, end_column=c)
    put(h, FIRST_MONTH_COL, "Thực hiện", _BOLD, box=True)
    for m in range(1, 13):
        put(h + 1, FIRST_MONTH_COL + m - 1, f"Tháng {m}", _BOLD, box=True)
        ws.cell(row=h, column=FIRST_MONTH_COL + m - 1).border = _BOX
    ws.merge_cells(start_row=h, start_column=FIRST_MONTH_COL, end_row=h, end_column=FIRST_MONTH_COL + 11)
    for c, label in ((ncols - 1, "Ghi chú"), (ncols, "Trạng thái số liệu")):
        put(h, c, label, _BOLD, box=True)
        ws.cell(row=h + 1, column=c).border = _BOX
        ws.merge_cells(start_row=h, start_column=c, end_row=h + 1, end_column=c)
    ruler = ["A", "B", "C", "D"] + [str(i) for i in range(1, ncols - 3)]
    for c, mark in enumerate(ruler, 1):
        put(h + 2, c, mark, _ITALIC, box=True)

    numbers = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorTitle="Chỉ nhập số",
                             error="Ô này chỉ nhận số (không âm); để trống nếu chưa có số liệu.")
    status = DataValidation(type="list", formula1='"' + ",".join(STATUS_VALUES) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Trạng thái số liệu",
                            error="Chọn Ước tính hoặc Chính thức.")
    assessment = DataValidation(type="list", formula1='"' + ",".join(ASSESSMENT_VALUES) + '"',
                                allow_blank=True, showErrorMessage=True, errorTitle="Đánh giá",
                                error="Chọn Giữ vững hoặc Không giữ vững.")
    for dv in (numbers, status, assessment):
        ws.add_data_validation(dv)

    first_data = h + 3
    row_of = {code: first_data + i for i, (_, code, _, _) in enumerate(rows) if code}
    for i, (stt, code, label, unit) in enumerate(rows):
        r = first_data + i
        heading = not code
        for c, value in enumerate([stt, code or None, label, unit or None], 1):
            put(r, c, value, _BOLD if heading or stt not in ("-",) and "." not in stt else _NORMAL,
                _CENTER if c != 3 else Alignment(vertical="center", wrap_text=True), box=True)
        for c in range(5, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = _BOX
            cell.font = _NORMAL
        if heading:
            continue
        for c in range(5, ncols + 1):
            letter = get_column_letter(c)
            cell = ws.cell(row=r, column=c)
            is_month = FIRST_MONTH_COL <= c < FIRST_MONTH_COL + 12
            formula = None
            if is_month and code in rates:
                num, den = row_of[rates[code]["numerator"]], row_of[rates[code]["denominator"]]
                formula = (f'=IF(AND(ISNUMBER({letter}{num}),ISNUMBER({letter}{den}),N({letter}{den})>0),'
                           f'ROUND({letter}{num}/{letter}{den}*100,2),"")')
            elif is_month and code in sums:
                refs = [f"{letter}{row_of[part]}" for part in sums[code]]
                formula = f'=IF(COUNT({",".join(refs)})={len(refs)},SUM({",".join(refs)}),"")'
            if formula:
                cell.value = formula
                cell.number_format = "0.00" if code in rates else "#,##0.0"
                continue  # locked (the default)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT
            if c == ncols:
                status.add(cell.coordinate)
            elif c == ncols - 1:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            elif code == "ANTT":
                assessment.add(cell.coordinate)
            else:
                numbers.add(cell.coordinate)
    end = first_data + len(rows)
    put(end + 1, 12, f"…, ngày … tháng … năm {int(year)}", _ITALIC)
    ws.merge_cells(start_row=end + 1, start_column=12, end_row=end + 1, end_column=ncols)
    put(end + 2, 1, "Người lập biểu", _BOLD)
    ws.merge_cells(start_row=end + 2, start_column=1, end_row=end + 2, end_column=4)
    put(end + 2, 12, "Thủ trưởng đơn vị", _BOLD)
    ws.merge_cells(start_row=end + 2, start_column=12, end_row=end + 2, end_column=ncols)
    put(end + 3, 1, "(Ký, ghi rõ họ tên)", _ITALIC)
    ws.merge_cells(start_row=end + 3, start_column=1, end_row=end + 3, end_column=4)
    put(end + 3, 12, "(Ký tên, đóng dấu)", _ITALIC)
    ws.merge_cells(start_row=end + 3, start_column=12, end_row=end + 3, end_column=ncols)

    for c, width in enumerate([6, 14, 46, 14, 12, 12] + [11] * 12 + [30, 14], 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=first_data, column=FIRST_MONTH_COL)
    ws.print_area = f"A1:{last}{end + 3}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False   # people may still widen columns
    ws.protection.formatRows = False

    guide = wb.create_sheet("Hướng dẫn")
    for i, text in enumerate(INSTRUCTIONS, 1):
        cell = guide.cell(row=i, column=1, value=text)
        cell.font = _BOLD if i == 1 else _NORMAL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.column_dimensions["A"].width = 120
    guide.protection.sheet = True

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


__all__ = ["ASSESSMENT_VALUES", "STATUS_VALUES", "write_indicators_template"]
