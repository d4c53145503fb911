"""evaluate_targets on tiny inline observation frames; every expected value is worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from warehouse.attainment import ATTAINMENT_COLUMNS, evaluate_targets

UNIT = "10549"
NAN = float("nan")


def obs(indicator, period, *, value=NAN, num=NAN, den=NAN, member="", text=None, load_id=1,
        source="indicators", unit=UNIT, load_period=None):
    return {"indicator_code": indicator, "unit_code": unit, "period": period, "member_code": member,
            "value": value, "numerator": num, "denominator": den, "text_value": text, "load_id": load_id,
            "source_code": source, "load_period": load_period or period}


def target(measure, comparison, *, low=None, high=None, accumulates=False, code="T", max_age=None):
    row = {"target_code": code, "comparison": comparison, "bound_low": low, "bound_high": high,
           "accumulates": accumulates, "measure": measure}
    if max_age is not None:
        row["max_age_months"] = max_age
    return row


def ratio(indicator="R", window="latest", **kw):
    return {"kind": "ratio", "indicator": indicator, "window": window, **kw}


def evaluate(targets, observations, period="2025-08"):
    frame = evaluate_targets(pd.DataFrame(targets), pd.DataFrame(observations), UNIT, period)
    assert list(frame.columns) == ATTAINMENT_COLUMNS
    return frame.set_index("target_code")


def one(tgt, observations, period="2025-08"):
    return evaluate([tgt], observations, period).iloc[0]


def is_none(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


# ------------------------------------------------------------------ ratio and the comparisons


def test_ratio_at_least_exactly_at_the_bound_is_met():
    row = one(target(ratio(), "at_least", low=60), [obs("R", "2025-08", num=60, den=100)])
    assert row["value"] == 60.0 and row["numerator"] == 60 and row["denominator"] == 100
    assert row["status"] == "met"


def test_ratio_at_least_just_below_is_behind():
    row = one(target(ratio(), "at_least", low=60), [obs("R", "2025-08", num=599, den=1000)])
    assert row["value"] == pytest.approx(59.9)
    assert row["status"] == "behind"


@pytest.mark.parametrize("num, status", [(90, "behind"), (91, "met")])
def test_strictly_above_fails_at_the_exact_bound(num, status):
    assert one(target(ratio(), "strictly_above", low=90), [obs("R", "2025-08", num=num, den=100)])["status"] == status


@pytest.mark.parametrize("num, status", [(100, "behind"), (99, "met")])
def test_strictly_below_fails_at_the_exact_bound(num, status):
    # 100/10000 = 1.00 % is not below 1 %; 99/10000 = 0.99 % is.
    row = one(target(ratio(), "strictly_below", high=1), [obs("R", "2025-08", num=num, den=10000)])
    assert row["status"] == status


def test_all_99_96_percent_is_not_100():
    row = one(target(ratio(), "all"), [obs("R", "2025-08", num=9996, den=10000, value=100.0)])
    # the reported percentage cell (value, rounded to 100.0) never decides: the counts do
    assert row["value"] == pytest.approx(99.96)
    assert row["status"] == "behind"


def test_all_exactly_equal_counts_is_met():
    row = one(target(ratio(), "all"), [obs("R", "2025-08", num=42, den=42)])
    assert row["value"] == 100.0 and row["status"] == "met"


def test_all_fails_in_december_is_not_met():
    row = one(target(ratio(), "all"), [obs("R", "2025-12", num=55970, den=56251)], period="2025-12")
    assert row["value"] == pytest.approx(99.50045, abs=1e-4)
    assert row["status"] == "not_met"


def test_denominator_zero_has_no_value():
    row = one(target(ratio(), "at_least", low=60), [obs("R", "2025-08", num=0, den=0)])
    assert is_none(row["value"])
    assert row["status"] == "no_data"
    assert "denominator 0" in row["detail"]


def test_no_observation_is_no_data():
    row = one(target(ratio(), "at_least", low=60), [obs("OTHER", "2025-08", num=1, den=2)])
    assert row["status"] == "no_data" and is_none(row["value"]) and row["inputs"] == []


def test_latest_older_than_month_is_stale_no_data():
    rows = [obs("R", "2025-06", num=70, den=100), obs("R", "2025-07", num=70, den=100)]
    row = one(target(ratio(), "at_least", low=60), rows)
    assert row["status"] == "no_data"
    assert "2025-07" in row["detail"]


def test_latest_within_max_age_is_used():
    rows = [obs("R", "2025-06", num=10, den=100), obs("R", "2025-07", num=70, den=100)]
    row = one(target(ratio(), "at_least", low=60, max_age=1), rows)
    assert row["value"] == 70.0 and row["status"] == "met"


def test_latest_ignores_later_months():
    rows = [obs("R", "2025-08", num=61, den=100), obs("R", "2025-09", num=10, den=100)]
    assert one(target(ratio(), "at_least", low=60), rows)["value"] == 61.0


def test_latest_sums_the_members_of_the_latest_month():
    # three schools in August, two meet: 2/3; July's list is not mixed in
    rows = [obs("S", "2025-07", num=1, den=1, member="A"),
            obs("S", "2025-08", num=1, den=1, member="A"), obs("S", "2025-08", num=0, den=1, member="B"),
            obs("S", "2025-08", num=1, den=1, member="C")]
    row = one(target(ratio("S"), "all"), rows)
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert row["value"] == pytest.approx(200 / 3)
    assert row["status"] == "behind"


def test_ytd_sum_adds_months_and_members():
    rows = [
        obs("D", "2025-01", num=10, den=20, member="x"), obs("D", "2025-01", num=5, den=5, member="y"),
        obs("D", "2025-02", num=30, den=40, member="x"),
        obs("D", "2025-03", num=0, den=10, member="x"), obs("D", "2025-03", num=1, den=1, member="y"),
        obs("D", "2025-04", num=100, den=100, member="x"),  # after M: not counted
        obs("D", "2024-03", num=100, den=100, member="x"),  # other year: not counted
    ]
    row = one(target(ratio("D", "ytd_sum"), "at_least", low=60), rows, period="2025-03")
    # N = 10+5+30+0+1 = 46, D = 20+5+40+10+1 = 76 -> 60.526 %
    assert (row["numerator"], row["denominator"]) == (46, 76)
    assert row["value"] == pytest.approx(4600 / 76)
    assert row["status"] == "met"


def test_ytd_sum_needs_month_m():
    rows = [obs("D", "2025-01", num=10, den=10), obs("D", "2025-02", num=10, den=10)]
    row = one(target(ratio("D", "ytd_sum"), "all"), rows, period="2025-03")
    assert row["status"] == "no_data"


# ------------------------------------------------------------------ growth


def growth(num_ind, den_ind, *, num_window="ytd_sum", den_window="ytd_sum", den_offset=-1, num_member=None,
           den_member=None):
    n = {"indicator": num_ind, "window": num_window, "year_offset": 0}
    d = {"indicator": den_ind, "window": den_window, "year_offset": den_offset}
    if num_member:
        n["member"] = num_member
    if den_member:
        d["member"] = den_member
    return {"kind": "growth", "numerator": n, "denominator": d}


def test_growth_ytd_against_the_same_months_of_the_previous_year():
    rows = [obs("G", "2025-01", value=50), obs("G", "2025-02", value=64.5),
            obs("G", "2024-01", value=40), obs("G", "2024-02", value=60),
            obs("G", "2024-03", value=1000)]  # March 2024 is after M: not in the base
    row = one(target(growth("G", "G"), "band", low=14, high=14.5), rows, period="2025-02")
    # (50 + 64.5) / (40 + 60) - 1 = 14.5 % -> met, at the band's upper bound: not exceeded
    assert (row["numerator"], row["denominator"]) == (114.5, 100)
    assert row["value"] == pytest.approx(14.5)
    assert row["status"] == "met"


def test_growth_above_the_band_is_exceeded_and_below_it_behind():
    base = [obs("G", "2024-01", value=100)]
    above = one(target(growth("G", "G"), "band", low=14, high=14.5), base + [obs("G", "2025-01", value=114.6)],
                period="2025-01")
    below = one(target(growth("G", "G"), "band", low=14, high=14.5), base + [obs("G", "2025-01", value=113.9)],
                period="2025-01")
    assert above["status"] == "exceeded" and above["value"] == pytest.approx(14.6)
    assert below["status"] == "behind" and below["value"] == pytest.approx(13.9)


def test_growth_exactly_at_the_upper_bound_is_met_despite_float_rounding():
    # 110/100 - 1 is 0.10000000000000009 in floats: the band 8-10 must still say met, not exceeded
    rows = [obs("REV_YTD", "2025-08", value=110.0, member="TONG", source="tax"),
            obs("REV_PRIOR_YTD", "2025-08", value=100.0, member="TONG", source="tax")]
    measure = growth("REV_YTD", "REV_PRIOR_YTD", num_window="latest", den_window="latest", den_offset=0,
                     num_member="TONG", den_member="TONG")
    row = one(target(measure, "band", low=8, high=10), rows)
    assert row["status"] == "met"


def test_growth_member_filter():
    rows = [obs("REV_YTD", "2025-08", value=109.0, member="TONG"), obs("REV_YTD", "2025-08", value=5.0, member="I.1"),
            obs("REV_PRIOR_YTD", "2025-08", value=100.0, member="TONG"),
            obs("REV_PRIOR_YTD", "2025-08", value=50.0, member="I.1")]
    measure = growth("REV_YTD", "REV_PRIOR_YTD", num_window="latest", den_window="latest", den_offset=0,
                     num_member="TONG", den_member="TONG")
    row = one(target(measure, "band", low=8, high=10), rows)
    assert row["value"] == pytest.approx(9.0) and row["status"] == "met"


def test_growth_latest_against_previous_year_end():
    rows = [obs("TNBQ", "2024-11", value=70.0), obs("TNBQ", "2024-12", value=72.5),
            obs("TNBQ", "2025-07", value=75.0), obs("TNBQ", "2025-08", value=80.0)]
    measure = growth("TNBQ", "TNBQ", num_window="latest", den_window="year_end")
    row = one(target(measure, "band", low=12, high=15), rows)
    # 80 / 72.5 - 1 = 10.34 % -> below 12 in August: behind
    assert row["value"] == pytest.approx((80 / 72.5 - 1) * 100)
    assert row["denominator"] == 72.5
    assert row["status"] == "behind"


def test_growth_with_zero_base_is_no_data():
    rows = [obs("G", "2025-01", value=5), obs("G", "2024-01", value=0)]
    assert one(target(growth("G", "G"), "at_least", low=4.5), rows, period="2025-01")["status"] == "no_data"


def test_growth_missing_base_year_is_no_data():
    rows = [obs("G", "2025-01", value=5)]
    assert one(target(growth("G", "G"), "at_least", low=4.5), rows, period="2025-01")["status"] == "no_data"


# ------------------------------------------------------------------ total and pace


def total(indicator="V"):
    return {"kind": "total", "indicator": indicator, "window": "ytd_sum"}


def visits(months):
    return [obs("V", f"2025-{m:02d}", value=v) for m, v in months]


def test_total_on_track_at_the_pro_rata_share():
    # June: 30,000 + 20,000 = 50,000 = 100,000 * 6/12 -> on track
    row = one(target(total(), "at_least", low=100000, accumulates=True),
              visits([(1, 10000), (2, 20000), (3, 5000), (4, 5000), (5, 5000), (6, 5000)]), period="2025-06")
    assert row["value"] == 50000 and is_none(row["numerator"])
    assert row["status"] == "on_track"


def test_total_below_the_pro_rata_share_is_behind():
    row = one(target(total(), "at_least", low=100000, accumulates=True),
              visits([(1, 10000), (2, 20000), (3, 5000), (4, 5000), (5, 5000), (6, 4999)]), period="2025-06")
    assert row["value"] == 49999 and row["status"] == "behind"


def test_total_not_accumulating_is_behind_even_on_pace():
    row = one(target(total(), "at_least", low=100000, accumulates=False),
              visits([(1, 90000)]), period="2025-01")
    assert row["status"] == "behind"


def test_total_reached_is_met_before_december():
    row = one(target(total(), "at_least", low=100000, accumulates=True),
              visits([(1, 60000), (2, 40000)]), period="2025-02")
    assert row["value"] == 100000 and row["status"] == "met"


def test_total_short_in_december_is_not_met_even_if_accumulating():
    row = one(target(total(), "at_least", low=100000, accumulates=True),
              visits([(m, 8333) for m in range(1, 13)]), period="2025-12")
    assert row["value"] == 99996 and row["status"] == "not_met"


# ------------------------------------------------------------------ items meeting their estimate


ITEMS = {"kind": "items_meeting", "actual": {"indicator": "REV_YTD"},
         "estimate_preference": ["REV_ESTIMATE_COUNCIL", "REV_ESTIMATE_STATE"], "members": "I.*",
         "window": "latest"}


def tax(indicator, member, value, period="2025-08", load_id=7):
    return obs(indicator, period, value=value, member=member, source="tax", load_id=load_id)


def test_items_meeting_preference_fallback_and_exclusions():
    rows = [
        # I.1: council 100, state 80 -> judged against 100: 90 < 100, not met
        tax("REV_YTD", "I.1", 90), tax("REV_ESTIMATE_COUNCIL", "I.1", 100), tax("REV_ESTIMATE_STATE", "I.1", 80),
        # I.2: no council estimate -> state 50: 60 >= 50, met
        tax("REV_YTD", "I.2", 60), tax("REV_ESTIMATE_STATE", "I.2", 50),
        # I.3: blank council (NaN) -> state 30: 30 >= 30, met (exactly at the estimate)
        tax("REV_YTD", "I.3", 30), tax("REV_ESTIMATE_COUNCIL", "I.3", NAN), tax("REV_ESTIMATE_STATE", "I.3", 30),
        # I.4: no estimate at all -> not counted
        tax("REV_YTD", "I.4", 5),
        # TONG, I and II are not revenue lines of the pattern I.* -> excluded
        tax("REV_YTD", "TONG", 1000), tax("REV_ESTIMATE_COUNCIL", "TONG", 10),
        tax("REV_YTD", "I", 185), tax("REV_ESTIMATE_COUNCIL", "I", 1),
        tax("REV_YTD", "II", 0), tax("REV_ESTIMATE_COUNCIL", "II", 500),
    ]
    for r in rows:  # the December report
        r["period"] = r["load_period"] = "2025-12"
    row = one(target(ITEMS, "all", accumulates=True), rows, period="2025-12")
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert row["value"] == pytest.approx(200 / 3)
    assert row["status"] == "not_met"
    assert "I.1" in row["detail"] and "I.4" in row["detail"]
    assert row["inputs"] == [{"source": "tax", "load_id": 7, "period": "2025-12"}]


def test_items_meeting_all_items_reach_estimate_is_met():
    rows = [tax("REV_YTD", "I.1", 100), tax("REV_ESTIMATE_COUNCIL", "I.1", 100),
            tax("REV_YTD", "I.2", 7), tax("REV_ESTIMATE_STATE", "I.2", 6)]
    row = one(target(ITEMS, "all", accumulates=True), rows)
    assert (row["numerator"], row["denominator"], row["status"]) == (2, 2, "met")


def test_items_meeting_on_pace():
    # August (8/12): I.1 needs >= 80 of 120 and has 80; I.2 needs >= 20 of 30 and has 25
    rows = [tax("REV_YTD", "I.1", 80), tax("REV_ESTIMATE_COUNCIL", "I.1", 120),
            tax("REV_YTD", "I.2", 25), tax("REV_ESTIMATE_COUNCIL", "I.2", 30)]
    row = one(target(ITEMS, "all", accumulates=True), rows)
    assert (row["numerator"], row["denominator"]) == (0, 2)
    assert row["status"] == "on_track"


def test_items_meeting_one_item_off_pace_is_behind():
    # I.2 has 19.9 of the 20 it needs by August
    rows = [tax("REV_YTD", "I.1", 80), tax("REV_ESTIMATE_COUNCIL", "I.1", 120),
            tax("REV_YTD", "I.2", 19.9), tax("REV_ESTIMATE_COUNCIL", "I.2", 30)]
    assert one(target(ITEMS, "all", accumulates=True), rows)["status"] == "behind"


def test_items_meeting_without_any_estimate_is_no_data():
    rows = [tax("REV_YTD", "I.1", 80)]
    assert one(target(ITEMS, "all", accumulates=True), rows)["status"] == "no_data"


def test_items_meeting_stale_actual_is_no_data():
    rows = [tax("REV_YTD", "I.1", 80, period="2025-07"), tax("REV_ESTIMATE_COUNCIL", "I.1", 50, period="2025-07")]
    assert one(target(ITEMS, "all", accumulates=True), rows)["status"] == "no_data"


# ------------------------------------------------------------------ assessment


ANTT = {"kind": "assessment", "indicator": "ANTT", "window": "latest", "kept_text": "Giữ vững"}


@pytest.mark.parametrize("text, period, status, value", [
    ("Giữ vững", "2025-08", "met", 1.0),
    ("Không giữ vững", "2025-08", "behind", 0.0),
    ("Không giữ vững", "2025-12", "not_met", 0.0),
])
def test_assessment(text, period, status, value):
    row = one(target(ANTT, "qualitative"), [obs("ANTT", period, value=value, text=text)], period=period)
    assert row["status"] == status and row["value"] == value


def test_assessment_missing_month_is_no_data():
    row = one(target(ANTT, "qualitative"), [obs("ANTT", "2025-07", value=1.0, text="Giữ vững")])
    assert row["status"] == "no_data"


# ------------------------------------------------------------------ lineage and de-duplication


def test_inputs_are_the_sorted_unique_loads_used():
    rows = [obs("G", "2025-02", value=60, load_id=12), obs("G", "2025-01", value=50, load_id=11),
            obs("G", "2024-01", value=40, load_id=3), obs("G", "2024-02", value=60, load_id=4),
            obs("UNUSED", "2025-02", value=1, load_id=99)]
    row = one(target(growth("G", "G"), "at_least", low=4.5), rows, period="2025-02")
    assert row["inputs"] == [
        {"source": "indicators", "load_id": 3, "period": "2024-01"},
        {"source": "indicators", "load_id": 4, "period": "2024-02"},
        {"source": "indicators", "load_id": 11, "period": "2025-01"},
        {"source": "indicators", "load_id": 12, "period": "2025-02"},
    ]


def test_the_most_recent_delivery_wins_for_a_repeated_figure():
    # the August workbook repeats months 1-7 with a correction of July: August's delivery wins
    # (January..June 1 each = 6, July 150 not 100, August 10 -> 166)
    rows = [obs("V", "2025-07", value=100, load_id=20, load_period="2025-07"),
            obs("V", "2025-07", value=150, load_id=21, load_period="2025-08"),
            obs("V", "2025-08", value=10, load_id=21, load_period="2025-08")]
    rows += [obs("V", f"2025-{m:02d}", value=1, load_id=21, load_period="2025-08") for m in range(1, 7)]
    row = one(target(total(), "at_least", low=1), rows)
    assert row["value"] == 166
    assert row["inputs"] == [{"source": "indicators", "load_id": 21, "period": f"2025-{m:02d}"}
                             for m in range(1, 9)]


def test_other_units_are_ignored():
    rows = [obs("R", "2025-08", num=1, den=100), obs("R", "2025-08", num=99, den=100, unit="31")]
    assert one(target(ratio(), "at_least", low=60), rows)["value"] == 1.0


def test_measure_as_json_text_from_the_database():
    import json

    tgt = target(None, "at_least", low=60)
    del tgt["measure"]
    tgt["measure_json"] = json.dumps(ratio())
    assert one(tgt, [obs("R", "2025-08", num=3, den=4)])["value"] == 75.0


def test_every_target_gets_one_row():
    frame = evaluate([target(ratio(), "all", code="A"), target(total(), "at_least", low=5, code="B")],
                     [obs("R", "2025-08", num=1, den=1)])
    assert frame["status"].to_dict() == {"A": "met", "B": "no_data"}
    assert frame.loc["A", "unit_code"] == UNIT and frame.loc["A", "period"] == "2025-08"


def test_no_observations_at_all_is_no_data_everywhere():
    frame = evaluate_targets(pd.DataFrame([target(ratio(), "all", code="A"), target(ANTT, "qualitative", code="B")]),
                             pd.DataFrame(), UNIT, "2025-08")
    assert frame["status"].tolist() == ["no_data", "no_data"]


def test_inputs_are_not_modified():
    targets = pd.DataFrame([target(ratio(), "all")])
    observations = pd.DataFrame([obs("R", "2025-08", num=1, den=1, member=None)])
    before = (targets.copy(deep=True), observations.copy(deep=True))
    evaluate_targets(targets, observations, UNIT, "2025-08")
    pd.testing.assert_frame_equal(targets, before[0])
    pd.testing.assert_frame_equal(observations, before[1])
