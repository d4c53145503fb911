"""Vietnamese conventions: numbers, units, dates, text (expected values written by hand)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from connectors import vn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (1234.5, 1234.5),
        (0, 0.0),
        (0.0, 0.0),
        ("0", 0.0),
        ("1.234,5", 1234.5),
        ("146.068", 146068.0),
        ("1.234.567", 1234567.0),
        ("1.234.567,89", 1234567.89),
        ("15,4", 15.4),
        ("15,4%", 15.4),
        ("+15,4%", 15.4),
        ("(1.234)", -1234.0),
        ("(1.234,5)", -1234.5),
        ("-12", -12.0),
        ("1 234", 1234.0),
        ("1\u00a0234,5", 1234.5),
        ("1.5", 1.5),          # a dot not followed by three digits cannot group thousands
        ("1,234,567", 1234567.0),
        ("'0123", 123.0),
    ],
)
def test_parse_number(text, expected):
    assert vn.parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("blank", [None, "", "   ", "-", "–", "—", " - "])
def test_no_figure_is_missing_never_zero(blank):
    assert vn.parse_number(blank) is None


@pytest.mark.parametrize("bad", ["abc", "1.2.3", "12a", "1..2", "x", True])
def test_text_that_is_not_a_number_raises(bad):
    with pytest.raises(ValueError):
        vn.parse_number(bad)


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("Triệu đồng", 1e6),
        ("triệu đồng", 1e6),
        ("TRIỆU ĐỒNG", 1e6),
        ("Tr đồng", 1e6),
        ("Tiệu đồng", 1e6),
        ("Triệu dồng", 1e6),
        ("đồng", 1.0),
        ("Nghìn đồng", 1e3),
        ("1.000 đồng", 1e3),
        ("Tỷ đồng", 1e9),
        ("1.000.000 đồng", 1e6),
        ("Triệu đồng/người/năm", 1e6),
        (unicodedata.normalize("NFD", "Triệu đồng"), 1e6),
        ("Hộ", None),
        ("%", None),
        ("Người", None),
        ("", None),
    ],
)
def test_money_factor(unit, factor):
    assert vn.money_factor(unit) == factor


def test_unknown_money_multiplier_raises():
    with pytest.raises(ValueError):
        vn.money_factor("Trăm đồng")


@pytest.mark.parametrize(
    ("line", "unit"),
    [
        ("Đơn vị tính: Triệu đồng", "Triệu đồng"),
        ("ĐVT: đồng", "đồng"),
        ("Đơn vị tính : Tỷ đồng", "Tỷ đồng"),
        (unicodedata.normalize("NFD", "Đơn vị tính: Triệu đồng"), "Triệu đồng"),
        ("Đơn vị: UBND phường Chu Văn An", None),   # an organisation, not a unit
        ("Tháng 8 năm 2025", None),
    ],
)
def test_parse_unit_line(line, unit):
    assert vn.parse_unit_line(line) == unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/08/2025", date(2025, 8, 3)),
        ("3/8/2025", date(2025, 8, 3)),
        ("03/08/2025 14:05:09", date(2025, 8, 3)),
        ("2025-08-03", date(2025, 8, 3)),
        (date(2025, 8, 3), date(2025, 8, 3)),
        (datetime(2025, 8, 3, 10, 0), date(2025, 8, 3)),
        (45872.0, date(2025, 8, 3)),  # Excel serial
        ("", None),
        (None, None),
    ],
)
def test_parse_date_is_day_first(value, expected):
    assert vn.parse_date(value) == expected


def test_parse_datetime_keeps_time():
    assert vn.parse_datetime("31/12/2025 23:59:58") == datetime(2025, 12, 31, 23, 59, 58)


@pytest.mark.parametrize("bad", ["32/01/2025", "abc", "2025/13/01"])
def test_bad_dates_raise(bad):
    with pytest.raises(ValueError):
        vn.parse_date(bad)


def test_normalize_label_nfc_whitespace_case():
    nfd = unicodedata.normalize("NFD", "Lũy kế\n từ  đầu năm")
    assert vn.normalize_label(nfd) == "lũy kế từ đầu năm"
    assert vn.normalize_label("Dự toán năm 2025/Pháp lệnh") == "dự toán năm 2025 / pháp lệnh"


def test_fold_accents_maps_d_with_stroke():
    assert vn.fold_accents("Đạt") == "dat"
    assert vn.fold_accents("sức khỏe") == vn.fold_accents("sức khoẻ")


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.0, "12"), (1234.5, "1234.5"), (date(2025, 1, 2), "02/01/2025"), (None, ""), ("Đạt", "Đạt")],
)
def test_cell_text(value, text):
    assert vn.cell_text(value) == text


def test_period_helpers():
    assert vn.period_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert vn.parse_period_line("Tháng 8 năm 2025") == "2025-08"
    assert vn.parse_period_line("Tháng 12/2025") == "2025-12"
    assert vn.parse_period_line("BÁO CÁO") is None
    with pytest.raises(ValueError):
        vn.period_bounds("2025-13")


def test_add_years_on_29_february():
    assert vn.add_years(date(2020, 2, 29), 5) == date(2025, 2, 28)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("False", False), ("1", True), (0, False),
                                                 ("Có", True), ("", None), (True, True)])
def test_parse_bool(value, expected):
    assert vn.parse_bool(value) is expected
