"""Scheduling semantics under Prefect's test harness: a late source picked up by the catch-up flow, and a
backfill that gives the same December as month-by-month closes."""

from __future__ import annotations

import shutil

import pytest

from tests.expected import expected_attainment
from tests.helpers import Env

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

UNIT = "10549"


@pytest.fixture()
def env(tmp_path, standin_api, prefect_harness):
    base_url, token = standin_api
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
             THIDUA_INBOX=tmp_path / "inbox", THIDUA_PUBLIC_SERVICE_URL=base_url,
             THIDUA_PUBLIC_SERVICE_TOKEN=token, THIDUA_UNIT=UNIT) as e:
        yield e


def copy_month(samples_dir, inbox, period, sources):
    for source in sources:
        src = samples_dir / "inbox" / UNIT / source / period
        shutil.copytree(src, inbox / UNIT / source / period, dirs_exist_ok=True)


def test_late_tax_export_is_picked_up_by_the_catch_up_run(env, samples_dir, tmp_path):
    from flows.backfill import catch_up
    from flows.monthly_close import close_month

    inbox = tmp_path / "inbox"
    copy_month(samples_dir, inbox, "2025-10", ["health", "education", "indicators"])
    first = close_month(period="2025-10", unit_code=UNIT)
    assert first["sources"]["tax"].status == "missing"
    judged = first["attainment"].set_index("target_code")["status"]
    assert judged["CT01a"] == "no_data" and judged["CT01b"] == "no_data"

    # Nothing new has arrived: the catch-up run still sees tax missing and closes again (a no-op load).
    pending = catch_up(period="2025-10", unit_code=UNIT)
    assert pending["pending"] == {"tax": "missing"}

    # The export arrives; the next catch-up run loads it and CT01 gets its status.
    copy_month(samples_dir, inbox, "2025-10", ["tax"])
    caught = catch_up(period="2025-10", unit_code=UNIT)
    assert caught["pending"] == {"tax": "new delivery"}
    assert caught["closed"]["sources"]["tax"] == "loaded"
    expected = expected_attainment(samples_dir, "2025-10")

    from flows.settings import get_settings
    from warehouse import alerts, attainment, db

    engine = db.make_engine(get_settings().warehouse_url)
    now = attainment.read_attainment(engine, UNIT, "2025-10").set_index("target_code")
    late = [a for a in alerts.read_alerts(engine, UNIT) if a.kind == "source_late"]
    engine.dispose()
    # The tax office was late (due on the 5th of November): one alert over three runs, resolved by the load.
    assert [(a.source_code, a.period, a.status) for a in late] == [("tax", "2025-10", "resolved")]
    for code in ("CT01a", "CT01b"):
        assert now.loc[code, "status"] == expected[code]["status"]
        assert now.loc[code, "value"] == pytest.approx(expected[code]["value"], abs=0.01)


def test_backfill_gives_the_same_december_as_monthly_closes(env, samples_dir, tmp_path):
    """test_monthly_close checks month-by-month closes against tests/expected.py; the backfill must match
    the same independent expectation (so both routes agree)."""
    from flows.backfill import backfill

    shutil.copytree(samples_dir / "inbox", tmp_path / "inbox", dirs_exist_ok=True)
    summary = backfill(start="2024-01", end="2025-12", unit_code=UNIT)
    assert [s["period"] for s in summary][:2] == ["2024-01", "2024-02"] and len(summary) == 24
    assert all(set(s["sources"].values()) == {"loaded"} for s in summary)

    from flows.settings import get_settings
    from warehouse import attainment, db

    engine = db.make_engine(get_settings().warehouse_url)
    got = attainment.read_attainment(engine, UNIT, "2025-12").set_index("target_code")
    engine.dispose()
    expected = expected_attainment(samples_dir, "2025-12")
    assert sorted(got.index) == sorted(expected)
    for code, exp in expected.items():
        assert got.loc[code, "status"] == exp["status"], code
        assert got.loc[code, "value"] == pytest.approx(exp["value"], abs=0.01), code
