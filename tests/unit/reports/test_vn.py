"""Vietnamese formats and labels of the reports."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from reports.vn import (
    format_date,
    format_number,
    format_short,
    neutralise_formula,
    period_end,
    period_words,
    plan_bound,
    plan_text,
    stt_of,
)


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (1234.5, 1, "1.234,5"), (1234567.891, 2, "1.234.567,89"), (100000, 0, "100.000"), (-1234.5, 1, "-1.234,5"),
    (None, 1, ""), (math.nan, 1, "")])
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_short_bounds_and_plan_words():
    assert (format_short(14.5), format_short(8.0), format_short(100000)) == ("14,5", "8", "100.000")
    assert plan_text("band", 12.5, 13) == "từ 12,5 đến 13"
    assert plan_text("at_least", 100000, None) == "≥ 100.000"
    assert plan_text("strictly_above", 90, None) == "> 90"
    assert plan_text("strictly_below", None, 1) == "< 1"
    assert plan_text("all", None, None) == "100"
    assert plan_text("qualitative", None, None) == "Giữ vững"


def test_plan_bound_is_the_number_compared_with():
    assert plan_bound("band", 8, 10) == 8
    assert plan_bound("strictly_below", math.nan, 1) == 1
    assert plan_bound("all", None, None) == 100
    assert plan_bound("qualitative", None, None) is None


def test_dates_and_periods():
    assert format_date(dt.date(2025, 11, 3)) == "03/11/2025"
    assert period_words("2025-10") == "Tháng 10 năm 2025"
    assert period_end("2025-02") == dt.date(2025, 2, 28) and period_end("2025-12") == dt.date(2025, 12, 31)


@pytest.mark.parametrize(("code", "stt"), [("CT01a", "1a"), ("CT02", "2"), ("CT13", "13"), ("X", "")])
def test_stt(code, stt):
    assert stt_of(code) == stt


@pytest.mark.parametrize(("text", "safe"), [("=SUM(A1)", "'=SUM(A1)"), ("+84", "'+84"), ("-x", "'-x"),
                                             ("@a", "'@a"), ("Giữ vững", "Giữ vững"), (None, None)])
def test_neutralise_formula(text, safe):
    assert neutralise_formula(text) == safe


def test_outlook_reads_as_a_forecast_until_december_then_as_the_result():
    from reports.vn import outlook_label

    assert outlook_label("exceeded", "2025-10") == "Dự kiến vượt"
    assert outlook_label("on_track", "2025-11") == "Dự kiến đạt"
    assert outlook_label("exceeded", "2025-12") == "Vượt"
    assert outlook_label("met", "2025-12") == "Đạt"
