"""The generic spreadsheet reader on tiny workbooks built in tmp_path."""

from __future__ import annotations

import math
import shutil

import pytest

from connectors.errors import BadInputError, FatalSourceError
from connectors.excel import Workbook, is_ruler_row, read_sheet, read_workbook, sniff_format
from connectors.layout import load_layout, parse_layout

from .workbooks import tax_rows, write_workbook

LAYOUT = parse_layout({
    "source": "demo",
    "sheets": {
        "main": {
            "select": {"names": ["Số liệu"], "only_sheet": True},
            "header": {"detect": ["STT", "Chỉ tiêu"], "max_rows": 3, "ruler": True},
            "unit_line": "required",
            "stop": {"footer": ["Người lập biểu"]},
            "columns": {
                "stt": {"labels": ["STT"], "kind": "text"},
                "label": {"labels": ["Chỉ tiêu"], "kind": "text"},
                "amount_vnd": {"labels": ["Số tiền"], "kind": "money"},
                "count": {"labels": ["Số lượng"], "kind": "number"},
                "note": {"labels": ["Ghi chú"], "kind": "text", "required": False},
            },
        }
    },
})


def _read(path, layout=LAYOUT, key="main"):
    with Workbook(path, source="demo") as book:
        return read_sheet(book, layout.sheets[key])


def test_header_found_by_labels_wherever_it_is(tmp_path):
    rows_a = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 10, 1]]
    rows_b = [["BÁO CÁO"], [], ["Tháng 8 năm 2025"], ["Đơn vị tính: đồng"], [],
              ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 10, 1]]
    a = _read(write_workbook(tmp_path / "a.xlsx", {"Số liệu": rows_a}))
    b = _read(write_workbook(tmp_path / "b.xlsx", {"Số liệu": rows_b}))
    assert a.records["amount_vnd"].tolist() == b.records["amount_vnd"].tolist() == [10.0]
    assert a.records["row_number"].tolist() == [3]
    assert b.records["row_number"].tolist() == [7]  # row numbers as Excel shows them
    assert b.period == "2025-08"


def test_merged_two_row_header_is_forward_filled_and_joined(tmp_path):
    path = tmp_path / "t.xlsx"
    rows, merges = tax_rows([[None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 100, 110, 5, 50, 45, 50, 111.1, None]])
    write_workbook(path, {"Thu NSNN": rows}, {"Thu NSNN": merges})
    table = read_workbook(path, load_layout("tax"))["thu_nsnn"]
    assert table.column_labels["du_toan_phap_lenh_vnd"] == "Dự toán năm 2025 / Pháp lệnh"
    assert table.column_labels["du_toan_hdnd_vnd"] == "Dự toán năm 2025 / HĐND giao"
    assert table.column_labels["tl_so_cung_ky_pct"] == "So sánh (%) / Lũy kế so cùng kỳ"
    assert table.column_labels["luy_ke_vnd"] == "Lũy kế từ đầu năm"  # a vertical merge counts once
    rec = table.records.iloc[0]
    assert rec["du_toan_phap_lenh_vnd"] == 100_000_000.0
    assert rec["du_toan_hdnd_vnd"] == 110_000_000.0
    assert rec["tl_so_cung_ky_pct"] == 111.1  # percentages are not converted


def test_two_row_header_without_merge_information(tmp_path):
    # the same header typed without merging: the group label sits over its first sub-column only
    path = tmp_path / "t.xlsx"
    rows, _ = tax_rows([[None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 100, 110, 5, 50, 45, None, None, None]])
    write_workbook(path, {"Thu NSNN": rows})
    table = read_workbook(path, load_layout("tax"))["thu_nsnn"]
    assert table.column_labels["du_toan_hdnd_vnd"] == "Dự toán năm 2025 / HĐND giao"
    assert table.records.iloc[0]["du_toan_hdnd_vnd"] == 110_000_000.0


def test_ruler_row_is_skipped(tmp_path):
    rows = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["A", "B", "1", "2"],
            ["1", "a", 10, 1]]
    table = _read(write_workbook(tmp_path / "r.xlsx", {"Số liệu": rows}))
    assert table.records["label"].tolist() == ["a"]


def test_ruler_detection():
    assert is_ruler_row(["A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"])
    assert is_ruler_row([1.0, 2.0, 3.0])
    assert is_ruler_row(["(1)", "(2)", "(3)"])
    assert not is_ruler_row(["1", "Thu nội địa", 12.0])
    assert not is_ruler_row(["A", "KINH TẾ"])


