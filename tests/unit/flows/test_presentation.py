"""Vietnamese number formats and the CLI's period checks."""

from __future__ import annotations

import math
from datetime import UTC

import pytest

from flows.monthly_close import previous_period
from flows.periods import PeriodError, check_period, periods_between
from flows.presentation import format_bound, format_number, neutralise_formula


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (1234.5, 1, "1.234,5"),
    (1234567.891, 2, "1.234.567,89"),
    (0.5, 1, "0,5"),
    (100000, 0, "100.000"),
    (-1234.5, 1, "-1.234,5"),
    (None, 1, ""),
    (math.nan, 1, ""),
])
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_format_bound_words():
    assert format_bound("band", 8, 10) == "từ 8 đến 10"
    assert format_bound("band", 14, 14.5) == "từ 14 đến 14,5"
    assert format_bound("strictly_below", None, 1) == "< 1"
    assert format_bound("at_least", 100000, None) == "≥ 100.000"


@pytest.mark.parametrize("bad", ["2025-13", "2025-8", "25-08", "2025/08", "", "2025-00"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(PeriodError, match="YYYY-MM"):
        check_period(bad)


def test_periods_between_crosses_a_year():
    assert periods_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(PeriodError):
        periods_between("2025-02", "2024-11")


def test_previous_period_uses_vietnam_time():
    from datetime import datetime

    # 31/12/2025 18:00 UTC is already 01/01/2026 01:00 in Hanoi: the month that ended is December.
    assert previous_period(datetime(2025, 12, 31, 18, 0, tzinfo=UTC)) == "2025-12"
    assert previous_period(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == "2025-11"


@pytest.mark.parametrize(("text", "safe"), [("=SUM(A1)", "'=SUM(A1)"), ("+84", "'+84"), ("-x", "'-x"),
                                             ("@a", "'@a"), ("Giữ vững", "Giữ vững"), (None, None)])
def test_neutralise_formula(text, safe):
    assert neutralise_formula(text) == safe
