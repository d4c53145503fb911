"""Which sheet is read (issue 16, "the right sheet"): hidden sheets never, drafts and copies never, the
visible sheet of the delivery's month in a workbook with a sheet per month; two visible sheets claiming the
month are refused naming both. Workbooks are built here; expected figures are the DATA rows (by hand)."""

from __future__ import annotations

import openpyxl
import pytest

from connectors.errors import BadInputError
from connectors.tax import read_tax_workbook

from .workbooks import tax_rows, write_workbook

GOOD = [
    [None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 300, 330, 30.5, 250.5, 220, None, None, None],
    ["I", "Thu nội địa", None, 300, 330, 30.5, 250.5, 220, None, None, None],
    ["1", "Thuế thu nhập cá nhân", "1000", 300, 330, 30.5, 250.5, 220, None, None, None],
]
STALE = [[*row[:5], 11.0, 111.0, *row[7:]] for row in GOOD]


def _sheet(data, month: int = 12):
    rows, merges = tax_rows(data)
    rows[4] = [f"Tháng {month} năm 2025"]
    return rows, merges


def _book(tmp_path, sheets: list[tuple[str, list, str]]):
    """sheets: (name, data, state) with state visible|hidden; each sheet's month from its name 'Tn'."""
    content, merges = {}, {}
    for name, data, _state in sheets:
        month = int(name[1:]) if name[:1] == "T" and name[1:].isdigit() else 12
        content[name], merges[name] = _sheet(data, month)
    path = write_workbook(tmp_path / "bao-cao.xlsx", content, merges)
    book = openpyxl.load_workbook(path)
    for name, _data, state in sheets:
        book[name].sheet_state = state
    book.save(path)
    return path


def _ytd(records) -> list[float]:
    return records["luy_ke_vnd"].tolist()


def test_a_hidden_stale_sheet_is_never_read(tmp_path):
    path = _book(tmp_path, [("Thu NSNN", STALE, "hidden"), ("Thu NSNN (2)", GOOD, "visible")])
    records = read_tax_workbook(path, period="2025-12")
    assert _ytd(records) == [250_500_000.0] * 3
    notes = [w["message_en"] for w in records.attrs["reader_warnings"]]
    assert any("sheet 'Thu NSNN'" in n and "hidden sheet, not read" in n for n in notes)


def test_a_draft_sheet_first_is_passed_over(tmp_path):
    path = _book(tmp_path, [("Nháp", STALE, "visible"), ("Thu NSNN", GOOD, "visible")])
    assert _ytd(read_tax_workbook(path, period="2025-12")) == [250_500_000.0] * 3


def test_a_sheet_per_month_gives_the_delivery_month(tmp_path):
    path = _book(tmp_path, [("T10", STALE, "visible"), ("T11", STALE, "visible"), ("T12", GOOD, "visible")])
    assert _ytd(read_tax_workbook(path, period="2025-12")) == [250_500_000.0] * 3
    assert _ytd(read_tax_workbook(path, period="2025-11")) == [111_000_000.0] * 3


def test_two_visible_sheets_claiming_the_month_are_refused_naming_both(tmp_path):
    path = _book(tmp_path, [("Thu NSNN", STALE, "visible"), ("Thu NSNN (2)", GOOD, "visible")])
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path, period="2025-12")
    assert "'Thu NSNN', 'Thu NSNN (2)'" in str(info.value)
    assert "one sheet per month" in str(info.value)


def test_no_sheet_of_the_month_is_refused_listing_the_sheets(tmp_path):
    path = _book(tmp_path, [("T10", STALE, "visible"), ("T11", STALE, "visible")])
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path, period="2025-12")
    assert "'T10', 'T11'" in str(info.value) and "12/2025" in str(info.value)
