"""The outlook for the year (warehouse/README.md, "Outlook"): projections, outlook statuses and gaps.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import pytest

from tests.unit.warehouse.test_evaluate_targets import ITEMS, growth, is_none, obs, one, ratio, target, tax
from warehouse.attainment import format_vn, money_vi

BN = 1e9
MN = 1e6
# previous year's visits: Jan+Feb = 25,000 of a 100,000 year (the spring festival)
VISITS_2024 = [5000, 20000, 15000, 5000, 5000, 5000, 5000, 5000, 10000, 10000, 10000, 5000]


def visits_target():
    return target({"kind": "total", "indicator": "LUOT_KHACH", "window": "ytd_sum"}, "at_least", low=100000,
                  accumulates=True)


def quiet_months(indicator, through=7):
    """January..`through` of 2025 with no dossier at all (0/0: present, adding nothing to the year)."""
    return [obs(indicator, f"2025-{m:02d}", num=0, den=0) for m in range(1, through + 1)]


def visits(year, months):
    return [obs("LUOT_KHACH", f"{year}-{m:02d}", value=v) for m, v in enumerate(months, 1)]


# ------------------------------------------------------------------ year-to-date flows: visits


def test_visits_seasonal_projection_on_track():
    # 2025: 6,000 + 24,000 = 30,000 by February; 2024 had 25,000 of 100,000 by then (25 %):
    # projected 30,000 / 0.25 = 120,000 >= 100,000 -> on track; 70,000 more needed by December
    row = one(visits_target(), visits(2024, VISITS_2024) + visits(2025, [6000, 24000]), period="2025-02")
    assert row["status"] == "on_track"
    assert row["outlook_method"] == "seasonal"
    assert row["outlook_value"] == pytest.approx(120000)
    assert row["outlook_status"] == "on_track"
    assert row["gap_value"] == 70000
    assert row["gap_text"] == "Cần thêm 70.000 lượt khách đến hết tháng 12"


def test_visits_on_pro_rata_pace_but_seasonally_behind():
    # 20,000 by February is above the pro-rata 100,000 * 2/12 = 16,667 (status so far: on track), but
    # last year's profile says February is 25 % of the year: 20,000 / 0.25 = 80,000 < 100,000 -> behind
    row = one(visits_target(), visits(2024, VISITS_2024) + visits(2025, [4000, 16000]), period="2025-02")
    assert row["status"] == "on_track"
    assert row["outlook_value"] == pytest.approx(80000)
    assert row["outlook_status"] == "behind"
    assert row["gap_value"] == 80000
    assert row["gap_text"] == "Cần thêm 80.000 lượt khách đến hết tháng 12 (dự báo cả năm 80.000)"


def test_visits_without_a_complete_previous_year_fall_back_to_the_run_rate():
    # 2024 has 11 months only: run-rate 30,000 * 12 / 2 = 180,000
    row = one(visits_target(), visits(2024, VISITS_2024[:11]) + visits(2025, [6000, 24000]), period="2025-02")
    assert row["outlook_method"] == "run_rate"
    assert row["outlook_value"] == pytest.approx(180000)
    assert row["outlook_status"] == "on_track"


def test_visits_reached_before_december_are_secured():
    row = one(visits_target(), visits(2024, VISITS_2024) + visits(2025, [60000, 40000]), period="2025-02")
    assert (row["status"], row["outlook_status"]) == ("met", "met")
    assert row["gap_value"] == 0 and row["gap_text"] == "Đã đạt"


def test_visits_short_in_december_are_final_with_the_shortfall():
    # 12 * 8,333 = 99,996: 4 visits short; the outlook is the final figure
    row = one(visits_target(), visits(2024, VISITS_2024) + visits(2025, [8333] * 12), period="2025-12")
    assert (row["status"], row["outlook_status"], row["outlook_method"]) == ("not_met", "not_met", "final")
    assert row["outlook_value"] == 99996
    assert row["gap_value"] == 4
    assert row["gap_text"] == "Còn thiếu 4 lượt khách"


# ------------------------------------------------------------------ year-to-date flows: revenue growth


def revenue_target():
    measure = growth("REV_YTD", "REV_PRIOR_YTD", num_window="latest", den_window="latest", den_offset=0,
                     num_member="TONG", den_member="TONG")
    return target(measure, "band", low=8, high=10)


def revenue(ytd, prior_ytd, prior_december=None):
    rows = [tax("REV_YTD", "TONG", ytd), tax("REV_PRIOR_YTD", "TONG", prior_ytd)]
    if prior_december is not None:
        rows.append(tax("REV_YTD", "TONG", prior_december, period="2024-12", load_id=3))
    return rows


def test_revenue_exactly_on_the_lower_bound_is_on_track_with_the_money_still_needed():
    # August: 108 bn against 100 bn -> +8 % (on the band's lower bound: met). 2024 collected 150 bn in all,
    # so the seasonal projection is 108 * 150 / 100 = 162 bn = +8 % -> on track; reaching +8 % needs
    # 150 * 1.08 = 162 bn by December: 54 bn more
    row = one(revenue_target(), revenue(108 * BN, 100 * BN, 150 * BN))
    assert (row["status"], row["outlook_status"], row["outlook_method"]) == ("met", "on_track", "seasonal")
    assert row["outlook_value"] == pytest.approx(8.0)
    assert row["gap_value"] == pytest.approx(54 * BN)
    assert row["gap_text"] == "Cần thêm 54,0 tỷ đồng thu ngân sách đến hết tháng 12 để đạt mức tăng 8%"


def test_revenue_above_the_band_is_projected_exceeded():
    # 111 / 100 -> +11 % > 10 %: exceeded so far and in the outlook
    row = one(revenue_target(), revenue(111 * BN, 100 * BN, 150 * BN))
    assert (row["status"], row["outlook_status"]) == ("exceeded", "exceeded")
    assert row["outlook_value"] == pytest.approx(11.0)


def test_revenue_below_the_band_is_behind_with_the_gap():
    # 105 / 100 -> +5 %: behind; needs 162 bn by December, has 105 bn: 57 bn more
    row = one(revenue_target(), revenue(105 * BN, 100 * BN, 150 * BN))
    assert (row["status"], row["outlook_status"]) == ("behind", "behind")
    assert row["gap_value"] == pytest.approx(57 * BN)
    assert row["gap_text"].startswith("Cần thêm 57,0 tỷ đồng thu ngân sách")


def test_revenue_without_last_december_uses_the_run_rate():
    # no 2024-12 figure: base for the year 100 * 12/8 = 150 bn, the same 162 bn needed
    row = one(revenue_target(), revenue(108 * BN, 100 * BN))
    assert row["outlook_method"] == "run_rate"
    assert row["gap_value"] == pytest.approx(54 * BN)


# ------------------------------------------------------------------ year-to-date flows: monthly sums


def test_gross_product_growth_projection_from_monthly_sums():
    # 2024: 100 mn every month (1,200 mn a year). 2025 Jan-Mar 113 + 114 + 115 = 342 mn against 300 mn:
    # +14 %, on the 14-14.5 band's lower bound -> met / on track. Needed: 1,200 * 1.14 = 1,368 mn,
    # i.e. 1,368 - 342 = 1,026 mn more (written "1,0 tỷ đồng")
    rows = [obs("TGTSP", f"2024-{m:02d}", value=100 * MN) for m in range(1, 13)]
    rows += [obs("TGTSP", "2025-01", value=113 * MN), obs("TGTSP", "2025-02", value=114 * MN),
             obs("TGTSP", "2025-03", value=115 * MN)]
    row = one(target(growth("TGTSP", "TGTSP"), "band", low=14, high=14.5), rows, period="2025-03")
    assert (row["status"], row["outlook_status"], row["outlook_method"]) == ("met", "on_track", "seasonal")
    assert row["outlook_value"] == pytest.approx(14.0)
    assert row["gap_value"] == pytest.approx(1026 * MN)
    assert row["gap_text"] == "Cần thêm 1,0 tỷ đồng giá trị sản phẩm đến hết tháng 12 để đạt mức tăng 14%"


# ------------------------------------------------------------------ items reaching their estimate


def test_items_projected_with_each_items_own_profile():
    # August. I.1: 80 of 120; last year 60 by August of 100 -> 80 * 100/60 = 133.3 >= 120: reaches.
    # I.2: 20 of 30; last year 15 of 20 -> 20 * 20/15 = 26.7 < 30: projected short.
    # Outlook 1/2 = 50 %, behind; still to collect (120-80) + (30-20) = 50 mn on 2 items.
    rows = [tax("REV_YTD", "I.1", 80 * MN), tax("REV_ESTIMATE_COUNCIL", "I.1", 120 * MN),
            tax("REV_PRIOR_YTD", "I.1", 60 * MN), tax("REV_YTD", "I.1", 100 * MN, period="2024-12", load_id=3),
            tax("REV_YTD", "I.2", 20 * MN), tax("REV_ESTIMATE_COUNCIL", "I.2", 30 * MN),
            tax("REV_PRIOR_YTD", "I.2", 15 * MN), tax("REV_YTD", "I.2", 20 * MN, period="2024-12", load_id=3)]
    row = one(target(ITEMS, "all", accumulates=True), rows)
    # so far both are exactly on the pro-rata pace (80 = 120 * 8/12, 20 = 30 * 8/12): on track;
    # last year's profile says I.2 will fall short
    assert row["status"] == "on_track"
    assert row["outlook_method"] == "seasonal"
    assert row["outlook_value"] == pytest.approx(50.0)
    assert row["outlook_status"] == "behind"
    assert row["gap_value"] == pytest.approx(50 * MN)
    assert row["gap_text"] == ("Cần thu thêm 50,0 triệu đồng ở 2 khoản thu chưa đạt dự toán "
                               "(dự báo chưa đạt: I.2)")


def test_items_all_reached_are_secured():
    rows = [tax("REV_YTD", "I.1", 130 * MN), tax("REV_ESTIMATE_COUNCIL", "I.1", 120 * MN)]
    row = one(target(ITEMS, "all", accumulates=True), rows)
    assert (row["status"], row["outlook_status"], row["gap_value"], row["gap_text"]) == ("met", "met", 0, "Đã đạt")


# ------------------------------------------------------------------ levels and year-to-date rates


@pytest.mark.parametrize(("num", "status", "gap", "text"), [
    # 105 / 15,612 = 0.67 % < 1 %
    (105, "on_track", 0, "Đã đạt"),
    # 160 / 15,612 = 1.025 %: at most 156 poor households keep it below 1 % (156.12 is the 1 % line)
    (160, "behind", 4, "Cần giảm thêm 4 hộ nghèo để tỷ lệ dưới 1%"),
])
def test_poverty_rate_strictly_below(num, status, gap, text):
    row = one(target(ratio("HO_NGHEO"), "strictly_below", high=1), [obs("HO_NGHEO", "2025-08", num=num, den=15612)])
    assert (row["outlook_method"], row["outlook_status"]) == ("latest", status)
    assert row["outlook_value"] == pytest.approx(row["value"])
    assert (row["gap_value"], row["gap_text"]) == (gap, text)


def test_exactly_on_a_strict_bound_needs_one_more():
    # 100 / 10,000 = 1 % is not below 1 %: one household fewer; 9,000 / 10,000 = 90 % is not above 90 %
    below = one(target(ratio("HO_NGHEO"), "strictly_below", high=1), [obs("HO_NGHEO", "2025-08", num=100, den=10000)])
    above = one(target(ratio("GDVH"), "strictly_above", low=90), [obs("GDVH", "2025-08", num=9000, den=10000)])
    assert (below["status"], below["outlook_status"], below["gap_value"]) == ("behind", "behind", 1)
    assert (above["status"], above["outlook_status"], above["gap_value"]) == ("behind", "behind", 1)
    assert above["gap_text"] == "Cần thêm 1 hộ gia đình văn hóa để đạt trên 90%"


def test_at_least_ytd_rate_just_below():
    # 599 / 1,000 = 59.9 % (January..July received nothing: 0/0): one more online dossier makes 60 %
    row = one(target(ratio("DOSSIER_ONLINE", "ytd_sum"), "at_least", low=60),
              [obs("DOSSIER_ONLINE", "2025-08", num=599, den=1000)] + quiet_months("DOSSIER_ONLINE"))
    assert (row["outlook_method"], row["outlook_status"], row["gap_value"]) == ("ytd_rate", "behind", 1)
    assert row["gap_text"] == "Cần thêm 1 hồ sơ tiếp nhận trực tuyến để đạt 60%"


def test_all_ytd_rate_with_a_failure_can_no_longer_be_met():
    # 9,996 of 10,000 on time (99.96 %; January..July 0/0): 4 late dossiers stay in the year's count ->
    # not met for the year
    row = one(target(ratio("DOSSIER_ON_TIME", "ytd_sum"), "all"),
              [obs("DOSSIER_ON_TIME", "2025-08", num=9996, den=10000)] + quiet_months("DOSSIER_ON_TIME"))
    assert row["status"] == "behind"
    assert row["outlook_status"] == "not_met"
    assert row["gap_value"] == 4
    assert row["gap_text"] == "Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn"


def test_all_level_below_100_is_behind_with_the_people_missing():
    row = one(target(ratio("NUOC_SACH"), "all"), [obs("NUOC_SACH", "2025-08", num=55970, den=56251)])
    assert (row["outlook_status"], row["gap_value"]) == ("behind", 281)
    assert row["gap_text"] == "Cần thêm 281 người dùng nước sạch để đạt 100%"


def test_income_estimate_is_a_level_with_the_increase_still_needed():
    # 80.0 mn against last December's 72.5 mn: +10.34 %; +12 % needs 72.5 * 1.12 = 81.2 mn: 1.2 mn more
    rows = [obs("TNBQ", "2024-12", value=72.5 * MN), obs("TNBQ", "2025-08", value=80 * MN)]
    row = one(target(growth("TNBQ", "TNBQ", num_window="latest", den_window="year_end"), "band", low=12, high=15),
              rows)
    assert (row["outlook_method"], row["outlook_status"]) == ("latest", "behind")
    assert row["gap_value"] == pytest.approx(1.2 * MN)
    assert row["gap_text"] == "Cần tăng thêm 1,2 triệu đồng/người/năm để đạt mức tăng 12%"


def test_assessment_outlook_follows_the_latest_month():
    antt = {"kind": "assessment", "indicator": "ANTT", "window": "latest", "kept_text": "Giữ vững"}
    kept = one(target(antt, "qualitative"), [obs("ANTT", "2025-08", value=1.0, text="Giữ vững")])
    lost = one(target(antt, "qualitative"), [obs("ANTT", "2025-08", value=0.0, text="Không giữ vững")])
    assert (kept["outlook_status"], lost["outlook_status"]) == ("on_track", "behind")


def test_no_data_has_no_outlook():
    row = one(target(ratio(), "at_least", low=60), [obs("R", "2025-08", num=0, den=0)])
    assert row["outlook_status"] == "no_data"
    assert is_none(row["outlook_value"]) and is_none(row["gap_value"])


# ------------------------------------------------------------------ Vietnamese numbers


@pytest.mark.parametrize(("value", "decimals", "text"), [(1234.5, 1, "1.234,5"), (100000, 0, "100.000"),
                                                         (0.25, 2, "0,25"), (None, 1, "")])
def test_format_vn(value, decimals, text):
    assert format_vn(value, decimals) == text


@pytest.mark.parametrize(("vnd", "text"), [(3.2e9, "3,2 tỷ đồng"), (4_744_468_000_000, "4.744,5 tỷ đồng"),
                                           (45e6, "45,0 triệu đồng"), (800, "800 đồng")])
def test_money_vi(vnd, text):
    assert money_vi(vnd) == text
