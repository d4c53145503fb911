"""backcast_observations and the units file on tiny inline frames; every expected value is worked by hand.

The crosswalk used here: A and B whole (1.000 and 500 people), C split on population (share 0,25 of its
400 people: 100 moved), D split on area (share 0,5, no one moved), effective 2025-07-01.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from warehouse.units import UnitsFileError, backcast_observations, merge_backcast, read_units

SUCC = "S1"
NAN = float("nan")
CROSSWALK = pd.DataFrame([
    {"predecessor_code": "A", "successor_code": SUCC, "effective_date": dt.date(2025, 7, 1), "is_whole": True,
     "share": 1.0, "share_basis": "whole", "legal_basis_vi": None, "population": 1000},
    {"predecessor_code": "B", "successor_code": SUCC, "effective_date": dt.date(2025, 7, 1), "is_whole": True,
     "share": 1.0, "share_basis": "whole", "legal_basis_vi": None, "population": 500},
    {"predecessor_code": "C", "successor_code": SUCC, "effective_date": dt.date(2025, 7, 1), "is_whole": False,
     "share": 0.25, "share_basis": "population", "legal_basis_vi": None, "population": 400},
    {"predecessor_code": "D", "successor_code": SUCC, "effective_date": dt.date(2025, 7, 1), "is_whole": False,
     "share": 0.5, "share_basis": "area", "legal_basis_vi": None, "population": 200},
])


def obs(unit, indicator, period="2024-03", *, value=NAN, num=NAN, den=NAN, member="", text=None, load_id=1,
        load_period=None, source="indicators"):
    return {"indicator_code": indicator, "unit_code": unit, "period": period, "member_code": member,
            "value": value, "numerator": num, "denominator": den, "text_value": text, "load_id": load_id,
            "source_code": source, "load_period": load_period or period, "source_file": f"{unit}.xlsx",
            "sheet": "Chỉ tiêu", "row_number": 9, "column_name": "Tháng 3", "raw_text": None}


PRED_OBS = pd.DataFrame([
    # an amount: every predecessor, x share; A's figure was corrected by a later delivery (100 wins)
    obs("A", "REV_YTD", value=90, member="TONG", load_id=1, source="tax"),
    obs("A", "REV_YTD", value=100, member="TONG", load_id=5, load_period="2024-04", source="tax"),
    obs("B", "REV_YTD", value=50, member="TONG", load_id=2, source="tax"),
    obs("C", "REV_YTD", value=40, member="TONG", load_id=3, source="tax"),
    obs("D", "REV_YTD", value=20, member="TONG", load_id=4, source="tax"),
    # a rate: the area-only part D brought no households
    obs("A", "HO_NGHEO", num=10, den=200, value=5.0), obs("B", "HO_NGHEO", num=5, den=100, value=5.0),
    obs("C", "HO_NGHEO", num=8, den=400, value=2.0), obs("D", "HO_NGHEO", num=3, den=300, value=1.0),
    # items (schools): only from whole predecessors
    obs("A", "SCHOOL_STANDARD", num=1, den=1, member="S-A"), obs("B", "SCHOOL_STANDARD", num=0, den=1, member="S-B"),
    obs("C", "SCHOOL_STANDARD", num=1, den=1, member="S-C"),
    # per head: weighted by the people who moved
    obs("A", "TNBQ", value=60), obs("B", "TNBQ", value=30), obs("C", "TNBQ", value=90), obs("D", "TNBQ", value=10),
    # an assessment: whole predecessors only, disagreeing
    obs("A", "ANTT", text="Giữ vững", value=1), obs("B", "ANTT", text="Không giữ vững", value=0),
    obs("C", "ANTT", text="Giữ vững", value=1),
    # D did not report visits: no partial sum
    obs("A", "LUOT_KHACH", value=1000), obs("B", "LUOT_KHACH", value=500), obs("C", "LUOT_KHACH", value=400),
    # after the successor exists: never back-cast
    obs("A", "TGTSP", "2025-07", value=7), obs("B", "TGTSP", "2025-07", value=7), obs("C", "TGTSP", "2025-07", value=7),
    obs("D", "TGTSP", "2025-07", value=7),
    # another unit: ignored
    obs("Z", "REV_YTD", value=1e9, member="TONG"),
])


@pytest.fixture(scope="module")
def backcast():
    frame = backcast_observations(PRED_OBS, CROSSWALK, SUCC)
    return {(r["indicator_code"], r["member_code"]): r for r in frame.to_dict("records")}


def test_amounts_are_summed_with_the_shares(backcast):
    row = backcast[("REV_YTD", "TONG")]
    assert row["value"] == pytest.approx(100 + 50 + 0.25 * 40 + 0.5 * 20)  # 170
    assert row["unit_code"] == SUCC and row["period"] == "2024-03" and row["source_code"] == "tax"
    assert pd.isna(row["load_id"])  # several loads: lineage in input_load_ids and source_file
    assert row["input_load_ids"] == [2, 3, 4, 5]
    assert "A x 1 (load 5" in row["source_file"] and "C x 0.25 (load 3" in row["source_file"]


def test_rates_come_from_predecessors_with_people_and_are_recomputed(backcast):
    row = backcast[("HO_NGHEO", "")]
    assert row["numerator"] == pytest.approx(10 + 5 + 0.25 * 8)  # 17
    assert row["denominator"] == pytest.approx(200 + 100 + 0.25 * 400)  # 400
    assert row["value"] == pytest.approx(4.25)


def test_items_come_only_from_whole_predecessors(backcast):
    schools = {m: (r["numerator"], r["denominator"]) for (i, m), r in backcast.items() if i == "SCHOOL_STANDARD"}
    assert schools == {"S-A": (1.0, 1.0), "S-B": (0.0, 1.0)}


def test_per_capita_is_weighted_by_the_people_who_moved(backcast):
    # weights: A 1.000, B 500, C 0,25 x 400 = 100; D moved no one
    assert backcast[("TNBQ", "")]["value"] == pytest.approx((60 * 1000 + 30 * 500 + 90 * 100) / 1600)  # 52,5


def test_assessments_come_from_whole_predecessors_and_disagreement_is_not_kept(backcast):
    row = backcast[("ANTT", "")]
    assert row["text_value"] == "Giữ vững / Không giữ vững"
    assert row["value"] == 0


def test_no_partial_sums_and_nothing_after_the_effective_date(backcast):
    assert ("LUOT_KHACH", "") not in backcast
    assert ("TGTSP", "") not in backcast
    assert len(backcast) == 6


def test_merge_keeps_the_successors_own_figures():
    own = pd.DataFrame([obs(SUCC, "REV_YTD", value=999, member="TONG", load_id=9, source="tax")])
    merged = merge_backcast(own, backcast_observations(PRED_OBS, CROSSWALK, SUCC))
    rev = merged[merged["indicator_code"] == "REV_YTD"]
    assert list(rev["value"]) == [999]  # its own figure wins for the whole (indicator, period)
    assert set(merged["indicator_code"]) == {"REV_YTD", "HO_NGHEO", "SCHOOL_STANDARD", "TNBQ", "ANTT"}


def test_no_crosswalk_rows_means_nothing_back_cast():
    assert backcast_observations(PRED_OBS, CROSSWALK, "OTHER").empty


# ------------------------------------------------------------------ the units file


def test_units_31_shares_from_the_reference_figures(repo_root):
    units = read_units(repo_root / "catalogue" / "units-31.yaml")
    shares = dict(zip(units.crosswalk["predecessor_code"], units.crosswalk["share"], strict=True))
    assert shares["HD-CL-SAODO"] == 1.0 and shares["HD-CL-THAIHOC"] == 1.0
    assert shares["HD-CL-CONGHOA"] == pytest.approx(800 / 16498)
    assert shares["HD-CL-VANDUC"] == pytest.approx(1.16 / 15.42)
    assert set(units.units["unit_code"]) >= {"31", "10549", "HD-CL-VANDUC"}


def _write(tmp_path, text):
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    return path


UNITS = """
units:
  - {unit_code: "31", name_vi: "Thành phố", level: city, valid_from: 2025-07-01}
  - {unit_code: "W", name_vi: "Phường W", level: ward, parent: "31", valid_from: 2025-07-01, population: 150}
  - {unit_code: "P1", name_vi: "P1", level: ward, valid_to: 2025-06-30, population: 100}
  - {unit_code: "P2", name_vi: "P2", level: ward, valid_to: 2025-06-30, population: 200}
