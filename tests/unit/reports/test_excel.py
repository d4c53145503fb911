"""The council's Excel report, written and read back with openpyxl (numbers, labels, layout, print setup)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from reports.excel import COLUMNS, SHEET_TITLE, ReportMeta, write_attainment_report
from tests.unit.reports.rows import ROWS

META = ReportMeta(period="2025-10", unit_code="10549", unit_name="Phường Chu Văn An",
                  issuer="UBND PHƯỜNG CHU VĂN AN", place="Chu Văn An", issued_on=dt.date(2025, 11, 5),
                  evaluated_at=dt.datetime(2025, 11, 3, 9, 30))


@pytest.fixture()
def sheet(tmp_path):
    path = write_attainment_report(ROWS, META, tmp_path / "out" / "bao-cao.xlsx")
    return load_workbook(path)[SHEET_TITLE]


def find(ws, text):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not in the sheet")


def data_rows(ws):
    header = find(ws, "STT").row
    out = {}
    for r in range(header + 2, ws.max_row + 1):
        stt = ws.cell(row=r, column=1).value
        if stt in (None, "Nơi nhận:"):
            break
        out[stt] = [ws.cell(row=r, column=c).value for c in range(1, len(COLUMNS) + 1)]
        out[stt].append(ws.cell(row=r, column=5).number_format)
    return out


def test_header_block_title_period_and_unit(sheet):
    assert sheet["A1"].value == "UBND PHƯỜNG CHU VĂN AN"
    assert find(sheet, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").column == 5
    assert find(sheet, "Độc lập - Tự do - Hạnh phúc").row == 2
    find(sheet, "Chu Văn An, ngày 05 tháng 11 năm 2025")
    find(sheet, "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THI ĐUA NĂM 2025")
    find(sheet, "Tháng 10 năm 2025 (số liệu đến hết ngày 31/10/2025; đánh giá ngày 03/11/2025)")
    find(sheet, "Đơn vị báo cáo: Phường Chu Văn An, thành phố Hải Phòng (mã đơn vị 10549)")
    header = find(sheet, "STT").row
    assert [sheet.cell(row=header, column=c).value for c in range(1, 10)] == COLUMNS


def test_numbers_are_numeric_cells_in_vietnamese_formats(sheet):
    rows = data_rows(sheet)
    assert list(rows) == ["1a", "4", "8b", "9", "12", "13"]
    # STT, name, unit, plan, result, TH/KH %, status, outlook, note, format of the result
    assert rows["1a"][2:8] == ["%", "từ 8 đến 10", 8.96, 112.0, "Đạt", "Dự kiến đạt (8,96%)"]
    assert rows["1a"][9] == "[$-42A]#,##0.00"
    # lower is better: the gap to the ceiling in words, not 67,2 % of it (1 - 0,6725 = 0,3275 points)
    assert rows["4"][3:7] == ["< 1", 0.6725, "Thấp hơn ngưỡng 0,33 điểm %", "Đạt"]
    assert rows["8b"][4:8] == [99.96, 100.0, "Chậm tiến độ", "Không đạt (99,96%)"]
    assert rows["8b"][8] == "Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn"
    assert rows["9"][2:8] == ["lượt", "≥ 100.000", 94000, 94.0, "Đúng tiến độ", "Dự kiến đạt (111.828 lượt)"]
    assert rows["9"][9] == "[$-42A]#,##0"
    assert rows["12"][3:8] == ["Giữ vững", "Giữ vững", None, "Đạt", "Dự kiến đạt"]


def test_missing_value_is_empty_never_zero_and_restatement_is_noted(sheet):
    row = data_rows(sheet)["13"]
    assert row[4] is None and row[5] is None
    assert row[6] == "Chưa có số liệu"
    # the cell starts with our words: the source's '@SUM(1)' inside it cannot run
    assert row[8] == "Chưa có số liệu; @SUM(1); Điều chỉnh sau khi khóa sổ năm"


def test_text_from_sources_never_becomes_a_formula(sheet):
    row = data_rows(sheet)["13"]
    assert row[1] == "'=HYPERLINK(\"http://x\",\"bấm\")"
    for r in sheet.iter_rows():
        for cell in r:
            assert cell.data_type != "f", cell.coordinate


def test_signature_block(sheet):
    for text in ("Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Người lập biểu", "(Ký, ghi rõ họ tên, đóng dấu)",
                 "- Hội đồng Thi đua - Khen thưởng phường;"):
        find(sheet, text)
    assert find(sheet, "Nơi nhận:").row > max(c.row for c in sheet["A"] if c.value == "13")


def test_print_ready(sheet):
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$9:$10"
    assert sheet.freeze_panes == "A11"
