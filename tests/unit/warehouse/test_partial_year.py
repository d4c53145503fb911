"""Partial years, cumulative figures and baselines (issue 16, points 7 and 8) on tiny inline frames.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.warehouse.test_evaluate_targets import growth, is_none, obs, one, ratio, target
from warehouse.units import in_force


def total(indicator="V"):
    return {"kind": "total", "indicator": indicator, "window": "ytd_sum"}


# ------------------------------------------------------------------ a year to date is whole or no_data


def test_missing_months_are_no_data_and_named():
    # months 4, 6, 7 and 8 only: 1-3 and 5 are missing -> no sum of part of the year
    rows = [obs("V", f"2025-{m:02d}", value=10) for m in (4, 6, 7, 8)]
    row = one(target(total(), "at_least", low=1), rows, period="2025-08")
    assert row["status"] == "no_data" and is_none(row["value"])
    assert "thiếu số liệu tháng 1–3, 5 năm 2025 của V" in row["detail"]
    assert "missing months 01, 02, 03, 05" in row["detail"]
    assert row["gap_text"].startswith("Thiếu số liệu tháng 1–3, 5 năm 2025")
    assert row["outlook_status"] == "no_data"


def test_a_month_with_zero_over_zero_counts_as_delivered():
    # a month without any dossier (0/0) is a figure: Jan 0/0 + Feb 8/10 = 80 %
    rows = [obs("D", "2025-01", num=0, den=0), obs("D", "2025-02", num=8, den=10)]
    row = one(target(ratio("D", "ytd_sum"), "at_least", low=60), rows, period="2025-02")
    assert (row["numerator"], row["denominator"], row["status"]) == (8, 10, "met")


def test_a_cumulative_figure_covers_the_months_before_it():
    # V_YTD of June = 600 covers months 1-6; July 70 and August 80 are the months' own: 750
    rows = [obs("V_YTD", "2025-06", value=600, load_id=6, load_period="2025-06"),
            obs("V", "2025-07", value=70, load_id=7), obs("V", "2025-08", value=80, load_id=8)]
    row = one(target(total(), "at_least", low=1), rows, period="2025-08")
    assert row["value"] == 750 and row["status"] == "met"
    assert [i["load_id"] for i in row["inputs"]] == [6, 7, 8]


def test_the_latest_cumulative_figure_that_leaves_no_gap_is_used():
    # V_YTD of March (300) and of June (650); months 7-8 present, 4-6 not: June's covers, 650 + 15 + 15
    rows = [obs("V_YTD", "2025-03", value=300), obs("V_YTD", "2025-06", value=650),
            obs("V", "2025-07", value=15), obs("V", "2025-08", value=15)]
    row = one(target(total(), "at_least", low=1), rows, period="2025-08")
    assert row["value"] == 680


def test_own_months_come_before_a_cumulative_figure():
    # all twelve months are there (1 each = 12): the V_YTD of 500 is not used
    rows = [obs("V", f"2025-{m:02d}", value=1) for m in range(1, 13)] + [obs("V_YTD", "2025-12", value=500)]
    assert one(target(total(), "at_least", low=1), rows, period="2025-12")["value"] == 12


def test_the_tax_report_year_to_date_covers_its_months():
    # REV_MONTH of the year to date from one December report: REV_YTD 1,200 covers months 1-12
    rows = [obs("REV_YTD", "2025-12", value=1200, member="TONG", source="tax"),
            obs("REV_MONTH", "2025-12", value=100, member="TONG", source="tax")]
    measure = {"kind": "total", "indicator": "REV_MONTH", "member": "TONG", "window": "ytd_sum"}
    assert one(target(measure, "at_least", low=1), rows, period="2025-12")["value"] == 1200


# ------------------------------------------------------------------ baselines


def test_last_years_total_is_a_baseline_in_december_only():
    # "Năm trước" 1,000 for 2024 (G_YTD 2024-12, carried by the 2025 workbooks); 2025 months 1..12 = 95 each
    # = 1,140: December: 1,140 / 1,000 - 1 = 14 % -> met; June: no months 1-6 of 2024 -> no_data
    base = [obs("G_YTD", "2024-12", value=1000, load_id=9, load_period="2025-12")]
    months = [obs("G", f"2025-{m:02d}", value=95, load_id=9, load_period="2025-12") for m in range(1, 13)]
    measure = growth("G", "G")
    december = one(target(measure, "band", low=14, high=14.5), base + months, period="2025-12")
    assert (december["numerator"], december["denominator"]) == (1140, 1000)
    assert december["value"] == pytest.approx(14.0) and december["status"] == "met"
    june = one(target(measure, "band", low=14, high=14.5), base + months, period="2025-06")
    assert june["status"] == "no_data"
    assert "thiếu số liệu tháng 1–6 năm 2024 của G" in june["detail"]
    assert "chỉ có đến hết tháng 12" in june["detail"]


def test_a_figure_of_its_own_year_beats_a_later_years_restatement():
    # TNBQ December 2024: 72.5 from the December 2024 workbook, 70.0 from a 2025 workbook's "Năm trước"
    # -> 72.5 is the base: 80 / 72.5 - 1 = 10.34 %; without the 2024 workbook, 80 / 70 - 1 = 14.29 %
    own = obs("TNBQ", "2024-12", value=72.5, load_id=1, load_period="2024-12")
    restated = obs("TNBQ", "2024-12", value=70.0, load_id=5, load_period="2025-08")
    now = obs("TNBQ", "2025-08", value=80.0, load_id=5, load_period="2025-08")
    measure = growth("TNBQ", "TNBQ", num_window="latest", den_window="year_end")
    both = one(target(measure, "band", low=12, high=15), [own, restated, now])
    assert both["denominator"] == 72.5
    alone = one(target(measure, "band", low=12, high=15), [restated, now])
    assert alone["denominator"] == 70.0 and alone["status"] == "met"


def test_same_period_last_year_stands_for_last_years_year_to_date():
    # REV_YTD of August 2024 missing; the August 2025 report's REV_PRIOR_YTD (100) stands for it:
    # 108 / 100 - 1 = 8 %; the input names the 2025 report's row (period 2025-08)
    rows = [obs("REV_YTD", "2025-08", value=108, member="TONG", source="tax", load_id=3),
            obs("REV_PRIOR_YTD", "2025-08", value=100, member="TONG", source="tax", load_id=3)]
    measure = growth("REV_YTD", "REV_YTD", num_window="latest", den_window="latest", num_member="TONG",
                     den_member="TONG")
    row = one(target(measure, "band", low=8, high=10), rows)
    assert row["denominator"] == 100 and row["status"] == "met"
    assert row["inputs"] == [{"source": "tax", "load_id": 3, "period": "2025-08"}]


# ------------------------------------------------------------------ the figure in force


def frame(rows):
    return pd.DataFrame(rows)


def test_a_repeated_figure_keeps_the_load_that_first_gave_it():
    # March visits: 500 from the March workbook (load 3), repeated unchanged by April's (4) and May's (5)
    rows = [obs("V", "2025-03", value=500, load_id=lid, load_period=f"2025-{lid:02d}") for lid in (3, 4, 5)]
    kept = in_force(frame(rows), ["indicator_code", "period", "member_code"])
    assert list(kept["load_id"]) == [3] and list(kept["value"]) == [500]


def test_a_different_later_figure_wins_and_an_earlier_figure_given_again_is_credited_to_its_return():
    # 500 (load 3), 520 (load 4: a correction), 520 (load 5): 520 from load 4.
    # Then 500 again (load 6): 500 from load 6 (its return), not load 3.
    rows = [obs("V", "2025-03", value=v, load_id=lid, load_period=f"2025-{lid:02d}")
            for v, lid in ((500, 3), (520, 4), (520, 5))]
    kept = in_force(frame(rows), ["indicator_code", "period", "member_code"])
    assert (list(kept["load_id"]), list(kept["value"])) == ([4], [520])
    rows.append(obs("V", "2025-03", value=500, load_id=6, load_period="2025-06"))
    kept = in_force(frame(rows), ["indicator_code", "period", "member_code"])
    assert (list(kept["load_id"]), list(kept["value"])) == ([6], [500])


def test_an_own_year_figure_equal_to_a_restatement_is_credited_to_its_own_year():
    # TNBQ 2024-12 = 72.5 given by a 2025 workbook (load 7) and by the December 2024 workbook (load 2)
    rows = [obs("TNBQ", "2024-12", value=72.5, load_id=7, load_period="2025-01"),
            obs("TNBQ", "2024-12", value=72.5, load_id=2, load_period="2024-12")]
    kept = in_force(frame(rows), ["indicator_code", "period", "member_code"])
    assert list(kept["load_id"]) == [2]