def test_blank_dash_and_zero_are_kept_apart(tmp_path):
    rows = [["Đơn vị tính: Triệu đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"],
            ["1", "blank", None, 1], ["2", "dash", "-", 1], ["3", "en dash", "–", 1], ["4", "zero", 0, 1],
            ["5", "text zero", "0", 1], ["6", "text", "1.234,5", 1]]
    table = _read(write_workbook(tmp_path / "b.xlsx", {"Số liệu": rows}))
    amounts = table.records["amount_vnd"].tolist()
    assert math.isnan(amounts[0]) and math.isnan(amounts[1]) and math.isnan(amounts[2])
    assert amounts[3:] == [0.0, 0.0, 1_234_500_000.0]
    raw = [cells["amount_vnd"] for cells in table.records["raw_cells"]]
    assert raw == ["", "-", "–", "0", "0", "1.234,5"]


@pytest.mark.parametrize(("unit", "vnd"), [("Đơn vị tính: Triệu đồng", 2_500_000.0),
                                           ("Đơn vị tính: đồng", 2.5),
                                           ("Đơn vị tính: nghìn đồng", 2_500.0),
                                           ("ĐVT: Tỷ đồng", 2_500_000_000.0)])
def test_unit_line_converts_money_to_vnd(tmp_path, unit, vnd):
    rows = [[None, None, None, unit], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 2.5, 2.5]]
    table = _read(write_workbook(tmp_path / "u.xlsx", {"Số liệu": rows}))
    assert table.records["amount_vnd"].tolist() == [vnd]
    assert table.records["count"].tolist() == [2.5]  # not money: never converted


def test_missing_unit_line_is_reported(tmp_path):
    rows = [["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 2.5, 2.5]]
    with pytest.raises(BadInputError, match="Đơn vị tính"):
        _read(write_workbook(tmp_path / "u.xlsx", {"Số liệu": rows}))


def test_unknown_money_unit_is_reported(tmp_path):
    rows = [["Đơn vị tính: Trăm đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 2.5, 2.5]]
    with pytest.raises(BadInputError, match="Trăm đồng"):
        _read(write_workbook(tmp_path / "u.xlsx", {"Số liệu": rows}))


def test_missing_required_column_names_file_sheet_row_column(tmp_path):
    rows = [["Đơn vị tính: đồng"], [], ["STT", "Chỉ tiêu", "Số tiền", "Ghi chú"], ["1", "a", 1, None]]
    with pytest.raises(BadInputError) as info:
        _read(write_workbook(tmp_path / "thieu-cot.xlsx", {"Số liệu": rows}))
    err = info.value
    assert isinstance(err, FatalSourceError)
    assert (err.file, err.sheet, err.row, err.column) == ("thieu-cot.xlsx", "Số liệu", 3, "Số lượng")
    assert err.found == ["STT", "Chỉ tiêu", "Số tiền", "Ghi chú"]
    assert str(err).startswith("demo file thieu-cot.xlsx, sheet 'Số liệu', row 3, column 'Số lượng': found [")
    assert "expected a column headed 'Số lượng'" in str(err)


def test_text_in_a_number_column_is_one_clear_sentence(tmp_path):
    rows = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 1, 2],
            ["2", "b", "abc", 2]]
    with pytest.raises(BadInputError) as info:
        _read(write_workbook(tmp_path / "bao-cao.xlsx", {"Số liệu": rows}))
    assert str(info.value) == ("demo file bao-cao.xlsx, sheet 'Số liệu', row 4, column 'Số tiền' (C): "
                               "found 'abc', expected a number")


def test_no_header_row_is_reported(tmp_path):
    rows = [["Đơn vị tính: đồng"], ["Mục", "Tên", "Tiền"], ["1", "a", 1]]
    with pytest.raises(BadInputError, match="header row with the labels 'STT', 'Chỉ tiêu'"):
        _read(write_workbook(tmp_path / "x.xlsx", {"Số liệu": rows}))


def test_data_stop_at_the_footer_not_at_a_blank_row(tmp_path):
    rows = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 1, 1],
            ["Người lập biểu", None, None, None], ["9", "after footer", 9, 9]]
    assert _read(write_workbook(tmp_path / "f.xlsx", {"Số liệu": rows})).records["label"].tolist() == ["a"]
    # a blank row inside the table is skipped and reported, never the end of the table (issue 16)
    rows = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 1, 1], [],
            ["9", "after gap", 9, 9], [], ["Ghi chú: số liệu ước tính"]]
    records = _read(write_workbook(tmp_path / "g.xlsx", {"Số liệu": rows})).records
    assert records["label"].tolist() == ["a", "after gap"]
    assert records["row_number"].tolist() == [3, 5]
    assert [w["message_en"].split(": ", 1)[1] for w in records.attrs["reader_warnings"]] == [
        "a blank row inside the table, skipped (rows 4)"]


