"""The official monthly report to the ward's Emulation-Reward Council, as an Excel workbook (openpyxl).

Layout of the first sheet (print-ready: A4 landscape, fitted to the page width, header rows repeated on
every page), after the administrative-document form of Nghị định 30/2020/NĐ-CP:

- top left, the issuing body (its parent body above it when known: ``UBND THÀNH PHỐ HẢI PHÒNG`` /
  ``UBND PHƯỜNG CHU VĂN AN``) with a short rule under it (a third to a half of the line), then the
  number line ``Số: …/BC-UBND``;
- top right, the national name and the motto ``Độc lập - Tự do - Hạnh phúc`` with a rule as long as the
  motto under it, then the place-and-date line in italics;
- the title, the period line, the unit line, then what is missing from the month's sources (a source
  quarantined or not delivered, and what the report shows instead), each on its own line;
- the table: a header row and a ruler row, one row per target;
- ``Nơi nhận:`` and the recipients bottom left, the signature block bottom right.

The two rules are drawn lines (DrawingML connectors anchored to the cells, added to the saved file),
since a cell border cannot be narrower than its column. Every row is as tall as its wrapped text
(openpyxl cannot autofit): the lines of each cell are estimated from its text, its font and its width
with a deliberately wide per-character width, so the printed text never runs into the next row.

Columns: STT | Chỉ tiêu | Đơn vị tính | Kế hoạch | Thực hiện | So sánh | Đánh giá | Dự báo cả năm | Ghi chú.
``Thực hiện`` and ``So sánh`` (thực hiện / kế hoạch, %) are numeric cells with Vietnamese number formats;
for a lower-is-better target (``strictly_below``) a ratio to the ceiling would read like a shortfall,
so ``So sánh`` says the gap in words instead (``Thấp hơn ngưỡng 0,33 điểm %``). Texts from sources
are neutralised so a spreadsheet never runs them as formulas.

The second sheet, ``Nguồn số liệu``, lists every figure the judgements used: target, indicator, month,
the value as typed in the source, the source file, sheet and cell (`ô G14 (cột “Lũy kế”)`: its letter and
row with the column heading; row and heading when the letter is unknown), the load.

The caller passes plain rows (dicts or a DataFrame, as from ``warehouse.attainment.read_attainment``):
``target_code, plan_item, name_vi, display_unit, comparison, bound_low, bound_high, value, numerator,
denominator, status, outlook_value, outlook_status, gap_text, is_restatement``; the figures as dicts
with the keys of ``FIGURE_KEYS``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from reports.vn import (
    STATUS_VI,
    XL_1DP,
    XL_2DP,
    XL_INT,
    cell_text,
    format_date,
    format_number,
    format_short,
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
WIDTHS = [6, 46, 9, 14, 14, 16, 15, 24, 42]
SHEET_TITLE = "Báo cáo thi đua"
SOURCES_TITLE = "Nguồn số liệu"
SOURCE_COLUMNS = ["STT", "Chỉ tiêu", "Chỉ số", "Kỳ số liệu", "Giá trị (như trong tệp)", "Tệp nguồn", "Trang tính",
                  "Ô (dòng, cột)", "Lần nạp"]
SOURCE_WIDTHS = [6, 40, 22, 11, 17, 34, 18, 30, 9]
# the keys of one figure row (``flows.presentation.figures_used``)
FIGURE_KEYS = ("target_code", "plan_item", "name_vi", "indicator_code", "member_code", "period", "raw_text",
               "value", "source_file", "sheet", "row_number", "column_name", "column_letter", "load_id")
FONT = "Times New Roman"
LOWER_IS_BETTER = frozenset({"strictly_below", "at_most"})
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
        parent_issuer: the body above the issuer, upper case (``UBND THÀNH PHỐ HẢI PHÒNG``), if any.
        parent_name: the parent unit as recipients name it (``UBND thành phố Hải Phòng``), if any.
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
    parent_issuer: str | None = None
    parent_name: str | None = None


# --------------------------------------------------------------------------- how tall a row must be
#
# Column widths are in Excel's character units: one digit of the default font, 7 px at 96 dpi (Excel, and
# LibreOffice with Calibri's metrics; LibreOffice without them draws columns wider, never narrower).
# Character widths are those of Times New Roman rounded up by about a tenth (its common substitutes are
# no wider relative to the columns they get): an estimate that errs on the tall side, so a row is never
# too short for its text.
_PX_PER_UNIT = 7.0
_PAD_PX = 8.0
_LINE_EM = 1.3     # line pitch, in font sizes
_ROW_PAD_PT = 5.0


def _char_em(ch: str) -> float:
    if ch == " ":
        return 0.28
    if ch in ".,;:'!|ìíỉĩịiIlj()[]/-":
        return 0.34
    if ch in "%mMwWƯ—–…@":
        return 0.95
    if ch.isdigit():
        return 0.55
    if ch.isupper():
        return 0.72
    if ch.isalpha():
        return 0.52
    return 0.6


def text_width_pt(text: str, size: float = 12, bold: bool = False) -> float:
    """The printed width of ``text`` in points, estimated on the wide side."""
    return sum(_char_em(ch) for ch in text) * size * (1.1 if bold else 1.0)


def column_pt(width_units: float) -> float:
    """The usable width (points) inside a column of ``width_units`` Excel character units."""
    return max(1.0, (width_units * _PX_PER_UNIT - _PAD_PX) * 0.75)


def count_lines(text, width_units: float, size: float = 12, bold: bool = False) -> int:
    """How many lines ``text`` takes when wrapped in a column of ``width_units`` (word wrap; a word longer
    than the line is broken)."""
    if text is None or text == "":
        return 1
    room = column_pt(width_units)
    space = _char_em(" ") * size * (1.1 if bold else 1.0)
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            w = text_width_pt(word, size, bold)
            if used and used + space + w <= room:
                used += space + w
                continue
            if used:
                lines += 1
            if w > room:  # broken inside the word
                lines += math.ceil(w / room) - 1
                w = w - (math.ceil(w / room) - 1) * room
            used = w
    return lines


def row_height(cells) -> float:
    """The height (points) of a row holding ``cells``: (text, width_units, size, bold) per wrapped cell."""
    best = 0.0
    for text, width, size, bold in cells:
        best = max(best, count_lines(text, width, size, bold) * size * _LINE_EM + _ROW_PAD_PT)
    return round(max(best, 18.0), 1)


# --------------------------------------------------------------------------- cells


def _rows(attainment) -> list[dict]:
    if hasattr(attainment, "to_dict"):
        attainment = attainment.to_dict("records")
    return sorted((dict(r) for r in attainment), key=lambda r: str(r.get("target_code")))


def _set(ws, row: int, col: int, value, *, bold=False, italic=False, size=12, align="left", wrap=False,
         number_format=None, border=False, fixed=False, valign="center"):
    """Write one cell; text that is not our own fixed wording (``fixed``) is neutralised."""
    cell = ws.cell(row=row, column=col)
    cell.value = value if fixed else neutralise_formula(value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is a string cell, never a formula, even our own wording
    cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
    cell.alignment = Alignment(horizontal=align, vertical=valign, wrap_text=wrap)
    if number_format:
        cell.number_format = number_format
    if border:
        cell.border = _BOX
    return cell


def _merge(ws, row: int, first: int, last: int, value, **style):
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    return _set(ws, row, first, value, **style)


def _fit(ws, row: int, cells, minimum: float = 18.0) -> None:
    ws.row_dimensions[row].height = max(minimum, row_height(cells))


def compare_text(rec: dict) -> str | None:
    """``So sánh`` in words for a lower-is-better target: how far the result lies under (or over) its
    ceiling, in the target's unit ('Thấp hơn ngưỡng 0,33 điểm %'); None for other targets."""
    if rec.get("comparison") not in LOWER_IS_BETTER:
        return None
    value, bound = rec.get("value"), plan_bound("strictly_below", rec.get("bound_low"), rec.get("bound_high"))
    if missing(value) or bound is None:
        return None
    unit = rec.get("display_unit") or ""
    gap = round(abs(float(value) - bound), 2)
    if gap == 0:
        return "Bằng ngưỡng"
    amount = format_short(gap) + (" điểm %" if unit == "%" else f" {unit}" if unit else "")
    return f"{'Thấp' if float(value) < bound else 'Cao'} hơn ngưỡng {amount}"


