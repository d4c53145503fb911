"""The analyst views of migration 0006 on small warehouses, on both engines: a target still to review in
v_target_indicators, and every status of v_source_completeness. The closed-year checks of the README's
useful queries are in analyst_queries.py (collected by tests/integration/test_monthly_close.py)."""

from __future__ import annotations

import json
import re

import pandas as pd
import sqlalchemy as sa

from tests.integration.warehouse.analyst_queries import useful_queries
from warehouse import catalogue, load, views

UNIT = "10549"


def test_every_useful_query_reads_views_only():
    """What the read-only role enforces on PostgreSQL, checked in the text too (SQLite has no roles)."""
    queries = useful_queries()
    assert len(queries) >= 8
    for comment, sql in queries:
        code = re.sub(r"--[^\n]*", "", sql)
        read = re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", code, flags=re.I)
        assert read, comment
        assert set(read) <= set(views.VIEW_NAMES), (comment, read)


def test_target_indicators_shows_a_target_to_review(engine, catalogue_path):
    """A target imported with `status: needs_review` has one row with its reason and no indicator."""
    plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO targets (plan_id, target_code, plan_item, name_vi, source_code, comparison, "
            "is_accumulating, measure_json) VALUES (:p, 'CT14', 14, 'Xây dựng nông thôn mới kiểu mẫu', '', '', "
            ":f, :m)"), {"p": plan_id, "f": False,
                         "m": '{"kind": "needs_review", "max_age_months": 0, "reason": "no source measures it"}'})
    review = views.read_view(engine, "v_target_indicators", target_code="CT14")
    assert review[["role", "indicator_code", "review_reason"]].values.tolist() == [
        ["needs_review", None, "no source measures it"]]
    # the catalogue's 20 targets read 28 indicator references (CT01a/CT02*/CT03: 2 each, CT01b: 3)
    assert len(views.read_view(engine, "v_target_indicators")) == 28 + 1
    # a target to review is not a source expected every month
    sources = set(views.read_view(engine, "v_source_completeness")["source_code"])
    assert sources == {"tax", "public_service", "health", "education", "indicators"}


def _deliver(engine, source: str, period: str, fingerprint: str, *, rejected: dict | None = None):
    if rejected is not None:
        return load.record_rejected_delivery(
            engine, source_code=source, unit_code=UNIT, period=period, fingerprint=fingerprint * 64,
            file_name=f"{source}-{period}.xlsx", flow_run_id="r", rows_read=1, validation=rejected, message="refused")
    obs = [{"indicator_code": "X", "unit_code": UNIT, "period": period, "member_code": "", "value": 1.0}]
    return load.load_delivery(engine, source_code=source, unit_code=UNIT, period=period,
                              fingerprint=fingerprint * 64, file_name=f"{source}-{period}.xlsx", flow_run_id="r",
                              rows_read=1, observations=pd.DataFrame(obs)).load_id


def test_source_completeness_says_delivered_quarantined_held_missing_not_due(engine, catalogue_path):
    plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
    _deliver(engine, "indicators", "2025-10", "a")
    _deliver(engine, "health", "2025-10", "b", rejected={"success": False, "failed": [{"rule_id": "health.x"}]})
    in_force = _deliver(engine, "public_service", "2025-10", "c")
    held = _deliver(engine, "public_service", "2025-10", "d", rejected={
        "success": False, "failed": [{"rule_id": "public_service.no_sudden_drop", "expectation": "held"}]})
    with engine.begin() as conn:  # a plan of a year to come: its months are not due yet
        conn.execute(sa.text("INSERT INTO plans (plan_code, unit_code, year, title_vi, catalogue_sha256, settings) "
                             "VALUES ('KH-TD-2099-10549', :u, 2099, 'x', '', '{}')"), {"u": UNIT})
        future = conn.execute(sa.text("SELECT plan_id FROM plans WHERE year = 2099")).scalar_one()
        conn.execute(sa.text("INSERT INTO targets (plan_id, target_code, name_vi, source_code, comparison, "
                             "is_accumulating, measure_json) SELECT :f, target_code, name_vi, source_code, "
                             "comparison, is_accumulating, measure_json FROM targets WHERE plan_id = :p "
                             "AND target_code = 'CT01a'"), {"f": future, "p": plan_id})
    frame = views.read_view(engine, "v_source_completeness", unit_code=UNIT)
    october = frame[frame["period"] == "2025-10"].set_index("source_code")
    assert october["status"].to_dict() == {"indicators": "delivered", "health": "quarantined",
                                           "public_service": "held", "tax": "missing", "education": "missing"}
    assert int(october.loc["public_service", "latest_load_id"]) == held
    assert int(october.loc["public_service", "active_load_id"]) == in_force
    assert bool(october.loc["public_service", "has_data_in_force"]) and not bool(october.loc["health",
                                                                                          "has_data_in_force"])
    assert october["attempts"].to_dict()["public_service"] == 2
    assert october["quarantined_attempts"].to_dict()["public_service"] == 1
    # due on the source's expected day of the following month (catalogue: indicators 7, tax 5)
    assert str(october.loc["indicators", "due_on"])[:10] == "2025-11-07"
    assert str(october.loc["tax", "due_on"])[:10] == "2025-11-05"
    # 5 sources x 12 months of 2025, and the 2099 plan's one source x 12 months, nothing else
    assert len(frame[frame["period"].str.startswith("2025")]) == 60
    assert set(frame.loc[frame["period"].str.startswith("2099"), "status"]) == {"not_due"}
    assert len(frame[frame["period"].str.startswith("2099")]) == 12
    assert json.loads(views.read_view(engine, "v_validation_results", load_id=held).iloc[0]["result_json"])[
        "failed"][0]["rule_id"] == "public_service.no_sudden_drop"