crosswalk:
  - {predecessor_code: P1, successor_code: W, effective_date: 2025-07-01, is_whole: true}
"""


def test_the_generators_parent_key_and_a_moved_part(tmp_path):
    text = UNITS + ("  - {predecessor_code: P2, successor_code: W, effective_date: 2025-07-01, is_whole: false,"
                    " share_basis: population, moved_population: 50}\n")
    units = read_units(_write(tmp_path, text))
    assert units.units.set_index("unit_code").loc["W", "parent_code"] == "31"
    assert list(units.crosswalk["share"]) == [1.0, 0.25]


@pytest.mark.parametrize(("change", "message"), [
    ("  - {predecessor_code: P2, successor_code: W, effective_date: 2025-07-01, is_whole: false,"
     " share_basis: population, moved_population: 60}\n",
     "field 'population': found 150, expected the sum of its predecessors' moved parts, 160 people"),
    ("  - {predecessor_code: P2, successor_code: W, effective_date: 2025-07-01, is_whole: false,"
     " share_basis: whole}\n", "field 'share_basis': found 'whole', expected 'population' or 'area'"),
    ("  - {predecessor_code: P9, successor_code: W, effective_date: 2025-07-01, is_whole: true}\n",
     "crosswalk P9 -> W: field 'predecessor_code': found 'P9', expected a unit listed under `units`"),
    ("  - {predecessor_code: W, successor_code: P1, effective_date: 2025-07-01, is_whole: true}\n",
     "the crosswalk has a cycle"),
])
def test_bad_units_files_say_where_and_what(tmp_path, change, message):
    with pytest.raises(UnitsFileError, match=None) as caught:
        read_units(_write(tmp_path, UNITS + change))
    assert message in str(caught.value)
