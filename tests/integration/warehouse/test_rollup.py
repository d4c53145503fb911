"""City roll-up and league table on a real warehouse (SQLite and PostgreSQL): three wards of city 31
with hand-made December 2025 figures; every expected value is worked out by hand in the comments.

Wards: 10549 (56.251 people), 90001 (20.000) and 90002 (10.000); 9000x are synthetic codes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from warehouse import attainment, catalogue, db, load, models
from warehouse.rollup import city_plan_code, evaluate_city, league_table, rollup_observations
from warehouse.units import load_units, read_units

UNITS = """
units:
  - {unit_code: "31", name_vi: "Thành phố Hải Phòng", level: city, parent_code: null, valid_from: 2025-07-01}
  - {unit_code: "10549", name_vi: "Phường Chu Văn An", level: ward, parent_code: "31", valid_from: 2025-07-01,
     population: 56251, area_km2: 40.86}
  - {unit_code: "90001", name_vi: "Phường Thử Nghiệm 1", level: ward, parent: "31", valid_from: 2025-07-01,
     population: 20000}
  - {unit_code: "90002", name_vi: "Phường Thử Nghiệm 2", level: ward, parent: "31", valid_from: 2025-07-01,
     population: 10000}
"""
W1, W2, W3 = "10549", "90001", "90002"
POP = {W1: 56251, W2: 20000, W3: 10000}
REPO_ROOT = Path(__file__).resolve().parents[3]


def ob(indicator, *, value=None, num=None, den=None, member="", text=None, period="2025-12"):
    return {"indicator_code": indicator, "period": period, "member_code": member, "value": value,
            "numerator": num, "denominator": den, "text_value": text}


def visits(monthly: float, december: float) -> list[dict]:
    """The December workbook's visits: it carries January..November (the same each month) and December."""
    return [ob("LUOT_KHACH", value=monthly, period=f"2025-{m:02d}") for m in range(1, 12)] + [
        ob("LUOT_KHACH", value=december)]


