"""Property tests (hypothesis) of the Vietnamese parsers and the generic layout reader.

Whatever text a user's file carries, the connectors answer with a value, None ("no figure") or one of the
project's own errors (`ValueError` from `connectors.vn`, which the readers turn into `BadInputError`;
`connectors.errors.*` from the readers), never a foreign exception. Numbers written the Vietnamese way
(`1.234,5`, `(1.234)`) read back as the same value.
"""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.excel import Workbook, read_sheet
from connectors.layout import parse_layout
from connectors.vn import AmbiguousNumberError, money_factor, parse_number, parse_unit_line

from .workbooks import write_workbook

PARSER = settings(max_examples=200, deadline=None)
WORKBOOK = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# The project's own error types: `connectors.vn` raises ValueError (AmbiguousNumberError is one), the
# readers raise `connectors.errors.*`.
OWN_ERRORS = (ValueError, ConnectorError)

VI_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
NUMBER_CHARS = "0123456789.,()+-%' \u2212\u00a0"

# text built from number-ish characters (most interesting for the parser), Vietnamese letters, anything
number_like = st.text(alphabet=NUMBER_CHARS, max_size=20)
vietnamese = st.text(alphabet=VI_LETTERS + VI_LETTERS.upper() + " :/.()-", max_size=30)
any_text = st.one_of(number_like, vietnamese, st.text(max_size=30))
conventions = st.sampled_from(["vi", "en", None])


def vi_format(value: Decimal, *, decimals: int, grouped: bool = True) -> str:
    """`value` the Vietnamese way: `.` groups thousands, `,` marks decimals; negative in parentheses."""
    negative = value < 0
    quantised = abs(value).quantize(Decimal(1).scaleb(-decimals)) if decimals else abs(value).quantize(1)
    whole, _, frac = f"{quantised:f}".partition(".")
    if grouped:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = ".".join([whole, *groups])
    text = whole + ("," + frac if frac else "")
    return f"({text})" if negative else text


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


# ---------------------------------------------------------------- parse_number

@PARSER
@given(text=any_text, convention=conventions)
def test_parse_number_never_raises_a_foreign_exception(text, convention):
    try:
        result = parse_number(text, convention)
    except OWN_ERRORS:
        return
    assert result is None or (isinstance(result, float) and not math.isnan(result))


@PARSER
@given(value=st.one_of(st.integers(min_value=-10**15, max_value=10**15),
                       st.floats(allow_nan=True, allow_infinity=True),
                       st.booleans(), st.none(), st.dates()),
       convention=conventions)
def test_parse_number_of_cell_objects(value, convention):
    try:
        result = parse_number(value, convention)
    except OWN_ERRORS:
        assert isinstance(value, bool) or hasattr(value, "year")
        return
    if value is None or (isinstance(value, float) and math.isnan(value)):
        assert result is None
    else:
        assert result == float(value)


@PARSER
@given(number=st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False,
                          allow_infinity=False, places=3),
       decimals=st.integers(min_value=1, max_value=3), convention=st.sampled_from(["vi", None]))
def test_vietnamese_decimal_round_trips(number, decimals, convention):
    # at least one decimal digit: the comma is unambiguous, whatever convention is declared ("vi" or none)
    text = vi_format(number, decimals=decimals)
    # `1,250` alone (no thousands dot, three decimals) is 1250 in the English convention: ambiguous
    assume(convention == "vi" or decimals != 3 or "." in text or text.strip("()").startswith("0"))
    expected = float(Decimal(text.strip("()").replace(".", "").replace(",", ".")))
    expected = -expected if text.startswith("(") else expected
    assert _close(parse_number(text, convention), expected), text


@PARSER
@given(number=st.integers(min_value=-10**13, max_value=10**13))
def test_vietnamese_integer_round_trips_under_the_vi_convention(number):
    text = vi_format(Decimal(number), decimals=0)
    assert parse_number(text, "vi") == float(number), text


@PARSER
@given(number=st.integers(min_value=-999, max_value=999))
def test_small_integers_round_trip_without_a_convention(number):
    text = vi_format(Decimal(number), decimals=0)
    assert parse_number(text, None) == float(number), text


@PARSER
@given(number=st.integers(min_value=1000, max_value=999_999))
def test_one_thousands_dot_without_a_convention_is_refused_not_guessed(number):
    text = vi_format(Decimal(number), decimals=0)  # e.g. 1.250: 1250 or 1.25
    with pytest.raises(AmbiguousNumberError):
        parse_number(text, None)
    assert parse_number(text, "vi") == float(number)


@PARSER
@given(number=st.integers(min_value=1_000_000, max_value=10**13))
def test_several_thousands_dots_are_unambiguous(number):
    text = vi_format(Decimal(number), decimals=0)  # 1.234.567 can only group thousands
    assert parse_number(text, None) == float(number)
    assert parse_number(text, "en") == float(number)


@PARSER
@given(number=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), allow_nan=False,
                          allow_infinity=False, places=2),
       spaces=st.sampled_from(["", " ", "\u00a0"]))
def test_negative_in_parentheses_round_trips(number, spaces):
    text = vi_format(-number, decimals=2)
    assert text.startswith("(") and text.endswith(")")
    text = text[0] + spaces + text[1:-1] + spaces + text[-1]
    assert _close(parse_number(text, "vi"), -float(number)), text


# ---------------------------------------------------------------- unit line and money factor

