"""Alert state in the warehouse (SQLite and PostgreSQL): a problem is owed once per channel, its fix once;
a problem that returns after its fix is owed again; lateness follows the catalogue's expected day."""

from __future__ import annotations

import datetime as dt

from warehouse import alerts, catalogue, db


def test_problem_owed_once_then_fix_owed_once(warehouse_url):
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        key = dict(kind="validation_failed", source_code="tax", unit_code="10549", period="2025-10",
                   message="m", detail_key="abc")
        first = alerts.record_problem(engine, **key)
        assert first.owed(["webhook", "email"]) == ["webhook", "email"]
        alerts.mark_notified(engine, first.alert_id, "webhook")
        again = alerts.record_problem(engine, **key)
        assert again.alert_id == first.alert_id and again.owed(["webhook", "email"]) == ["email"]
        alerts.mark_notified(engine, first.alert_id, "email")
        assert alerts.record_problem(engine, **key).owed(["webhook", "email"]) == []
        # A problem nobody was told about needs no "fixed" notice.
        alerts.record_problem(engine, **{**key, "detail_key": "never-sent"})

        [resolved] = alerts.resolve_problems(engine, source_code="tax", unit_code="10549", period="2025-10",
                                             load_id=7)
        assert resolved.alert_id == first.alert_id and resolved.status == "resolved"
        assert resolved.resolution_owed(["webhook", "email"]) == ["webhook", "email"]
        alerts.mark_resolution_notified(engine, first.alert_id, "webhook")
        alerts.mark_resolution_notified(engine, first.alert_id, "email")
        assert [s.resolution_owed(["webhook", "email"]) for s in alerts.resolve_problems(
            engine, source_code="tax", unit_code="10549", period="2025-10", load_id=7)] == [[]]

        back = alerts.record_problem(engine, **key)  # the same bad file after the fix: a new occurrence
        assert back.status == "open" and back.owed(["webhook"]) == ["webhook"]
        assert len(alerts.read_alerts(engine, "10549")) == 2
    finally:
        engine.dispose()


def test_late_sources_follow_the_expected_day(warehouse_url, catalogue_path):
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        # public_service is due on the 3rd, tax/health/education on the 5th, indicators on the 7th.
        assert alerts.late_sources(engine, "10549", "2025-10", dt.date(2025, 11, 3)) == []
        on_4th = alerts.late_sources(engine, "10549", "2025-10", dt.date(2025, 11, 4))
        assert [s["source_code"] for s in on_4th] == ["public_service"]
        assert on_4th[0]["due_date"] == dt.date(2025, 11, 3)
        on_6th = {s["source_code"] for s in alerts.late_sources(engine, "10549", "2025-10", dt.date(2025, 11, 6))}
        assert on_6th == {"public_service", "tax", "health", "education"}
        december = alerts.late_sources(engine, "10549", "2025-12", dt.date(2026, 1, 8))
        assert {s["due_date"] for s in december} == {dt.date(2026, 1, d) for d in (3, 5, 7)}
        assert alerts.names(engine, "10549", "tax")[0] == "Phường Chu Văn An"
    finally:
        engine.dispose()