def result_cells(rec: dict) -> tuple:
    """(Thực hiện value, its number format, So sánh value or None) of one target row; So sánh is the ratio
    to the plan (%) or, for a lower-is-better target, the gap in words (``compare_text``)."""
    comparison = rec.get("comparison")
    value = rec.get("value")
    if missing(value):
        return None, None, None
    if comparison == "qualitative":
        return ("Giữ vững" if float(value) >= 1 else "Không giữ vững"), None, None
    decimals = value_decimals(rec.get("display_unit"))
    fmt = XL_INT if decimals == 0 else XL_2DP
    words = compare_text(rec)
    if words is not None:
        return float(value), fmt, words
    bound = plan_bound(comparison, rec.get("bound_low"), rec.get("bound_high"))
    ratio = None if not bound else round(float(value) / bound * 100, 1)
    return float(value), fmt, ratio


def status_text(status) -> str:
    """The judgement in words, from the shared vocabulary (any status it knows; the code otherwise)."""
    if missing(status) or status is None:
        return ""
    return STATUS_VI.get(status, str(status))


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
    if missing(rec.get("value")) and rec.get("status") in (None, "no_data"):
        parts.append("Chưa có số liệu")
    gap = rec.get("gap_text")
    if isinstance(gap, str) and gap:
        parts.append(gap)
    if rec.get("is_restatement") is True:
        parts.append("Điều chỉnh sau khi khóa sổ năm")
    return "; ".join(parts)


