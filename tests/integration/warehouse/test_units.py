"""The units dimension and the crosswalk on a real warehouse (SQLite and PostgreSQL): load, validity,
and a growth target of phường Chu Văn An judged against a 2024 built from its predecessors.

Expected figures are worked out here from the reference's shares (800 / 16.498 people of Cộng Hòa,
1,16 / 15,42 km² of Văn Đức), never through the code under test.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from warehouse import attainment, catalogue, db, load, models
from warehouse.units import children, load_units, read_units, units_at

PREDECESSORS = {"HD-CL-SAODO": 1.0, "HD-CL-VANAN": 1.0, "HD-CL-CHIMINH": 1.0, "HD-CL-THAIHOC": 1.0,
                "HD-CL-CONGHOA": 800 / 16498, "HD-CL-VANDUC": 1.16 / 15.42}
# TGTSP (VND) of each predecessor in 2024-01 and 2024-02
TGTSP_2024 = {"HD-CL-SAODO": (100e9, 110e9), "HD-CL-VANAN": (50e9, 52e9), "HD-CL-CHIMINH": (40e9, 41e9),
              "HD-CL-THAIHOC": (30e9, 29e9), "HD-CL-CONGHOA": (200e9, 210e9), "HD-CL-VANDUC": (80e9, 90e9)}


@pytest.fixture()
def engine(warehouse_url, repo_root):
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    catalogue.load_catalogue(engine, catalogue.read_catalogue(repo_root / "catalogue" / "ke-hoach-2025-10549.yaml"))
    load_units(engine, read_units(repo_root / "catalogue" / "units-31.yaml"))
    yield engine
    engine.dispose()


def put(engine, unit, period, rows, source="indicators"):
    frame = pd.DataFrame([{"unit_code": unit, "period": period, "member_code": "", "source_file": f"{unit}.xlsx",
                           "sheet": "Chỉ tiêu", "row_number": 8, **r} for r in rows])
    return load.load_delivery(engine, source_code=source, unit_code=unit, period=period,
                              fingerprint=f"{source}-{unit}-{period}", file_name=f"{unit}.xlsx", flow_run_id=None,
                              rows_read=len(frame), observations=frame).load_id


def table_rows(engine, table):
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)).all())


def test_units_load_is_idempotent_and_validity_dates_hold(engine, repo_root):
    before = (table_rows(engine, models.units), table_rows(engine, models.unit_crosswalk))
    load_units(engine, read_units(repo_root / "catalogue" / "units-31.yaml"))
    catalogue.load_catalogue(engine, catalogue.read_catalogue(repo_root / "catalogue" / "ke-hoach-2025-10549.yaml"))
    assert (table_rows(engine, models.units), table_rows(engine, models.unit_crosswalk)) == before
    assert len(before[1]) == 6

    after = set(units_at(engine, dt.date(2025, 7, 1))["unit_code"])
    before_merger = set(units_at(engine, dt.date(2025, 6, 30))["unit_code"])
    assert {"31", "10549"} <= after and not after & set(PREDECESSORS)
    assert set(PREDECESSORS) <= before_merger and "10549" not in before_merger
    assert list(children(engine, "31", dt.date(2025, 12, 31))["unit_code"]) == ["10549"]
    assert list(children(engine, "HD-CL", dt.date(2025, 1, 31))["unit_code"]) == sorted(PREDECESSORS)
    population = units_at(engine, dt.date(2025, 6, 1)).set_index("unit_code")["population"]
    assert int(population["HD-CL-CONGHOA"]) == 16498


def test_growth_of_a_merged_ward_against_its_predecessors_2024(engine):
    for code, (jan, feb) in TGTSP_2024.items():
        put(engine, code, "2024-01", [{"indicator_code": "TGTSP", "value": jan}])
        put(engine, code, "2024-02", [{"indicator_code": "TGTSP", "value": feb}])
    put(engine, "10549", "2025-01", [{"indicator_code": "TGTSP", "value": 520e9}])
    put(engine, "10549", "2025-02", [{"indicator_code": "TGTSP", "value": 540e9}])

    observations = attainment.read_observations(engine, "10549", [2024, 2025])
    targets = attainment.read_targets(engine, 2025, "10549")
    row = attainment.evaluate_targets(targets, observations, "10549", "2025-02").set_index("target_code").loc["CT02"]

    # by hand: 2024-01 = 100+50+40+30 + 200 x 800/16498 + 80 x 1,16/15,42 (bn VND), likewise 2024-02
    base = sum(jan * PREDECESSORS[c] + feb * PREDECESSORS[c] for c, (jan, feb) in TGTSP_2024.items())
    assert base == pytest.approx(452e9 + 410e9 * 800 / 16498 + 170e9 * 1.16 / 15.42)
    assert row["denominator"] == pytest.approx(base)
    assert row["numerator"] == pytest.approx(1060e9)
    growth = (1060e9 / base - 1) * 100  # 1060 / 485,674... - 1 = +118,3 %: far above the 14-14,5 band
    assert row["value"] == pytest.approx(growth)
    assert row["status"] == "exceeded"
    backcast = observations[observations["period"] == "2024-01"]
    lineage = backcast["source_file"].iloc[0]
    assert lineage.startswith("backcast: ") and "HD-CL-CONGHOA x 0.0484907 (load " in lineage
    assert backcast["value"].iloc[0] == pytest.approx(sum(j * PREDECESSORS[c] for c, (j, _) in TGTSP_2024.items()))


def test_the_wards_own_figures_win_and_a_unit_without_crosswalk_reads_only_its_own(engine):
    for code in PREDECESSORS:
        put(engine, code, "2024-01", [{"indicator_code": "LUOT_KHACH", "value": 1000.0}])
    put(engine, "10549", "2024-01", [{"indicator_code": "LUOT_KHACH", "value": 7.0}])
    put(engine, "HD-CL-SAODO", "2024-02", [{"indicator_code": "LUOT_KHACH", "value": 5.0}])
    own = attainment.read_observations(engine, "10549", [2024])
    # its own January wins; February: only one predecessor reported, no partial sum
    assert own[["period", "value"]].values.tolist() == [["2024-01", 7.0]]
    pred = attainment.read_observations(engine, "HD-CL-SAODO", [2024])
    assert pred["value"].tolist() == [1000.0, 5.0] and pred["load_id"].notna().all()
