"""The walking skeleton end to end: the monthly-close flow under Prefect's test harness, over the
generated sample exports and the stand-in API on loopback, into SQLite and PostgreSQL.

Expected values come from `tests/expected.py`, which recomputes every target straight from the
generator's parameters (samples/params.yaml) and the raw dossier file, never through the code under test.
"""

from __future__ import annotations

import math
import shutil

import pytest
import sqlalchemy as sa

from tests.expected import expected_attainment
from tests.helpers import Env

# The analyst views over this same closed year, run as the read-only role (warehouse/README.md "Useful queries"):
# collected here so that they share this file's closed_year (make test runs a file per xdist worker).
from tests.integration.warehouse.analyst_queries import (  # noqa: F401
    analyst,
    test_dossier_counts_equal_the_figures_judged,
    test_every_figure_behind_a_judgement_is_found,
    test_every_useful_query_runs_as_the_analyst_and_finds_rows,
)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

PERIODS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
CHECKED_MONTHS = ["2025-03", "2025-06", "2025-10", "2025-12"]
TABLES = ["units", "sources", "plans", "targets", "loads", "observations", "validation_results",
          "attainment_evaluations", "alerts"]


def table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def closed_year(request, prefect_harness, samples_dir, standin_api, tmp_path_factory):
    """Every month 2024-01..2025-12 closed once into a fresh warehouse; yields (env, results)."""
    if request.param == "sqlite":
        work = tmp_path_factory.mktemp("close-sqlite")
        url = f"sqlite:///{work / 'warehouse.sqlite'}"
    else:
        work = tmp_path_factory.mktemp("close-pg")
        url = request.getfixturevalue("pg_session_url")
    inbox = work / "inbox"
    shutil.copytree(samples_dir / "inbox", inbox)
    base_url, token = standin_api
    env = dict(THIDUA_DATA_DIR=work, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=inbox,
               THIDUA_PUBLIC_SERVICE_URL=base_url, THIDUA_PUBLIC_SERVICE_TOKEN=token, THIDUA_UNIT="10549")
    from flows.monthly_close import close_month

    results = {}
    with Env(**env):
        for period in PERIODS:
            results[period] = close_month(period=period, unit_code="10549")
    return env, results


def test_every_source_loads_every_month(closed_year):
    _env, results = closed_year
    for period, result in results.items():
        statuses = {code: o.status for code, o in result["sources"].items()}
        assert statuses == {c: "loaded" for c in statuses}, (period, {c: o.message for c, o in
                                                                      result["sources"].items()})
        assert result["attainment"] is None if period < "2025" else len(result["attainment"]) == 20


@pytest.mark.parametrize("period", CHECKED_MONTHS)
def test_attainment_matches_what_the_generator_intended(closed_year, samples_dir, period):
    _env, results = closed_year
    got = results[period]["attainment"].set_index("target_code")
    expected = expected_attainment(samples_dir, period)
    assert set(got.index) == set(expected)
    for code, exp in expected.items():
        row = got.loc[code]
        assert row["status"] == exp["status"], (code, row["value"], exp)
        if exp["value"] is None:
            assert row["value"] is None or math.isnan(row["value"]), code
        else:
            assert row["value"] == pytest.approx(exp["value"], abs=0.01), code
        for part in ("numerator", "denominator"):
            if exp.get(part) is not None:
                assert row[part] == pytest.approx(exp[part], rel=1e-9, abs=1e-6), (code, part)


def test_december_covers_all_20_targets_with_data(closed_year):
    _env, results = closed_year
    december = results["2025-12"]["attainment"]
    assert len(december) == 20
    assert "no_data" not in set(december["status"])
    # Every judgement names the loads it used.
    assert all(len(inputs) >= 1 for inputs in december["inputs"])


def test_closing_again_adds_nothing(closed_year):
    env, results = closed_year
    from flows.monthly_close import close_month

    # The inbox files moved to processed/ when they were loaded: the rerun finds the inbox empty and must
    # report the loads in force ("unchanged"), not "missing", and write nothing (no load, no alert).
    before = table_counts(env["THIDUA_WAREHOUSE_URL"])
    with Env(**env):
        again = {p: close_month(period=p, unit_code="10549") for p in ("2024-12", "2025-06", "2025-12")}
    assert table_counts(env["THIDUA_WAREHOUSE_URL"]) == before
    for period, result in again.items():
        assert {o.status for o in result["sources"].values()} == {"unchanged"}, period
    december = again["2025-12"]["attainment"].set_index("target_code")
    first = results["2025-12"]["attainment"].set_index("target_code")
    assert december["status"].to_dict() == first["status"].to_dict()