UNIT_SPELLINGS = {
    "đồng": 1.0, "Đồng": 1.0, "VNĐ": 1.0, "VND": 1.0, "vnđ": 1.0,
    "nghìn đồng": 1e3, "Ngàn đồng": 1e3, "1.000 đồng": 1e3, "1000 đồng": 1e3,
    "triệu đồng": 1e6, "Tr.đồng": 1e6, "tr đồng": 1e6, "1.000.000 đồng": 1e6, "Tiệu đồng": 1e6,
    "tỷ đồng": 1e9, "tỉ đồng": 1e9, "1.000.000.000 đồng": 1e9,
    "Triệu đồng/người/năm": 1e6,
}
LINE_PREFIXES = ["Đơn vị tính: ", "ĐVT: ", "Đvt:", "(Đơn vị tính: ", "Đơn vị: ", "don vi tinh: "]


def _variants(text: str) -> st.SearchStrategy[str]:
    forms = st.sampled_from(["NFC", "NFD"])
    cases = st.sampled_from([str, str.upper, str.lower, str.title])
    return st.tuples(forms, cases).map(lambda fc: unicodedata.normalize(fc[0], fc[1](text)))


@PARSER
@given(text=any_text)
def test_unit_line_and_money_factor_never_raise_a_foreign_exception(text):
    unit = parse_unit_line(text)
    assert unit is None or isinstance(unit, str)
    for candidate in (text, unit):
        try:
            factor = money_factor(candidate)
        except ValueError:
            continue
        assert factor is None or factor in (1.0, 1e3, 1e6, 1e9, 1e12)


@PARSER
@given(data=st.data(), spelling=st.sampled_from(sorted(UNIT_SPELLINGS)),
       prefix=st.sampled_from(LINE_PREFIXES))
def test_every_allowed_money_unit_maps_to_its_factor(data, spelling, prefix):
    expected = UNIT_SPELLINGS[spelling]
    unit = data.draw(_variants(spelling), label="unit")
    assert money_factor(unit) == expected
    line = prefix + spelling + (")" if prefix.startswith("(") else "")
    line = data.draw(_variants(line), label="line")
    found = parse_unit_line(line)
    assert found is not None, line
    assert money_factor(found) == expected, (line, found)


# ---------------------------------------------------------------- the generic layout reader

LAYOUT = parse_layout({
    "source": "demo",
    "sheets": {
        "main": {
            "select": {"names": ["Số liệu"], "only_sheet": True},
            "header": {"detect": ["STT", "Chỉ tiêu"], "max_rows": 2, "ruler": True},
            "unit_line": "optional",
            "stop": {"footer": ["Người lập biểu"]},
            "columns": {
                "stt": {"labels": ["STT"], "kind": "text"},
                "label": {"labels": ["Chỉ tiêu"], "kind": "text"},
                "amount_vnd": {"labels": ["Số tiền"], "kind": "money"},
                "count": {"labels": ["Số lượng"], "kind": "number"},
                "note": {"labels": ["Ghi chú"], "kind": "cell", "required": False},
            },
        }
    },
})
HEADER = ["STT", "Chỉ tiêu", "Số tiền", "Số lượng", "Ghi chú"]

cell_texts = st.one_of(st.text(alphabet=VI_LETTERS + VI_LETTERS.upper() + " -", min_size=1, max_size=12),
                       number_like.filter(bool), st.sampled_from(["-", "–", " ", "1.234,5", "(12)"]))
numbers = st.one_of(st.integers(min_value=-10**9, max_value=10**9),
                    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
vi_numbers = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False,
                         allow_infinity=False, places=2).map(lambda d: vi_format(d, decimals=2))
# number columns hold mostly numbers, blanks and dashes, sometimes number text or any text
number_cells = st.one_of(st.none(), numbers, numbers, vi_numbers, st.sampled_from(["-", "–", ""]), cell_texts)
text_cells = st.one_of(st.none(), numbers, cell_texts)
data_rows = st.lists(st.tuples(text_cells, text_cells, number_cells, number_cells, text_cells).map(list),
                     min_size=1, max_size=6)


@WORKBOOK
@given(rows=data_rows, unit=st.sampled_from([None, "Đơn vị tính: đồng", "Đơn vị tính: Triệu đồng"]))
def test_layout_reader_on_generated_cells(tmp_path_factory, rows, unit):
    # at least one data cell, so the table has a first data row the reader must convert
    assume(any(v is not None for row in rows for v in row))
    path = tmp_path_factory.mktemp("wb") / "t.xlsx"
    sheet = ([[unit]] if unit else []) + [HEADER] + rows
    write_workbook(path, {"Số liệu": sheet})
    try:
        with Workbook(path, source="demo") as book:
            table = read_sheet(book, LAYOUT.sheets["main"])
    except ConnectorError:
        event("refused with the project's error")
        return
    event("read")
    factor = 1e6 if unit and "Triệu" in unit else 1.0
    records = table.records
    for _, rec in records.iterrows():
        row = sheet[rec["row_number"] - 1]
        amount, count = row[2], row[3]
        # xlsx keeps 15-17 significant digits of a float (openpyxl writes them so): equal within that
        if isinstance(amount, str) and amount.strip() not in ("", "-", "–"):
            event("number text read")
            assert math.isclose(rec["amount_vnd"], round(parse_number(amount) * factor, 4), rel_tol=1e-14)
        if isinstance(amount, int | float):
            assert math.isclose(rec["amount_vnd"], round(amount * factor, 4), rel_tol=1e-14, abs_tol=1e-4)
        if isinstance(count, int | float):
            assert math.isclose(rec["count"], float(count), rel_tol=1e-14, abs_tol=0.0)
            if isinstance(count, int):
                assert rec["count"] == float(count)
