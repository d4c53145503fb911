"""Catalogue and delivery loads on both engines: idempotent, replaced in one transaction, rolled back whole."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from warehouse import attainment, catalogue, db, load, models
from warehouse.errors import LoadError

UNIT = "10549"
NAN = float("nan")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in models.metadata.sorted_tables}


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


# ------------------------------------------------------------------ catalogue


def test_catalogue_loads_once_and_reloads_to_the_same_rows(engine, catalogue_path):
    cat = catalogue.read_catalogue(catalogue_path)
    plan_id = catalogue.load_catalogue(engine, cat)
    first = counts(engine)
    snapshot = rows(engine, "SELECT * FROM targets ORDER BY target_code")
    assert catalogue.load_catalogue(engine, cat) == plan_id
    assert counts(engine) == first
    assert rows(engine, "SELECT * FROM targets ORDER BY target_code") == snapshot
    assert (first["units"], first["sources"], first["plans"], first["targets"]) == (2, 5, 1, 20)
    (settings,) = rows(engine, "SELECT settings FROM plans")[0]
    assert json.loads(settings)["revenue_estimate_preference"] == ["REV_ESTIMATE_COUNCIL", "REV_ESTIMATE_STATE"]
    targets = attainment.read_targets(engine, 2025, UNIT).set_index("target_code")
    assert len(targets) == 20
    assert targets.loc["CT02", "measure"]["denominator"]["year_offset"] == -1
    assert bool(targets.loc["CT09", "accumulates"]) and targets.loc["CT09", "bound_low"] == 100000
    assert attainment.read_targets(engine, 2024, UNIT).empty


def test_changed_catalogue_updates_rows(engine, catalogue_path, tmp_path):
    plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
    doc = yaml.safe_load(catalogue_path.read_text(encoding="utf-8"))
    ct09 = next(t for t in doc["targets"] if t["code"] == "CT09")
    ct09["bound_low"] = 120000
    doc["targets"] = [t for t in doc["targets"] if t["code"] != "CT13"]
    doc["units"][1]["population"] = 57000
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert catalogue.load_catalogue(engine, catalogue.read_catalogue(changed)) == plan_id
    assert rows(engine, "SELECT bound_low FROM targets WHERE target_code = 'CT09'") == [(120000.0,)]
    assert rows(engine, "SELECT count(*) FROM targets") == [(19,)]
    assert rows(engine, "SELECT population FROM units WHERE unit_code = '10549'") == [(57000,)]
    assert rows(engine, "SELECT count(*) FROM plans") == [(1,)]


# ------------------------------------------------------------------ deliveries


def frame(*figures) -> pd.DataFrame:
    """Observations of the tax source for August 2025: (indicator, member, value) triples."""
    out = []
    for i, (indicator, member, value) in enumerate(figures):
        out.append({"indicator_code": indicator, "unit_code": UNIT, "period": "2025-08", "member_code": member,
                    "value": value, "numerator": NAN, "denominator": NAN, "text_value": None,
                    "source_file": "bao-cao-thu-nsnn-2025-08.xlsx", "sheet": "Thu NSNN", "row_number": 10 + i,
                    "column_name": "Lũy kế từ đầu năm", "raw_text": None if value != value else str(value)})
    return pd.DataFrame(out)


GOOD = frame(("REV_YTD", "TONG", 110e9), ("REV_PRIOR_YTD", "TONG", 100e9), ("REV_YTD", "I.1", NAN))
CORRECTED = frame(("REV_YTD", "TONG", 111e9), ("REV_PRIOR_YTD", "TONG", 100e9))
VALIDATION = {"suite_name": "tax:10549:2025-08", "success": True, "evaluated_count": 12, "failed_count": 0,
              "failed": []}


def deliver(engine, observations, fingerprint, **kw):
    args = dict(source_code="tax", unit_code=UNIT, period="2025-08", fingerprint=fingerprint,
                file_name="bao-cao-thu-nsnn-2025-08.xlsx", flow_run_id="run-1", rows_read=len(observations),
                observations=observations)
    args.update(kw)
    return load.load_delivery(engine, **args)


def test_first_load_then_same_fingerprint_is_unchanged(engine):
    first = deliver(engine, GOOD, "a" * 64, validation=VALIDATION)
    assert (first.status, first.rows_loaded, first.replaced_load_id) == ("loaded", 3, None)
    before = counts(engine)
    again = deliver(engine, GOOD, "a" * 64, validation=VALIDATION)
    assert (again.status, again.load_id, again.rows_loaded) == ("unchanged", first.load_id, 3)
    assert counts(engine) == before
    assert before["observations"] == 3 and before["loads"] == 1 and before["validation_results"] == 1
    # NaN is stored as NULL, and the lineage is kept
    assert rows(engine, "SELECT value, raw_text FROM observations WHERE member_code = 'I.1'") == [(None, None)]
    assert rows(engine, "SELECT sheet, row_number FROM observations WHERE member_code = 'TONG' "
                        "AND indicator_code = 'REV_YTD'") == [("Thu NSNN", 10)]
    (stored,) = rows(engine, "SELECT is_success, evaluated_count, result_json FROM validation_results")
    assert bool(stored[0]) and stored[1] == 12 and json.loads(stored[2])["suite_name"] == "tax:10549:2025-08"


def test_changed_delivery_replaces_and_keeps_the_old_load(engine):
    first = deliver(engine, GOOD, "a" * 64)
    second = deliver(engine, CORRECTED, "b" * 64)
    assert (second.status, second.rows_loaded, second.replaced_load_id) == ("replaced", 2, first.load_id)
    assert rows(engine, "SELECT load_id, status, superseded_by_load_id FROM loads ORDER BY load_id") == [
        (first.load_id, "superseded", second.load_id), (second.load_id, "loaded", None)]
    # the old load's observations stay for history; only the active load is read
    assert rows(engine, f"SELECT count(*) FROM observations WHERE load_id = {first.load_id}") == [(3,)]
    active = attainment.read_observations(engine, UNIT, [2025])
    assert set(active["load_id"]) == {second.load_id}
    assert active.set_index(["indicator_code", "member_code"]).loc[("REV_YTD", "TONG"), "value"] == 111e9
    assert set(active["source_code"]) == {"tax"} and set(active["load_period"]) == {"2025-08"}
    # delivering the first file again makes it active again, as a new load
    third = deliver(engine, GOOD, "a" * 64)
    assert (third.status, third.replaced_load_id) == ("replaced", second.load_id)
    assert rows(engine, "SELECT count(*) FROM loads WHERE status = 'loaded'") == [(1,)]


def test_failing_insert_rolls_back_and_keeps_the_previous_load(engine):
    good = deliver(engine, GOOD, "a" * 64)
    before = counts(engine)
    duplicate = frame(("REV_YTD", "TONG", 1.0), ("REV_YTD", "TONG", 2.0))  # same key twice in one batch
    with pytest.raises(LoadError) as info:
        deliver(engine, duplicate, "c" * 64, validation=VALIDATION)
    assert "nothing written" in str(info.value)
    after = counts(engine)
    # nothing of the bad delivery: no observation, no validation; one `failed` load records the attempt
    assert after["observations"] == before["observations"]
    assert after["validation_results"] == before["validation_results"]
    loads = rows(engine, "SELECT load_id, status, superseded_by_load_id, message FROM loads ORDER BY load_id")
    assert [r[:3] for r in loads][0] == (good.load_id, "loaded", None)
    assert [r[1:3] for r in loads][1:] == [("failed", None)]
    assert "tax 10549 2025-08" in loads[1][3]
    active = attainment.read_observations(engine, UNIT, [2025])
    assert set(active["load_id"]) == {good.load_id} and len(active) == 3


def test_bad_period_in_observations_is_refused(engine):
    bad = GOOD.copy()
    bad.loc[0, "period"] = "2025-8"
    with pytest.raises(LoadError, match="YYYY-MM"):
        deliver(engine, bad, "d" * 64)
    assert rows(engine, "SELECT count(*) FROM observations") == [(0,)]


def test_database_refuses_a_second_active_load(engine):
    deliver(engine, GOOD, "a" * 64)
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(models.loads.insert().values(
                source_code="tax", unit_code=UNIT, period="2025-08", fingerprint="e" * 64, rows_loaded=0,
                status="loaded", started_at=sa.func.now()))


def test_rejected_delivery_is_quarantined_and_the_active_load_stays(engine):
    good = deliver(engine, GOOD, "a" * 64)
    failed_report = {**VALIDATION, "success": False, "failed_count": 1,
                     "failed": [{"expectation": "values_between", "sample": [-5]}]}
    load_id = load.record_rejected_delivery(
        engine, source_code="tax", unit_code=UNIT, period="2025-08", fingerprint="f" * 64,
        file_name="bao-cao-thu-nsnn-2025-08.xlsx", flow_run_id=None, rows_read=12, validation=failed_report,
        message="1 expectation failed")
    assert rows(engine, f"SELECT status, rows_loaded, message FROM loads WHERE load_id = {load_id}") == [
        ("quarantined", 0, "1 expectation failed")]
    assert rows(engine, f"SELECT count(*) FROM observations WHERE load_id = {load_id}") == [(0,)]
    assert rows(engine, f"SELECT is_success, failed_count FROM validation_results WHERE load_id = {load_id}") \
        in ([(False, 1)], [(0, 1)])
    assert rows(engine, "SELECT load_id FROM loads WHERE status = 'loaded'") == [(good.load_id,)]
    # the good file delivered again is still unchanged
    assert deliver(engine, GOOD, "a" * 64).status == "unchanged"


# ------------------------------------------------------------------ attainment snapshots


def test_save_evaluations_adds_snapshots_only_when_something_changed(engine, catalogue_path):
    plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
    first = deliver(engine, GOOD, "a" * 64)
    targets = attainment.read_targets(engine, 2025, UNIT)

    def evaluate_and_save(run):
        observations = attainment.read_observations(engine, UNIT, [2024, 2025])
        evaluations = attainment.evaluate_targets(targets, observations, UNIT, "2025-08")
        return attainment.save_evaluations(engine, plan_id, evaluations, run)

    assert evaluate_and_save("run-1") == 20
    assert evaluate_and_save("run-2") == 0
    assert rows(engine, "SELECT count(*) FROM attainment_evaluations") == [(20,)]
    ct01a = attainment.read_attainment(engine, UNIT, "2025-08").set_index("target_code").loc["CT01a"]
    assert ct01a["status"] == "met" and ct01a["value"] == pytest.approx(10.0)
    assert ct01a["inputs"] == [{"source": "tax", "load_id": first.load_id, "period": "2025-08"}]

    # a corrected delivery changes CT01a's inputs (and value): one new snapshot, the old one kept
    second = deliver(engine, CORRECTED, "b" * 64)
    assert evaluate_and_save("run-3") == 1
    history = rows(engine, "SELECT status, value FROM attainment_evaluations WHERE target_code = 'CT01a' "
                           "ORDER BY evaluation_id")
    assert [h[0] for h in history] == ["met", "exceeded"]
    latest = attainment.read_attainment(engine, UNIT, "2025-08")
    assert len(latest) == 20 and latest["target_code"].is_unique
    ct01a = latest.set_index("target_code").loc["CT01a"]
    assert ct01a["status"] == "exceeded" and ct01a["value"] == pytest.approx(11.0)
    assert ct01a["inputs"] == [{"source": "tax", "load_id": second.load_id, "period": "2025-08"}]
    assert ct01a["name_vi"].startswith("Thu ngân sách")

    # the original file delivered again: back to the first result, from a new load -> a new snapshot
    deliver(engine, GOOD, "a" * 64)
    assert evaluate_and_save("run-4") == 1
    assert attainment.read_attainment(engine, UNIT, "2025-08").set_index("target_code").loc[
        "CT01a", "status"] == "met"


def test_a_result_that_returns_to_an_earlier_state_is_the_latest_again(engine, catalogue_path):
    plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))

    def snapshot(status, value):
        return pd.DataFrame([{"target_code": "CT09", "unit_code": UNIT, "period": "2025-08", "value": value,
                              "numerator": None, "denominator": None, "bound_low": 100000.0,
                              "bound_high": None, "comparison": "at_least", "status": status,
                              "inputs": [{"source": "indicators", "load_id": 1, "period": "2025-08"}],
                              "detail": "x"}])

    assert attainment.save_evaluations(engine, plan_id, snapshot("on_track", 70000.0), None) == 1
    assert attainment.save_evaluations(engine, plan_id, snapshot("behind", 60000.0), None) == 1
    assert attainment.save_evaluations(engine, plan_id, snapshot("on_track", 70000.0), None) == 1
    assert attainment.save_evaluations(engine, plan_id, snapshot("on_track", 70000.0), None) == 0
    latest = attainment.read_attainment(engine, UNIT, "2025-08")
    assert latest["status"].tolist() == ["on_track"] and latest["value"].tolist() == [70000.0]


def test_read_attainment_of_a_never_evaluated_period_is_empty(engine, tmp_path):
    assert attainment.read_attainment(engine, UNIT, "2025-01").empty
    fresh = db.make_engine(f"sqlite:///{tmp_path / 'never-migrated.sqlite'}")
    try:
        frame = attainment.read_attainment(fresh, UNIT, "2025-01")
        assert frame.empty and "status" in frame.columns
    finally:
        fresh.dispose()


# ------------------------------------------------------------------ prepare_observations (vectorised rules)


def test_prepare_observations_fills_the_delivery_and_turns_blanks_to_null():
    raw = pd.DataFrame({"indicator_code": ["REV_YTD", "REV_YTD", "ANTT"], "unit_code": [None, "", "90001"],
                        "period": [NAN, "2025-08", None], "member_code": [None, "I.1", ""],
                        "value": ["1.5", NAN, None], "row_number": [10.0, NAN, 12.0], "raw_text": [None, "", "x"]})
    prepared = load.prepare_observations(raw, 7, UNIT, "2025-08")
    # column_letter is optional: absent from the frame, it is left out of the insert (NULL in the table)
    assert list(prepared.columns) == ["load_id", *(c for c in load.OBSERVATION_COLUMNS if c != "column_letter")]
    as_rows = [tuple(None if pd.isna(v) else v for v in r) for r in prepared.itertuples(index=False, name=None)]
    assert as_rows == [
        (7, "REV_YTD", UNIT, "2025-08", "", 1.5, None, None, None, None, None, 10, None, None),
        (7, "REV_YTD", UNIT, "2025-08", "I.1", None, None, None, None, None, None, None, None, ""),
        (7, "ANTT", "90001", "2025-08", "", None, None, None, None, None, None, 12, None, "x"),
    ]
    with_letters = load.prepare_observations(raw.assign(column_letter=["G", None, "C"]), 7, UNIT, "2025-08")
    assert list(with_letters.columns) == ["load_id", *load.OBSERVATION_COLUMNS]
    assert [None if pd.isna(v) else v for v in with_letters["column_letter"]] == ["G", None, "C"]


@pytest.mark.parametrize(("change", "message"), [
    ({"indicator_code": [None, "REV_YTD"]}, r"observation without indicator_code \(row_number 10\)"),
    ({"indicator_code": ["", "REV_YTD"]}, r"observation without indicator_code \(row_number 10\)"),
    ({"period": ["2025-08", "2025-13"]}, r"observation REV_PRIOR_YTD: period '2025-13' is not YYYY-MM"),
    ({"value": ["1.234,5", "2"]}, r"column value: .*1\.234,5.*expected numbers"),
])
def test_prepare_observations_names_the_first_bad_row(change, message):
    raw = pd.DataFrame({"indicator_code": ["REV_YTD", "REV_PRIOR_YTD"], "period": ["2025-08", "2025-08"],
                        "value": [1.0, 2.0], "row_number": [10, 11]}).assign(**change)
    with pytest.raises(LoadError, match=message):
        load.prepare_observations(raw, 1, UNIT, "2025-08")
    with pytest.raises(LoadError, match="lack column"):
        load.prepare_observations(raw.drop(columns=["indicator_code"]), 1, UNIT, "2025-08")