# --------------------------------------------------------------------------- the report sheet


def _header_block(ws, meta: ReportMeta, last: int) -> list[tuple[int, int, int, float, float]]:
    """Write the national header block; return the rules to draw under it: (row the rule goes under, first
    and last column of the text over it, the text's width in points, the share of it the rule spans)."""
    left = [(meta.parent_issuer, False), (meta.issuer, True)] if meta.parent_issuer else [(meta.issuer, True)]
    right_first = 5
    for r, (text, bold) in enumerate(left, 1):
        _merge(ws, r, 1, 3, text, bold=bold, align="center")
    issuer_row = len(left)
    _merge(ws, 1, right_first, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center")
    _merge(ws, 2, right_first, last, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align="center")
    number_row = max(issuer_row + 1, 3)
    _merge(ws, number_row, 1, 3, "Số:        /BC-UBND", size=13, align="center")
    d = meta.issued_on
    _merge(ws, 3, right_first, last, f"{meta.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
           italic=True, size=13, align="center")
    for r in range(1, 4):  # the row under a rule is taller: the rule sits in its top, over its text
        ws.row_dimensions[r].height = 30 if r == issuer_row + 1 or r == 3 else 22
    return [(issuer_row, 1, 3, text_width_pt(meta.issuer, 12, True), 0.4),
            (2, right_first, last, text_width_pt("Độc lập - Tự do - Hạnh phúc", 13, True), 1.0)]


def write_attainment_report(attainment, meta: ReportMeta, out_path: str | Path, *, notices=(),
                            figures=None) -> Path:
    """Write the council's report for one month to ``out_path`` (.xlsx) and return the path.

    Args:
        attainment: one row per target (dicts or a DataFrame, columns in the module docstring).
        meta: header and footer values.
        out_path: the workbook to write (its folder is created).
        notices: sentences on the month's sources that were quarantined or not delivered, and what the
            report shows instead (``flows.presentation.source_notices``); printed above the table.
        figures: the figures the judgements used (dicts with ``FIGURE_KEYS``), listed on the second sheet
            ``Nguồn số liệu``; None leaves the sheet out.
    """
    rows = _rows(attainment)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    last = len(COLUMNS)
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    total_width = sum(WIDTHS)

    rules = _header_block(ws, meta, last)
    year = meta.plan_year or int(meta.period[:4])
    title = f"BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THI ĐUA NĂM {year}"
    _merge(ws, 5, 1, last, title, bold=True, size=14, align="center", wrap=True)
    _fit(ws, 5, [(title, total_width, 14, True)], 24)
    as_of = f"; đánh giá ngày {format_date(meta.evaluated_at)}" if meta.evaluated_at else ""
    _merge(ws, 6, 1, last, f"{period_words(meta.period)} (số liệu đến hết ngày "
                           f"{format_date(period_end(meta.period))}{as_of})", italic=True, align="center")
    _merge(ws, 7, 1, last, f"Đơn vị báo cáo: {meta.unit_name}, {meta.city_name} (mã đơn vị {meta.unit_code})",
           align="right")

    row = 8
    notices = [n for n in notices if n]
    if notices:
        for i, text in enumerate(notices):
            line = ("Lưu ý về nguồn số liệu: " if i == 0 else "") + text
            _merge(ws, row, 1, last, line, italic=True, align="left", wrap=True)
            _fit(ws, row, [(line, total_width, 12, False)])
            row += 1
    header_row = row + 1
    for col, label in enumerate(COLUMNS, 1):
        _set(ws, header_row, col, label, bold=True, align="center", wrap=True, border=True)
        _set(ws, header_row + 1, col, RULER[col - 1], italic=True, size=10, align="center", border=True)
    _fit(ws, header_row, [(label, WIDTHS[i], 12, True) for i, label in enumerate(COLUMNS)], 32)

    row = header_row + 2
    for rec in rows:
        value, fmt, compare = result_cells(rec)
        cells = [
            (stt_of(rec.get("target_code"), rec.get("plan_item")), dict(align="center")),
            (rec.get("name_vi") or rec.get("target_code"), dict(wrap=True)),
            (rec.get("display_unit") or "", dict(align="center", wrap=True)),
            (plan_text(rec.get("comparison"), rec.get("bound_low"), rec.get("bound_high")),
             dict(align="center", wrap=True)),
            (value, dict(align="right" if fmt else "center", number_format=fmt, wrap=not fmt)),
            (compare, dict(align="center", wrap=True) if isinstance(compare, str)
             else dict(align="right", number_format=XL_1DP)),
            (status_text(rec.get("status")), dict(align="center", wrap=True)),
            (outlook_text(rec), dict(wrap=True)),
            (note_text(rec), dict(wrap=True)),
        ]
        for col, (cell_value, style) in enumerate(cells, 1):
            _set(ws, row, col, cell_value, border=True, **style)
        _fit(ws, row, [(v, WIDTHS[i], 12, False) for i, (v, s) in enumerate(cells) if s.get("wrap")])
        row += 1

    # recipients bottom left, signature block bottom right
    row += 1
    recipients = ["- Hội đồng Thi đua - Khen thưởng phường;"]
    if meta.parent_name:
        recipients.insert(0, f"- {meta.parent_name} (để báo cáo);")
    recipients.append("- Lưu: VT.")
    _merge(ws, row, 1, 2, "Nơi nhận:", bold=True, italic=True, size=12)
    _merge(ws, row, 6, last, "TM. ỦY BAN NHÂN DÂN", bold=True, align="center")
    _merge(ws, row, 3, 4, "Người lập biểu", bold=True, align="center")
    _merge(ws, row + 1, 6, last, "CHỦ TỊCH", bold=True, align="center")
    _merge(ws, row + 1, 3, 4, "(Ký, ghi rõ họ tên)", italic=True, align="center", wrap=True)
    _fit(ws, row + 1, [("(Ký, ghi rõ họ tên)", WIDTHS[2] + WIDTHS[3], 12, False)])
    for i, text in enumerate(recipients, 1):
        _merge(ws, row + i, 1, 2, text, size=11, fixed=True, wrap=True)
        ws.row_dimensions[row + i].height = max(ws.row_dimensions[row + i].height or 0,
                                                row_height([(text, WIDTHS[0] + WIDTHS[1], 11, False)]))
    sign_row = row + max(len(recipients), 2) + 1
    _merge(ws, sign_row, 6, last, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, align="center")
    last_row = sign_row + 4

    # print-ready: A4 landscape, one page wide, header rows repeated
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.print_area = f"A1:{get_column_letter(last)}{last_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = ws.cell(row=header_row + 2, column=1)
    ws.oddFooter.center.text = "Trang &P / &N"
    wb.properties.title = f"Báo cáo kết quả thực hiện chỉ tiêu thi đua {period_words(meta.period).lower()}"
    wb.properties.creator = "thidua"

    if figures is not None:
        _write_sources_sheet(wb.create_sheet(SOURCES_TITLE), figures, rows, meta)

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    _draw_rules(out, 1, [_rule_anchor(ws, r) for r in rules])
    return out


# --------------------------------------------------------------------------- the sources sheet


def _figure_value(fig: dict) -> str:
    raw = fig.get("raw_text")
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    value = fig.get("value")
    if missing(value):
        return ""
    return format_number(value, 0 if float(value).is_integer() else 2)


def _write_sources_sheet(ws, figures, rows: list[dict], meta: ReportMeta) -> None:
    last = len(SOURCE_COLUMNS)
    for i, width in enumerate(SOURCE_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    title = f"NGUỒN SỐ LIỆU CỦA BÁO CÁO {period_words(meta.period).upper()}"
    _merge(ws, 1, 1, last, title, bold=True, size=14, align="center")
    ws.row_dimensions[1].height = 24
    intro = ("Mỗi dòng là một số liệu đã dùng để đánh giá chỉ tiêu: giá trị như trong tệp của nguồn, "
             "tệp, trang tính và ô chứa nó, và lần nạp (mã lần nạp trong kho dữ liệu).")
    _merge(ws, 2, 1, last, intro, italic=True, wrap=True)
    _fit(ws, 2, [(intro, sum(SOURCE_WIDTHS), 12, False)])
    header_row = 4
    for col, label in enumerate(SOURCE_COLUMNS, 1):
        _set(ws, header_row, col, label, bold=True, align="center", wrap=True, border=True)
    _fit(ws, header_row, [(label, SOURCE_WIDTHS[i], 12, True) for i, label in enumerate(SOURCE_COLUMNS)], 32)
    by_target: dict[str, list[dict]] = {}
    for fig in figures:
        by_target.setdefault(str(fig.get("target_code")), []).append(dict(fig))
    row = header_row + 1
    for rec in rows:
        code = str(rec.get("target_code"))
        figs = sorted(by_target.get(code, []), key=lambda f: (str(f.get("indicator_code")), str(f.get("period")),
                                                               str(f.get("member_code") or ""),
                                                               int(f.get("load_id") or 0)))
        stt = stt_of(code, rec.get("plan_item"))
        name = rec.get("name_vi") or code
        if not figs:
            why = (f"Không có số liệu ({status_text(rec.get('status'))})" if missing(rec.get("value"))
                   else "Không tìm thấy ô nguồn của số liệu đã dùng")
            values = [stt, name, "", "", "", why, "", "", ""]
            _source_row(ws, row, values)
            row += 1
            continue
        for fig in figs:
            indicator = str(fig.get("indicator_code") or "")
            member = fig.get("member_code")
            if isinstance(member, str) and member:
                indicator += f" ({member})"
            period = str(fig.get("period") or "")
            load_id = fig.get("load_id")
            values = [stt, name, indicator, f"{period[5:7]}/{period[:4]}" if len(period) == 7 else period,
                      _figure_value(fig), fig.get("source_file") or "", fig.get("sheet") or "",
                      cell_text(fig.get("row_number"), fig.get("column_name"), fig.get("column_letter")),
                      "" if missing(load_id) or load_id is None else str(int(load_id))]
            _source_row(ws, row, values)
            row += 1
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{get_column_letter(last)}{max(row - 1, header_row)}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.oddFooter.center.text = "Nguồn số liệu - Trang &P / &N"


def _source_row(ws, row: int, values: list) -> None:
    aligns = ["center", "left", "left", "center", "center", "left", "left", "left", "center"]
    for col, value in enumerate(values, 1):
        _set(ws, row, col, value, border=True, wrap=True, align=aligns[col - 1], size=11)
    _fit(ws, row, [(v, SOURCE_WIDTHS[i], 11, False) for i, v in enumerate(values)])


# --------------------------------------------------------------------------- the two rules (drawn lines)

_EMU_PER_PX = 9525
_EMU_PER_PT = 12700


def _rule_anchor(ws, rule) -> tuple[int, int, int, int, float, float]:
    """Where a rule goes: (first column, column after the last, row under which, its offset in EMU, and the
    rule's start and end as shares of the merged cells' width). The rule is drawn inside a box spanning the
    cells of the text over it, at a share of their width: it stays centred under the text and keeps its
    proportion whatever a renderer makes of the column widths (LibreOffice without Calibri's metrics draws
    them about a third wider than Excel)."""
    under_row, first, last, text_pt, share = rule
    cells_pt = sum((ws.column_dimensions[get_column_letter(c)].width or 8.43) * _PX_PER_UNIT * 0.75
                   for c in range(first, last + 1))
    half = min(0.5, text_pt * share / cells_pt / 2)
    # 0-based index of the row below `under_row` is `under_row`; 2 pt below its top edge
    return first - 1, last, under_row, 2 * _EMU_PER_PT, 0.5 - half, 0.5 + half


def _draw_rules(path: Path, sheet_no: int, rules) -> None:
    """Add horizontal rules (DrawingML shapes anchored to cells) to sheet ``sheet_no`` of the saved workbook."""
    anchors = []
    for i, (first, after, row, row_off, start, end) in enumerate(rules, 1):
        x0, x1 = round(start * 100000), round(end * 100000)
        anchors.append(
            f'<xdr:twoCellAnchor editAs="twoCell">'
            f'<xdr:from><xdr:col>{first}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{row}</xdr:row><xdr:rowOff>{row_off}</xdr:rowOff></xdr:from>'
            f'<xdr:to><xdr:col>{after}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{row}</xdr:row><xdr:rowOff>{row_off + _EMU_PER_PT}</xdr:rowOff></xdr:to>'
            f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{i + 1}" name="{escape(f"Rule {i}")}"/>'
            f'<xdr:cNvSpPr/></xdr:nvSpPr><xdr:spPr>'  # no xfrm: the anchor sizes the box (LibreOffice too)
            f'<a:custGeom><a:avLst/><a:gdLst/><a:ahLst/><a:cxnLst/><a:rect l="0" t="0" r="r" b="b"/>'
            f'<a:pathLst><a:path w="100000" h="2" fill="none"><a:moveTo><a:pt x="{x0}" y="0"/></a:moveTo>'
            f'<a:lnTo><a:pt x="{x1}" y="0"/></a:lnTo></a:path></a:pathLst></a:custGeom><a:noFill/>'
            f'<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></xdr:spPr>'
            f'</xdr:sp><xdr:clientData/></xdr:twoCellAnchor>')
    drawing = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
               'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">' + "".join(anchors) + "</xdr:wsDr>")
    sheet_part = f"xl/worksheets/sheet{sheet_no}.xml"
    rels_part = f"xl/worksheets/_rels/sheet{sheet_no}.xml.rels"
    drawing_part = f"xl/drawings/rules{sheet_no}.xml"
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
    with zipfile.ZipFile(path) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    sheet = parts[sheet_part].decode("utf-8")
    element = ('<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
               'r:id="rIdRules"/>')
    later = re.search(r"<(legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|"
                      r"extLst)\b", sheet)
    cut = later.start() if later else sheet.rindex("</worksheet>")
    parts[sheet_part] = (sheet[:cut] + element + sheet[cut:]).encode("utf-8")
    relation = f'<Relationship Id="rIdRules" Type="{rel_type}" Target="../drawings/rules{sheet_no}.xml"/>'
    if rels_part in parts:
        rels = parts[rels_part].decode("utf-8")
        parts[rels_part] = rels.replace("</Relationships>", relation + "</Relationships>").encode("utf-8")
    else:
        parts[rels_part] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
                            '"http://schemas.openxmlformats.org/package/2006/relationships">' + relation
                            + "</Relationships>").encode("utf-8")
    parts[drawing_part] = drawing.encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    override = (f'<Override PartName="/{drawing_part}" '
                'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>')
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