def test_labels_match_in_nfd_and_other_case(tmp_path):
    import unicodedata
    header = [unicodedata.normalize("NFD", x) for x in ["stt", "CHỈ TIÊU", "Số  tiền", "Số\nlượng"]]
    rows = [["Đơn vị tính: đồng"], header, ["1", "a", 3, 4]]
    table = _read(write_workbook(tmp_path / "n.xlsx", {"Số liệu": rows}))
    assert table.records[["amount_vnd", "count"]].values.tolist() == [[3.0, 4.0]]


def test_sheet_chosen_by_name_among_others(tmp_path):
    other = [["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "wrong", 1, 1]]
    right = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "right", 1, 1]]
    path = write_workbook(tmp_path / "s.xlsx", {"Khác": other, "Số liệu": right})
    assert _read(path).records["label"].tolist() == ["right"]


def test_missing_sheet_lists_the_sheets_found(tmp_path):
    path = write_workbook(tmp_path / "s.xlsx", {"A": [["x"]], "B": [["y"]]})
    with pytest.raises(BadInputError, match=r"found \['A', 'B'\], expected a sheet named 'Số liệu'"):
        _read(path)


def test_format_is_sniffed_not_taken_from_the_extension(tmp_path):
    rows = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 1, 1]]
    xlsx = write_workbook(tmp_path / "s.xlsx", {"Số liệu": rows})
    disguised = tmp_path / "s.xls"
    shutil.copy(xlsx, disguised)
    assert sniff_format(disguised) == "xlsx"
    assert _read(disguised).records["label"].tolist() == ["a"]
    html = tmp_path / "h.xls"
    html.write_text("<html><table><tr><td>1</td></tr></table></html>", encoding="utf-8")
    assert sniff_format(html) == "html"
    with Workbook(html) as book:  # an HTML table saved as .xls is read as one sheet per table
        assert book.sheet_names == ["Table 1"] and book.grid("Table 1").rows == [["1"]]
    junk = tmp_path / "j.xls"
    junk.write_bytes(b"\x00\x01\x02 not a spreadsheet")
    with pytest.raises(BadInputError, match="found 'a unknown file', expected an Excel workbook"):
        Workbook(junk)


def test_a_yearly_variant_is_declared_in_the_layout_not_coded(tmp_path):
    data = {
        "source": "demo",
        "sheets": {"main": {
            "select": {"names": ["Số liệu"]},
            "header": {"detect": ["STT", "Chỉ tiêu"], "ruler": False},
            "unit_line": "required",
            "columns": {"stt": {"labels": ["STT"]}, "label": {"labels": ["Chỉ tiêu"]},
                        "amount_vnd": {"labels": ["Số tiền"], "kind": "money"},
                        "count": {"labels": ["Số lượng"], "kind": "number"}},
            # the 2026 form: a Mã MLNS column, the amount headed "Giá trị", no count
            "versions": [{"name": "2026", "header_has": ["Mã MLNS"],
                          "columns": {"amount_vnd": {"labels": ["Giá trị"], "kind": "money"},
                                      "mlns": {"labels": ["Mã MLNS"], "kind": "text"}},
                          "drop": ["count"]}],
        }},
    }
    layout = parse_layout(data)
    old = [["Đơn vị tính: đồng"], ["STT", "Chỉ tiêu", "Số tiền", "Số lượng"], ["1", "a", 10, 2]]
    new = [["Đơn vị tính: nghìn đồng"], ["STT", "Chỉ tiêu", "Mã MLNS", "Giá trị"], ["1", "a", "1000", 10]]
    a = _read(write_workbook(tmp_path / "old.xlsx", {"Số liệu": old}), layout)
    b = _read(write_workbook(tmp_path / "new.xlsx", {"Số liệu": new}), layout)
    assert a.records.attrs["layout_version"] == "base" and b.records.attrs["layout_version"] == "2026"
    assert a.records["amount_vnd"].tolist() == [10.0] and a.records["count"].tolist() == [2.0]
    assert b.records["amount_vnd"].tolist() == [10_000.0] and b.records["mlns"].tolist() == ["1000"]
    assert "count" not in b.records.columns
    with pytest.raises(BadInputError, match="expected a column headed 'Giá trị'"):
        _read(write_workbook(tmp_path / "broken.xlsx",
                             {"Số liệu": [old[0], ["STT", "Chỉ tiêu", "Mã MLNS", "Số tiền"], ["1", "a", "1", 1]]}),
              layout)
