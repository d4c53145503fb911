"""The council's report, print layout (read back with openpyxl): rows as tall as their wrapped text, the
header of Nghị định 30/2020/NĐ-CP with its drawn rules, the sources' notices, the figures sheet, and the
statuses of the shared vocabulary (an untracked target is printed, not dropped)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile

import pytest
from openpyxl import load_workbook

from reports.excel import (
    SHEET_TITLE,
    SOURCE_COLUMNS,
    SOURCES_TITLE,
    ReportMeta,
    compare_text,
    count_lines,
    write_attainment_report,
)
from reports.vn import STATUS_VI
from tests.unit.reports.rows import NAN, ROWS, row

META = ReportMeta(period="2025-10", unit_code="10549", unit_name="Phường Chu Văn An",
                  issuer="UBND PHƯỜNG CHU VĂN AN", place="Chu Văn An", issued_on=dt.date(2025, 11, 5),
                  parent_issuer="UBND THÀNH PHỐ HẢI PHÒNG", parent_name="UBND thành phố Hải Phòng")
LONG = ("Cần thêm 38,0 tỷ đồng thu ngân sách đến hết tháng 12 để đạt mức tăng 8%; các khoản thu tiền sử dụng đất "
        "và lệ phí trước bạ chưa đạt dự toán")
UNTRACKED = row("CT14", "Tỷ lệ hộ gia đình có rác thải được phân loại tại nguồn đạt 50%", "%", "at_least", 50, NAN,
                NAN, "needs_review", outlook_status=None)
NOTICE = "Báo cáo thuế tháng 10/2025 bị trả lại ngày 04/11/2025; chỉ tiêu 1a, 1b tính theo số liệu đến tháng 9/2025."
FIGURE = {"target_code": "CT09", "plan_item": 9, "name_vi": "Thu hút khách du lịch đạt 100.000 lượt khách",
          "indicator_code": "LUOT_KHACH", "member_code": "", "period": "2025-10", "raw_text": "94.000",
          "value": 94000.0, "source_file": "chi-tieu-khac-10-2025.xlsx", "sheet": "Chỉ tiêu", "row_number": 12,
          "column_name": "Lũy kế", "load_id": 7}


@pytest.fixture()
def book(tmp_path):
    rows = [dict(r) for r in ROWS] + [UNTRACKED]
    rows[0]["gap_text"] = LONG
    path = write_attainment_report(rows, META, tmp_path / "bao-cao.xlsx", notices=[NOTICE], figures=[FIGURE])
    return path, load_workbook(path)


def find(ws, text):
    for line in ws.iter_rows():
        for cell in line:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not in the sheet")


def test_count_lines_wraps_words():
    # one short word: one line; a text four times as wide as its column: at least four lines
    assert count_lines("Đạt", 15) == 1
    assert count_lines("", 15) == 1
    one_line = "Khu vực Nông nghiệp tăng 4,5%"
    assert count_lines(one_line, 46) == 1
    assert count_lines(" ".join([one_line] * 4), 46) >= 4
    assert count_lines("a\nb", 40) == 2
    # a word longer than the column is broken, not left on one line
    assert count_lines("X" * 60, 10) >= 5


def test_rows_are_as_tall_as_their_wrapped_text(book):
    _, wb = book
    ws = wb[SHEET_TITLE]
    short = find(ws, "Thu hút khách du lịch đạt 100.000 lượt khách").row
    long_note = find(ws, LONG).row
    one_line = ws.row_dimensions[short].height
    # the note takes three lines or more in its 42-wide column: its row is at least three lines of 12 pt
    assert ws.row_dimensions[long_note].height >= 3 * 12 * 1.2
    assert ws.row_dimensions[long_note].height > one_line >= 18
    for r in range(find(ws, "STT").row + 2, find(ws, "Nơi nhận:").row - 1):
        assert ws.row_dimensions[r].height is not None, r


def test_header_of_nd30_with_parent_body_and_drawn_rules(book):
    path, wb = book
    ws = wb[SHEET_TITLE]
    assert ws["A1"].value == "UBND THÀNH PHỐ HẢI PHÒNG" and not ws["A1"].font.b
    assert ws["A2"].value == "UBND PHƯỜNG CHU VĂN AN" and ws["A2"].font.b
    assert ws["A3"].value == "Số:        /BC-UBND"
    assert find(ws, "Độc lập - Tự do - Hạnh phúc").row == 2
    date_line = find(ws, "Chu Văn An, ngày 05 tháng 11 năm 2025")
    assert date_line.row == 3 and date_line.font.i
    with zipfile.ZipFile(path) as z:
        drawing = z.read("xl/drawings/rules1.xml").decode("utf-8")
        assert "rules1.xml" in z.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
        assert 'r:id="rIdRules"' in z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    # two rules, each under the row of its text (0-based row 2 = under row 2): issuer A:C, motto E:I
    assert drawing.count("<xdr:twoCellAnchor") == 2
    assert "<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>2</xdr:row>" in drawing
    assert "<xdr:from><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>2</xdr:row>" in drawing
    assert find(ws, "- UBND thành phố Hải Phòng (để báo cáo);").column == 1
    for text in ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Ký, ghi rõ họ tên, đóng dấu)"):
        assert find(ws, text).column == 6


def test_without_a_parent_body_the_issuer_heads_the_page(tmp_path):
    meta = dataclasses.replace(META, parent_issuer=None, parent_name=None)
    ws = load_workbook(write_attainment_report(ROWS, meta, tmp_path / "r.xlsx"))[SHEET_TITLE]
    assert ws["A1"].value == "UBND PHƯỜNG CHU VĂN AN"
    assert SOURCES_TITLE not in ws.parent.sheetnames  # no figures given, no sheet
    assert ws.print_title_rows == "$9:$10"  # no notice: the table starts where it always did


def test_notice_above_the_table_moves_it_down(book):
    _, wb = book
    ws = wb[SHEET_TITLE]
    notice = find(ws, "Lưu ý về nguồn số liệu: " + NOTICE)
    header = find(ws, "STT").row
    assert notice.row < header and notice.alignment.wrap_text
    assert ws.print_title_rows == f"${header}:${header + 1}"
    assert ws.freeze_panes == f"A{header + 2}"


def test_untracked_target_prints_with_its_label(book):
    _, wb = book
    ws = wb[SHEET_TITLE]
    r = find(ws, "Tỷ lệ hộ gia đình có rác thải được phân loại tại nguồn đạt 50%").row
    assert ws.cell(row=r, column=1).value == "14"
    assert ws.cell(row=r, column=7).value == STATUS_VI["needs_review"] == "Cần rà soát – chưa có nguồn"
    assert ws.cell(row=r, column=5).value is None and ws.cell(row=r, column=6).value is None
    assert ws.cell(row=r, column=9).value in (None, "")  # not "Chưa có số liệu": it has no source at all


@pytest.mark.parametrize(("value", "high", "expected"), [
    (0.6725, 1, "Thấp hơn ngưỡng 0,33 điểm %"),   # 1 - 0,6725 = 0,3275
    (1.25, 1, "Cao hơn ngưỡng 0,25 điểm %"),
    (1.0, 1, "Bằng ngưỡng"),
])
def test_lower_is_better_compares_in_words(value, high, expected):
    assert compare_text(row("CT04", "x", "%", "strictly_below", NAN, high, value, "met")) == expected


def test_compare_in_words_only_for_lower_is_better():
    assert compare_text(row("CT09", "x", "lượt", "at_least", 100000, NAN, 94000, "on_track")) is None
    assert compare_text(row("CT04", "x", "hộ", "strictly_below", NAN, 120, 105, "met")) == "Thấp hơn ngưỡng 15 hộ"
    assert compare_text(row("CT04", "x", "%", "strictly_below", NAN, 1, NAN, "no_data")) is None


def test_sources_sheet_lists_the_figure_and_every_target(book):
    _, wb = book
    ws = wb[SOURCES_TITLE]
    header = find(ws, "STT").row
    assert [ws.cell(row=header, column=c).value for c in range(1, len(SOURCE_COLUMNS) + 1)] == SOURCE_COLUMNS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=header + 1)]
    assert ["9", "Thu hút khách du lịch đạt 100.000 lượt khách", "LUOT_KHACH", "10/2025", "94.000",
            "chi-tieu-khac-10-2025.xlsx", "Chỉ tiêu", "dòng 12, cột “Lũy kế”", "7"] in rows
    assert [r[0] for r in rows] == ["1a", "4", "8b", "9", "12", "13", "14"]
    by_stt = {r[0]: r for r in rows}
    assert by_stt["13"][5] == "Không có số liệu (Chưa có số liệu)"
    assert by_stt["14"][5] == "Không có số liệu (Cần rà soát – chưa có nguồn)"
    assert by_stt["4"][5] == "Không tìm thấy ô nguồn của số liệu đã dùng"  # judged, yet no cell given
    # the formula-looking target name of CT13 stays text here too
    assert by_stt["13"][1] == "'=HYPERLINK(\"http://x\",\"bấm\")"