FIGURES = {  # (unit, source, delivery period) -> observations
    (W1, "tax", "2025-12"): [ob("REV_YTD", value=1000, member="TONG"), ob("REV_PRIOR_YTD", value=900, member="TONG"),
                             ob("REV_YTD", value=110, member="I.1"),
                             ob("REV_ESTIMATE_COUNCIL", value=100, member="I.1"),
                             ob("REV_YTD", value=45, member="I.2"), ob("REV_ESTIMATE_COUNCIL", value=50, member="I.2"),
                             ob("REV_ESTIMATE_STATE", value=48, member="I.2")],
    (W2, "tax", "2025-12"): [ob("REV_YTD", value=500, member="TONG"), ob("REV_PRIOR_YTD", value=480, member="TONG"),
                             ob("REV_YTD", value=60, member="I.1"), ob("REV_ESTIMATE_COUNCIL", value=80, member="I.1"),
                             ob("REV_YTD", value=45, member="I.2"), ob("REV_ESTIMATE_STATE", value=40, member="I.2")],
    (W3, "tax", "2025-12"): [ob("REV_YTD", value=200, member="TONG"), ob("REV_PRIOR_YTD", value=170, member="TONG"),
                             ob("REV_YTD", value=25, member="I.1"), ob("REV_ESTIMATE_COUNCIL", value=20, member="I.1"),
                             ob("REV_YTD", value=12, member="I.2"), ob("REV_ESTIMATE_COUNCIL", value=10, member="I.2"),
                             ob("REV_ESTIMATE_STATE", value=11, member="I.2")],
    (W1, "indicators", "2025-12"): [ob("HO_NGHEO", num=30, den=5000, value=0.6), *visits(3000, 7000),
                                    ob("TNBQ", value=80e6), ob("ANTT", text="Giữ vững", value=1)],
    (W2, "indicators", "2025-12"): [ob("HO_NGHEO", num=10, den=2000, value=0.5), *visits(3000, 2000),
                                    ob("TNBQ", value=60e6), ob("ANTT", text="Giữ vững", value=1)],
    (W3, "indicators", "2025-12"): [ob("HO_NGHEO", num=5, den=1000, value=0.5), *visits(2500, 2500),
                                    ob("TNBQ", value=50e6), ob("ANTT", text="Không giữ vững", value=0)],
    (W1, "indicators", "2024-12"): [ob("TNBQ", value=70e6, period="2024-12")],
    (W2, "indicators", "2024-12"): [ob("TNBQ", value=50e6, period="2024-12")],
    (W3, "indicators", "2024-12"): [ob("TNBQ", value=48e6, period="2024-12")],
    # 90002 sent no school register for December
    (W1, "education", "2025-12"): [ob("SCHOOL_STANDARD", num=1, den=1, member="TH-A"),
                                   ob("SCHOOL_STANDARD", num=1, den=1, member="TH-B")],
    (W2, "education", "2025-12"): [ob("SCHOOL_STANDARD", num=0, den=1, member="TH-C")],
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_url(request, tmp_path_factory, pg_server_url):
    """Both engines, one warehouse per module (the figures are loaded once; the tests only read them)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('rollup') / 'warehouse.sqlite'}"
        return
    name = f"thidua_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(scope="module")
def engine(module_url, tmp_path_factory):
    db.upgrade(module_url)
    engine = db.make_engine(module_url)
    for ward in (W1, W2, W3):  # every ward has its plan: a count target's city bound is their sum
        catalogue.load_catalogue(engine, _ward_plan(ward))
    path = tmp_path_factory.mktemp("units") / "units.yaml"
    path.write_text(UNITS, encoding="utf-8")
    load_units(engine, read_units(path))
    load_ids = {}
    for (unit, source, period), rows in FIGURES.items():
        frame = pd.DataFrame([{**r, "unit_code": unit} for r in rows])
        load_ids[(unit, source, period)] = load.load_delivery(
            engine, source_code=source, unit_code=unit, period=period, fingerprint=f"{unit}-{source}-{period}",
            file_name=f"{source}.xlsx", flow_run_id=None, rows_read=len(frame), observations=frame).load_id
    engine.load_ids = load_ids
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def city(engine):
    return evaluate_city(engine, "31", "2025-12").set_index("target_code")


def test_rates_are_recomputed_from_summed_counts(city):
    row = city.loc["CT04"]  # poverty: (30+10+5) / (5000+2000+1000) = 45/8000 = 0,5625 % < 1 %
    assert (row["numerator"], row["denominator"]) == (45, 8000)
    assert row["value"] == pytest.approx(0.5625) and row["status"] == "met"


def test_all_schools_over_all_public_schools_and_a_partial_rollup_says_so(city):
    row = city.loc["CT06"]  # (1+1+0) / (1+1+1) schools: not 100 % in December
    assert (row["numerator"], row["denominator"]) == (2, 3) and row["status"] == "not_met"
    assert (row["wards_reporting"], row["wards_expected"], row["wards_missing"]) == (2, 3, ["90002"])
    assert "2/3 phường có số liệu tháng 12/2025" in row["detail"]
    assert city.loc["CT04", "wards_missing"] == [] and city.loc["CT04", "wards_reporting"] == 3


def test_counts_and_their_bounds_are_summed(city):
    # visits of the year (11 x 3.000 + 7.000) + (11 x 3.000 + 2.000) + (11 x 2.500 + 2.500)
    # = 40.000 + 35.000 + 30.000 = 105.000 against the three wards' bounds 3 x 100.000 = 300.000
    row = city.loc["CT09"]
    assert row["value"] == 105000 and row["bound_low"] == 300000 and row["status"] == "not_met"


def test_growth_of_summed_amounts(city):
    row = city.loc["CT01a"]  # (1000+500+200) / (900+480+170) - 1 = 1700/1550 - 1 = 9,677 %, band 8-10
    assert (row["numerator"], row["denominator"]) == (1700, 1550)
    assert row["value"] == pytest.approx((1700 / 1550 - 1) * 100) and row["status"] == "met"


def test_income_per_head_is_weighted_by_population(city):
    row = city.loc["CT03"]
    people = 56251 + 20000 + 10000
    now = (80e6 * 56251 + 60e6 * 20000 + 50e6 * 10000) / people
    before = (70e6 * 56251 + 50e6 * 20000 + 48e6 * 10000) / people
    assert row["value"] == pytest.approx((now / before - 1) * 100)  # 14,4 %: within 12-15
    assert row["status"] == "met"


def test_items_compare_actual_and_estimate_over_the_same_wards(city):
    # I.1: actual 110+60+25 = 195 < council 100+80+20 = 200: short.
    # I.2: 90001 has no council estimate, so the council sum (50+10) would miss a ward: the state
    #      estimate is used, 48+40+11 = 99 <= actual 45+45+12 = 102: reached. 1 item of 2.
    row = city.loc["CT01b"]
    assert (row["numerator"], row["denominator"]) == (1, 2) and row["status"] == "not_met"
    assert "below: I.1" in row["detail"]


def test_assessment_holds_only_when_every_ward_holds(city):
    row = city.loc["CT12"]  # 2 of 3 wards hold
    assert row["status"] == "not_met" and row["value"] == 0
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert "Không giữ vững ở 1/3 phường" in row["detail"]


def test_no_source_no_data(city):
    assert city.loc["CT07", "status"] == "no_data" and city.loc["CT07", "wards_reporting"] == 0


def test_city_snapshots_are_stored_once_with_the_wards_loads(engine, city):
    stored = attainment.read_attainment(engine, "31", "2025-12").set_index("target_code")
    assert len(stored) == 20 and stored.loc["CT04", "status"] == "met"
    with engine.connect() as conn:
        plan = conn.execute(sa.select(models.plans).where(models.plans.c.unit_code == "31")).mappings().one()
    assert plan["plan_code"] == city_plan_code("31", 2025) == "KH-TD-2025-31-tong-hop"
    ids = engine.load_ids
    expected = sorted(ids[(u, "indicators", "2025-12")] for u in (W1, W2, W3))
    assert [i["load_id"] for i in stored.loc["CT04", "inputs"]] == expected
    assert evaluate_city(engine, "31", "2025-12").shape[0] == 20
    assert len(attainment.read_attainment_history(engine, "31", "2025-12")) == 20  # nothing new


def test_rollup_without_targets_goes_by_shape():
    frame = pd.DataFrame([
        {**ob("X", num=1, den=4), "unit_code": "a", "load_id": 1, "source_code": "s", "load_period": "2025-12"},
        {**ob("X", num=2, den=4), "unit_code": "b", "load_id": 2, "source_code": "s", "load_period": "2025-12"},
        {**ob("Y", value=5), "unit_code": "a", "load_id": 1, "source_code": "s", "load_period": "2025-12"},
        {**ob("Y", value=7), "unit_code": "b", "load_id": 2, "source_code": "s", "load_period": "2025-12"},
    ])
    out = rollup_observations(frame, "C").set_index("indicator_code")
    assert (out.loc["X", "numerator"], out.loc["X", "denominator"], out.loc["X", "value"]) == (3, 8, 37.5)
    assert out.loc["Y", "value"] == 12 and out.loc["Y", "wards_reporting"] == 2
    assert set(out["unit_code"]) == {"C"} and set(out["source_file"]) == {"rollup: 2 wards"}


def _snapshots(engine, unit, statuses):
    plan_id = catalogue.load_catalogue(engine, _ward_plan(unit))
    frame = pd.DataFrame([{"target_code": f"T{i:02d}", "unit_code": unit, "period": "2025-12", "comparison": "all",
                           "status": s, "inputs": [], "detail": ""} for i, s in enumerate(statuses)])
    attainment.save_evaluations(engine, plan_id, frame, None, evaluated_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))


def _ward_plan(unit):
    cat = catalogue.read_catalogue(REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml")
    cat.plan = {**cat.plan, "plan_code": f"KH-TD-2025-{unit}", "unit_code": unit}
    return cat


def test_league_table_counts_scores_and_shared_ranks(engine):
    # scores by hand: (met + exceeded + on_track) / targets judged, no_data counting as not achieved
    _snapshots(engine, W1, ["met", "met", "exceeded", "no_data"])            # 3/4 = 75 %
    _snapshots(engine, W2, ["met", "on_track", "not_met", "behind"])         # 2/4 = 50 %
    _snapshots(engine, W3, ["met", "exceeded", "behind", "no_data"])         # 2/4 = 50 %
    table = league_table(engine, "31", "2025-12")
    assert list(table["unit_code"]) == [W1, W2, W3]
    assert list(table["rank"]) == [1, 2, 2]
    assert list(table["score"]) == [75.0, 50.0, 50.0]
    first = table.iloc[0]
    assert (first["met"], first["exceeded"], first["no_data"], first["targets"]) == (2, 1, 1, 4)
    assert list(table["population"]) == [POP[W1], POP[W2], POP[W3]]


def test_the_city_plan_never_passes_for_a_ward_catalogue_file(engine, city):
    # a city close recognises an already-loaded plan file by its SHA-256: the roll-up plan, copied from the
    # template ward's plan, must not carry that file's fingerprint (else the file reads as the city's plan)
    plans = catalogue.loaded_plans(engine)
    template_sha = _ward_plan(W1).sha256
    assert plans[template_sha]["unit_code"] != "31"
    assert [p["unit_code"] for p in plans.values()].count("31") == 1
