"""Kept history (dated snapshots, "as of" reads, restatements), the analyst views on both engines, and
the read-only analyst role on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from warehouse import attainment, catalogue, db, load, views

UNIT = "10549"
UTC = dt.UTC


@pytest.fixture()
def plan_id(engine, catalogue_path):
    return catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))


def judgement(period, status, value, *, code="CT09", load_id=1, outlook="on_track"):
    return pd.DataFrame([{
        "target_code": code, "unit_code": UNIT, "period": period, "value": value, "numerator": None,
        "denominator": None, "bound_low": 100000.0, "bound_high": None, "comparison": "at_least", "status": status,
        "inputs": [{"source": "indicators", "load_id": load_id, "period": period}], "detail": "test",
        "outlook_value": value * 1.2, "outlook_status": outlook, "outlook_method": "seasonal",
        "outlook_detail": "", "gap_value": max(100000 - value, 0), "gap_text": "Cần thêm"}])


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_a_late_correction_keeps_the_month_as_reported(engine, plan_id):
    # October as reported on 3 Nov, then revised on 20 Nov by a corrected delivery
    assert attainment.save_evaluations(engine, plan_id, judgement("2025-10", "behind", 90000), "run-1",
                                       evaluated_at=at("2025-11-03")) == 1
    assert attainment.save_evaluations(engine, plan_id, judgement("2025-10", "on_track", 94000, load_id=2), "run-2",
                                       evaluated_at=at("2025-11-20")) == 1
    reported = attainment.read_attainment(engine, UNIT, "2025-10", as_of=dt.date(2025, 11, 3))
    revised = attainment.read_attainment(engine, UNIT, "2025-10")
    assert reported.iloc[0][["status", "value"]].tolist() == ["behind", 90000]
    assert revised.iloc[0][["status", "value", "outlook_status", "gap_value"]].tolist() == [
        "on_track", 94000, "on_track", 6000]
    assert revised.iloc[0]["evaluated_at"] == at("2025-11-20")
    # before the first judgement there is nothing
    assert attainment.read_attainment(engine, UNIT, "2025-10", as_of=dt.date(2025, 11, 2)).empty
    history = attainment.read_attainment_history(engine, UNIT, "2025-10")
    assert history["revision"].tolist() == [1, 2]
    assert history["is_latest"].tolist() == [False, True]
    assert history["is_restatement"].tolist() == [False, False]  # the year was still open
    assert history["inputs"].tolist()[1] == [{"source": "indicators", "load_id": 2, "period": "2025-10"}]


def test_a_change_after_december_is_a_restatement(engine, plan_id):
    attainment.save_evaluations(engine, plan_id, judgement("2025-10", "on_track", 94000), "r",
                                evaluated_at=at("2025-11-03"))
    attainment.save_evaluations(engine, plan_id, judgement("2025-12", "met", 112000), "r",
                                evaluated_at=at("2026-01-05"))
    # a correction to December after it was closed, and one to October
    attainment.save_evaluations(engine, plan_id, judgement("2025-12", "met", 112500, load_id=9), "r",
                                evaluated_at=at("2026-02-10"))
    attainment.save_evaluations(engine, plan_id, judgement("2025-10", "on_track", 94500, load_id=9), "r",
                                evaluated_at=at("2026-02-10"))
    december = attainment.read_attainment_history(engine, UNIT, "2025-12")
    assert december["is_restatement"].tolist() == [False, True]
    october = attainment.read_attainment_history(engine, UNIT, "2025-10")
    assert october["is_restatement"].tolist() == [False, True]
    assert bool(attainment.read_attainment(engine, UNIT, "2025-12").iloc[0]["is_restatement"]) is True
    # December as closed on 5 January stays readable
    closed = attainment.read_attainment(engine, UNIT, "2025-12", as_of=at("2026-01-31"))
    assert closed.iloc[0]["value"] == 112000 and not closed.iloc[0]["is_restatement"]


def test_saving_the_same_judgement_again_adds_nothing(engine, plan_id):
    frame = judgement("2025-10", "behind", 90000)
    assert attainment.save_evaluations(engine, plan_id, frame, "r", evaluated_at=at("2025-11-03")) == 1
    assert attainment.save_evaluations(engine, plan_id, frame, "r", evaluated_at=at("2025-11-04")) == 0
    # only the outlook changed: that is a new judgement too
    changed = frame.assign(outlook_status="behind")
    assert attainment.save_evaluations(engine, plan_id, changed, "r", evaluated_at=at("2025-11-05")) == 1


def _load(engine, period, fingerprint, value, *, quarantine=False):
    if quarantine:
        return load.record_rejected_delivery(
            engine, source_code="indicators", unit_code=UNIT, period=period, fingerprint=fingerprint,
            file_name=f"bad-{period}.xlsx", flow_run_id="r", rows_read=3,
            validation={"success": False, "suite": "indicators", "evaluated_count": 4, "failed_count": 1},
            message="LUOT_KHACH: negative visits")
    observations = pd.DataFrame([{
        "indicator_code": "LUOT_KHACH", "unit_code": UNIT, "period": period, "member_code": "", "value": value,
        "numerator": None, "denominator": None, "text_value": None, "source_file": f"chi-tieu-{period}.xlsx",
        "sheet": "Chỉ tiêu", "row_number": 21, "column_name": "Thực hiện / Tháng 10", "raw_text": str(value)}])
    return load.load_delivery(engine, source_code="indicators", unit_code=UNIT, period=period,
                              fingerprint=fingerprint, file_name=f"chi-tieu-{period}.xlsx", flow_run_id="r",
                              rows_read=1, observations=observations,
                              validation={"success": True, "suite": "indicators", "evaluated_count": 4,
                                          "failed_count": 0})


def test_views_read_the_same_on_both_engines(engine, plan_id):
    first = _load(engine, "2025-10", "a" * 64, 12000)
    second = _load(engine, "2025-10", "b" * 64, 12500)  # a corrected delivery replaces the first
    rejected = _load(engine, "2025-10", "c" * 64, None, quarantine=True)
    attainment.save_evaluations(engine, plan_id, judgement("2025-10", "behind", 90000), "r",
                                evaluated_at=at("2025-11-03"))
    attainment.save_evaluations(engine, plan_id, judgement("2025-10", "on_track", 94000, load_id=2), "r",
                                evaluated_at=at("2025-11-20"))

    latest = views.read_view(engine, "v_attainment_latest", period="2025-10")
    assert latest[["target_code", "status", "revision"]].values.tolist() == [["CT09", "on_track", 2]]
    assert latest.iloc[0]["name_vi"] == "Thu hút khách du lịch đạt 100.000 lượt khách"
    history = views.read_view(engine, "v_attainment_history", target_code="CT09")
    assert sorted(history["revision"].tolist()) == [1, 2]
    assert sorted(bool(x) for x in history["is_latest"]) == [False, True]

    lineage = views.read_view(engine, "v_observations_lineage", indicator_code="LUOT_KHACH")
    by_load = {int(r["load_id"]): r for r in lineage.to_dict("records")}
    assert set(by_load) == {first.load_id, second.load_id}
    assert by_load[second.load_id]["load_status"] == "loaded" and bool(by_load[second.load_id]["is_active"])
    assert by_load[first.load_id]["load_status"] == "superseded" and not bool(by_load[first.load_id]["is_active"])
    assert by_load[second.load_id]["value"] == 12500 and by_load[second.load_id]["row_number"] == 21

    loads = views.read_view(engine, "v_loads", period="2025-10").set_index("load_id")
    assert loads.loc[rejected, "status"] == "quarantined"
    assert not bool(loads.loc[rejected, "is_validation_success"])
    assert bool(loads.loc[second.load_id, "is_validation_success"])

    checks = views.read_view(engine, "v_validation_results", load_id=rejected)
    assert checks[["source_code", "load_status", "failed_count"]].values.tolist() == [
        ["indicators", "quarantined", 1]]

    status = views.read_source_status(engine, UNIT, "2025-10", ["tax", "indicators"]).set_index("source_code")
    assert status.loc["tax", "status"] == "missing"
    # the latest attempt was quarantined; the corrected delivery stays in force
    assert status.loc["indicators", "status"] == "quarantined"
    assert int(status.loc["indicators", "latest_load_id"]) == rejected
    assert int(status.loc["indicators", "active_load_id"]) == second.load_id


def test_read_view_refuses_unknown_names(engine):
    with pytest.raises(ValueError, match="unknown view"):
        views.read_view(engine, "loads")
    with pytest.raises(ValueError, match="bad column"):
        views.read_view(engine, "v_loads", **{"period; DROP": "x"})


# ------------------------------------------------------------------ PostgreSQL analyst role


@pytest.mark.postgres
def test_analyst_role_reads_views_and_nothing_else(pg_url, catalogue_path):
    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    try:
        plan = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        attainment.save_evaluations(engine, plan, judgement("2025-10", "behind", 90000), "r",
                                    evaluated_at=at("2025-11-03"))
        # the documented command is idempotent: twice changes nothing
        assert views.ensure_analyst_role(engine) == list(views.VIEW_NAMES)
        assert views.ensure_analyst_role(engine) == list(views.VIEW_NAMES)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'thidua_analyst'")
                                ).scalar_one() is False
        for view in views.VIEW_NAMES:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET ROLE thidua_analyst")
                conn.execute(sa.text(f"SELECT * FROM {view}")).fetchall()
        with engine.connect() as conn:
            conn.exec_driver_sql("SET ROLE thidua_analyst")
            assert conn.execute(sa.text("SELECT status FROM v_attainment_latest")).scalar_one() == "behind"
        forbidden = ["SELECT * FROM attainment_evaluations", "SELECT * FROM observations", "SELECT * FROM loads",
                     "INSERT INTO units (unit_code, name_vi, level) VALUES ('1', 'x', 'ward')",
                     "UPDATE attainment_evaluations SET status = 'met'",
                     "DELETE FROM v_source_status",
                     "CREATE TABLE analyst_scratch (x int)"]
        for sql in forbidden:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET ROLE thidua_analyst")
                with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                    conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_analyst_role_is_postgresql_only(sqlite_url):
    db.upgrade(sqlite_url)
    engine = db.make_engine(sqlite_url)
    try:
        with pytest.raises(ValueError, match="PostgreSQL only"):
            views.ensure_analyst_role(engine)
    finally:
        engine.dispose()