def test_cli_attainment_json_contract(closed_year):
    import json

    from typer.testing import CliRunner

    from flows.cli import app

    env, _results = closed_year
    with Env(**env):
        result = CliRunner().invoke(app, ["attainment", "--period", "2025-12", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 20
    for key in ("target_code", "unit_code", "period", "value", "numerator", "denominator", "bound_low",
                "bound_high", "comparison", "status", "inputs"):
        assert key in records[0]
    assert {r["period"] for r in records} == {"2025-12"}


# ------------------------------------------------- a month that would lose its dossiers is held (issue 16)
def _month_in_force(url: str, period: str) -> tuple[int, float | None, list[str]]:
    """(dossiers stored with the public_service load in force, its DOSSIER_ONLINE denominator, the statuses of
    the source's alerts), by SQL."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            dossiers = conn.execute(sa.text(
                "SELECT count(*) FROM dossiers d JOIN loads l ON l.load_id = d.load_id WHERE l.status = 'loaded' "
                "AND l.source_code = 'public_service' AND l.unit_code = '10549' AND l.period = :p"),
                {"p": period}).scalar_one()
            received = conn.execute(sa.text(
                "SELECT o.denominator FROM observations o JOIN loads l ON l.load_id = o.load_id "
                "WHERE l.status = 'loaded' AND l.source_code = 'public_service' AND l.unit_code = '10549' "
                "AND o.period = :p AND o.indicator_code = 'DOSSIER_ONLINE'"), {"p": period}).scalar_one_or_none()
            alerts = conn.execute(sa.text(
                "SELECT status FROM alerts WHERE source_code = 'public_service' AND period = :p"),
                {"p": period}).scalars().all()
    finally:
        engine.dispose()
    return dossiers, received, alerts


def test_an_export_that_empties_or_halves_a_month_is_held_until_confirmed(prefect_harness, samples_dir,
                                                                         warehouse_url, tmp_path):
    """The month's good JSON export, then an empty one and one with 40 % of its dossiers: both held (quarantined,
    one alert each, the 2025-06 dossiers stay in force); `thidua ingest --confirm-drop` then loads the empty
    one and the month is empty. Expected counts are read from the export with json."""
    import json

    from typer.testing import CliRunner

    from flows import tasks
    from flows.cli import app
    from flows.monthly_close import ingest_delivery
    from flows.settings import Settings

    period = "2025-06"
    good = samples_dir / "public_service" / "exports" / f"ho-so-{period}.json"
    envelope = json.loads(good.read_text(encoding="utf-8"))
    n = len(envelope["du_lieu"])
    received = sum(r["NgayTiepNhan"][3:10] == "06/2025" for r in envelope["du_lieu"])
    env = {"THIDUA_DATA_DIR": str(tmp_path), "THIDUA_WAREHOUSE_URL": warehouse_url,
           "THIDUA_INBOX": str(tmp_path / "inbox"), "THIDUA_UNIT": "10549"}
    settings = Settings.from_env(env)
    tasks.prepare_warehouse(settings.warehouse_url, settings.catalogue_path)
    assert ingest_delivery(settings, "public_service", "10549", period, good).status == "loaded"
    assert _month_in_force(warehouse_url, period) == (n, float(received), [])

    (tmp_path / "empty").mkdir()
    empty = tmp_path / "empty" / good.name
    empty.write_text(json.dumps({"tong_so": 0, "du_lieu": []}), encoding="utf-8")
    held = ingest_delivery(settings, "public_service", "10549", period, empty)
    assert held.status == "quarantined", held.message
    assert f"holds 0 dossiers of 06/2025 where load 1 in force holds {n} (down to none)" in held.message
    assert "--confirm-drop" in held.message and "\n" not in held.message
    assert (tmp_path / "quarantine" / "10549" / "public_service" / period / good.name).exists()
    assert _month_in_force(warehouse_url, period) == (n, float(received), ["open"])
    # the same file again: held again, not alerted again
    assert ingest_delivery(settings, "public_service", "10549", period, empty).status == "quarantined"
    assert _month_in_force(warehouse_url, period)[2] == ["open"]

    (tmp_path / "part").mkdir()
    part = tmp_path / "part" / good.name
    kept = envelope["du_lieu"][: int(n * 0.4)]
    part.write_text(json.dumps({"tong_so": len(kept), "du_lieu": kept}, ensure_ascii=False), encoding="utf-8")
    partial = ingest_delivery(settings, "public_service", "10549", period, part)
    assert partial.status == "quarantined", partial.message
    assert f"holds {len(kept)} dossiers of 06/2025 where load 1 in force holds {n} (down 60%" in partial.message
    assert _month_in_force(warehouse_url, period) == (n, float(received), ["open", "open"])

    with Env(**env):
        refused = CliRunner().invoke(app, ["ingest", "--source", "public_service", "--period", period,
                                           "--file", str(empty)])
        confirmed = CliRunner().invoke(app, ["ingest", "--source", "public_service", "--period", period,
                                             "--file", str(empty), "--confirm-drop"])
    assert refused.exit_code == 2 and "held as suspicious" in refused.output
    assert confirmed.exit_code == 0, confirmed.output
    assert "public_service 2025-06: replaced" in confirmed.stdout
    assert _month_in_force(warehouse_url, period) == (0, 0.0, ["resolved", "resolved"])
