"""The whole table, never a silent shortfall (issue 16): formulas saved without their result, blank and
hidden rows inside a table, absurd magnitudes. Workbooks are built here with openpyxl (which, like many
exporters, saves formulas without a cached value); expected figures are written by hand."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from connectors.education import read_education_workbook
from connectors.errors import BadInputError
from connectors.tax import read_tax_workbook

from .workbooks import tax_rows, write_workbook

# Items typed as numbers; the total, section I and item 1 are formulas (column letters of tax_rows: D..H).
ITEMS = [
    ["1", "Thuế thu nhập cá nhân", "1000", 200, 220, 20.5, 200.5, 180, None, None, None],
    ["1.1", "Trong đó: từ tiền lương", None, None, None, 10, 100, 90, None, None, None],
    ["2", "Thu từ quỹ đất công ích", None, 100, 110, 10, 50, 40, None, None, None],
]


def _tax_with_formulas(tmp_path, total_formula="=SUM({c}12,{c}14)"):
    data = [[None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None] + [None] * 8, ["I", "Thu nội địa", None] + [None] * 8, *ITEMS]
    rows, merges = tax_rows(data)
    path = write_workbook(tmp_path / "bao-cao.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    book = openpyxl.load_workbook(path)
    sheet = book["Thu NSNN"]
    for c in "DEFGH":
        sheet[f"{c}10"] = f"={c}11"                              # the total is section I
        sheet[f"{c}11"] = total_formula.format(c=c)              # section I sums items 1 and 2
    book.save(path)
    return path


def test_totals_saved_as_formulas_without_results_are_computed(tmp_path):
    records = read_tax_workbook(_tax_with_formulas(tmp_path)).set_index("member_code")
    # by hand: item 1 + item 2 in million VND (month 20.5 + 10; year to date 200.5 + 50; estimate 200 + 100)
    assert records.loc["TONG", "th_thang_vnd"] == 30_500_000.0
    assert records.loc["I", "luy_ke_vnd"] == 250_500_000.0
    assert records.loc["TONG", "du_toan_phap_lenh_vnd"] == 300_000_000.0
    assert records.loc["TONG", "raw_cells"]["luy_ke_vnd"] == "=G11"
    notes = [w["message_en"] for w in records.attrs["reader_warnings"]]
    assert any("row 11, column 'Lũy kế từ đầu năm' (G)" in n and "=SUM(G12,G14)" in n for n in notes)


def test_a_formula_that_is_not_arithmetic_is_refused_naming_its_cells(tmp_path):
    path = _tax_with_formulas(tmp_path, total_formula="=VLOOKUP(\"x\",{c}12:{c}14,1)")
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path)
    rows = {(p.row, p.letter) for p in info.value.problems}
    # section I's five cells, and the total's five that refer to them
    assert rows == {(r, c) for r in (10, 11) for c in "DEFGH"}
    first = info.value.problems[0]
    assert first.found.startswith("=") and "saved without its result" in first.expected


SCHOOL_HEADER = ["STT", "Mã trường", "Tên trường", "Cấp học", "Loại hình", "Mức chuẩn quốc gia", "Cấp độ kiểm định",
                 "Số QĐ công nhận", "Ngày QĐ", "Cơ quan công nhận", "Ngày hết hạn", "Trạng thái"]


def _register(tmp_path, n: int, blank_after: int | None = None, hide: int | None = None):
    top = [["UBND PHƯỜNG CHU VĂN AN"], [], [], ["DANH SÁCH TRƯỜNG ĐẠT CHUẨN QUỐC GIA"], ["Tháng 12 năm 2025"]]
    rows = top + [SCHOOL_HEADER]
    for i in range(1, n + 1):
        rows.append([i, f"TR{i:02d}", f"Trường {i}", "Tiểu học", "Công lập", "Mức độ 1", None, f"{i}/QĐ-UBND",
                     date(2022, 1, i), "UBND TP Hải Phòng", None, None])
        if blank_after == i:
            rows.append([])
    rows += [[], ["Người lập biểu", None, None, None, "Thủ trưởng đơn vị"]]
    path = write_workbook(tmp_path / "truong-hoc.xlsx", {"Danh sách trường": rows})
    if hide is not None:
        book = openpyxl.load_workbook(path)
        book["Danh sách trường"].row_dimensions[hide].hidden = True
        book.save(path)
    return path


def test_a_blank_row_in_the_middle_loses_no_school(tmp_path):
    records = read_education_workbook(_register(tmp_path, 13, blank_after=7))
    assert records["ma_truong"].tolist() == [f"TR{i:02d}" for i in range(1, 14)]
    notes = [w["message_en"] for w in records.attrs["reader_warnings"]]
    assert any("a blank row inside the table, skipped (rows 14)" in n for n in notes)


def test_a_hidden_row_is_skipped_and_reported(tmp_path):
    # row 10 of the sheet is school 4 (header on row 6)
    records = read_education_workbook(_register(tmp_path, 6, hide=10))
    assert records["ma_truong"].tolist() == ["TR01", "TR02", "TR03", "TR05", "TR06"]
    notes = [w["message_en"] for w in records.attrs["reader_warnings"]]
    assert any("a hidden row inside the table, not read (rows 10)" in n for n in notes)


@pytest.mark.parametrize(("typed", "expected"), [(1e308, "absurd magnitude"), (2.5e15, "absurd magnitude"),
                                                 ("1e308", "a number")])
def test_an_absurd_magnitude_is_refused_at_its_cell(tmp_path, typed, expected):
    # 1e308 million VND is infinite in VND: it was stored as inf and every later close crashed
    data = [[None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 300, 330, 30.5, 250.5, 220, None, None, None],
            ["I", "Thu nội địa", None, 300, 330, 30.5, typed, 220, None, None, None],
            *ITEMS]
    rows, merges = tax_rows(data)
    path = write_workbook(tmp_path / "bao-cao.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path)
    problem, = info.value.problems
    assert (problem.row, problem.letter, problem.column) == (11, "G", "Lũy kế từ đầu năm")
    assert expected in problem.expected


def test_a_report_without_section_i_is_refused_naming_it(tmp_path):
    data = [[None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 300, 330, 30.5, 250.5, 220, None, None, None],
            ["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, 500, 40, 400, 380, None, None, None]]
    rows, merges = tax_rows(data)
    path = write_workbook(tmp_path / "bao-cao.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path)
    assert "expected the rows of a complete report: 'I'" in str(info.value)


def test_a_station_missing_a_criterion_is_refused_naming_it(tmp_path):
    from connectors.health import read_health_workbook

    header = ["STT", "Mã trạm", "Tên trạm", "Tiêu chí số", "Tên tiêu chí", "Kết luận"]
    rows = [["UBND"], [], [], ["TIÊU CHÍ QUỐC GIA VỀ Y TẾ XÃ"], ["Tháng 12 năm 2025"], header]
    rows += [[n, "T1", "Trạm", n, f"Tiêu chí {n}", "Đạt"] for n in range(1, 11) if n != 7]
    path = write_workbook(tmp_path / "y-te.xlsx", {"Tiêu chí trạm y tế": rows})
    with pytest.raises(BadInputError) as info:
        read_health_workbook(path)
    assert "expected a row for each of the 10 criteria of station T1 (criteria 7 missing)" in str(info.value)
