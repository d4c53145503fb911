"""The batched city close against the per-ward monthly close, under Prefect's test harness.

The city is B's synthetic city (`samples.city.generate_city`): three wards (10549 and the synthetic 90001,
90002), each with its own workbooks, its own plan, and its dossiers in the SQLite store the stand-in API
serves. The expected warehouse is what `monthly-close` writes for each ward separately (the reference,
computed once into SQLite); the city close must write the same observations (every column, lineage
included), the same loads and the same judgements, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.helpers import Env
from tests.integration.test_monthly_close import table_counts

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

PERIODS = ["2025-01", "2025-02"]
WARDS = ["10549", "90001", "90002"]
SOURCES = ["tax", "public_service", "health", "education", "indicators"]
OBSERVATION_COLUMNS = ["source_code", "load_period", "indicator_code", "unit_code", "period", "member_code",
                       "value", "numerator", "denominator", "text_value", "source_file", "sheet", "row_number",
                       "column_name", "raw_text"]
ATTAINMENT_COLUMNS = ["unit_code", "period", "target_code", "status", "value", "numerator", "denominator",
                      "outlook_status", "outlook_value"]


def make_city(out, n_units=len(WARDS), periods=PERIODS):
    """B's synthetic city: inbox/, catalogue/ (one plan per ward), public_service/dossiers.sqlite."""
    from samples.city import generate_city

    generate_city(out, n_units=n_units, periods=periods)
    return out


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def standin_api(city):
    """The stand-in API serving every ward's dossiers from the city's SQLite store."""
    from standin.public_service import serve

    token = uuid.uuid4().hex
    server, _thread = serve(city / "public_service" / "dossiers.sqlite", host="127.0.0.1", port=0, token=token)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}", token
    server.shutdown()
    server.server_close()


def city_env(city, work, url, standin_api):
    base_url, token = standin_api
    inbox = work / "inbox"
    shutil.copytree(city / "inbox", inbox)
    return dict(THIDUA_DATA_DIR=work, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=inbox,
                THIDUA_CATALOGUE=city / "catalogue", THIDUA_PUBLIC_SERVICE_URL=base_url,
                THIDUA_PUBLIC_SERVICE_TOKEN=token, THIDUA_UNIT="10549")


def observations(url: str) -> pd.DataFrame:
    """Every active observation with its delivery's source and period, sorted, without ids or times."""
    engine = sa.create_engine(url)
    try:
        frame = pd.read_sql(sa.text(
            "SELECT l.source_code, l.period AS load_period, o.indicator_code, o.unit_code, o.period, "
            "o.member_code, o.value, o.numerator, o.denominator, o.text_value, o.source_file, o.sheet, "
            "o.row_number, o.column_name, o.raw_text FROM observations o JOIN loads l ON l.load_id = o.load_id "
            "WHERE l.status = 'loaded'"), engine)
    finally:
        engine.dispose()
    for col in ("value", "numerator", "denominator"):
        frame[col] = frame[col].astype(float)
    frame["row_number"] = frame["row_number"].astype("Int64")
    return frame[OBSERVATION_COLUMNS].sort_values(OBSERVATION_COLUMNS[:6]).reset_index(drop=True)


def attainment(url: str) -> pd.DataFrame:
    """The latest judgement of every (ward, month, target)."""
    from warehouse import attainment as wh_attainment
    from warehouse import db as wh_db

    engine = wh_db.make_engine(url)
    try:
        frames = [wh_attainment.read_attainment(engine, ward, period) for ward in WARDS for period in PERIODS]
    finally:
        engine.dispose()
    frame = pd.concat(frames, ignore_index=True)[ATTAINMENT_COLUMNS]
    for col in ("value", "numerator", "denominator", "outlook_value"):
        frame[col] = frame[col].astype(float)
    return frame.sort_values(["unit_code", "period", "target_code"]).reset_index(drop=True)


def load_statuses(url: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        return pd.read_sql(sa.text("SELECT unit_code, source_code, period, status, rows_read, rows_loaded "
                                   "FROM loads ORDER BY unit_code, source_code, period, status"), engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reference(prefect_harness, city, standin_api, tmp_path_factory):
    """monthly-close, ward by ward and month by month, into SQLite: what the city close must equal."""
    from flows.monthly_close import close_month

    work = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{work / 'warehouse.sqlite'}"
    env = city_env(city, work, url, standin_api)
    for period in PERIODS:
        for ward in WARDS:
            with Env(**{**env, "THIDUA_CATALOGUE": city / "catalogue" / f"ke-hoach-2025-{ward}.yaml"}):
                result = close_month(period=period, unit_code=ward)
            assert {o.status for o in result["sources"].values()} == {"loaded"}, (ward, period)
    return url


def test_city_close_writes_what_monthly_close_writes(prefect_harness, city, reference, standin_api,
                                                     warehouse_url, tmp_path):
    from flows.close_city import backfill_city, close_city_month

    env = city_env(city, tmp_path, warehouse_url, standin_api)
    with Env(**env):
        summary = backfill_city(start=PERIODS[0], end=PERIODS[-1])
    assert [s["period"] for s in summary] == PERIODS
    for month in summary:
        assert month["sources"] == {w: {s: "loaded" for s in SOURCES} for w in WARDS}, month
    # each month says when it finished and the peak memory so far (a high-water mark: it never falls)
    assert [s["finished_at"] for s in summary] == sorted(s["finished_at"] for s in summary)
    peaks = [s["peak_memory_mib"] for s in summary]
    assert peaks == sorted(peaks) and peaks[0] > 0
    pd.testing.assert_frame_equal(observations(warehouse_url), observations(reference), check_dtype=False)
    pd.testing.assert_frame_equal(attainment(warehouse_url), attainment(reference), check_dtype=False)
    pd.testing.assert_frame_equal(load_statuses(warehouse_url), load_statuses(reference), check_dtype=False)
    # Every loaded delivery moved out of the inbox, and has its validation report.
    assert not [p for p in (tmp_path / "inbox").rglob("*") if p.is_file()]
    assert len(list((tmp_path / "reports" / "validation").rglob("*.html"))) == len(WARDS) * len(SOURCES) * 2

    # Closing again changes nothing: every source is unchanged and no row is added.
    before = table_counts(warehouse_url)
    with Env(**env):
        again = close_city_month(period=PERIODS[-1])
    assert table_counts(warehouse_url) == before
    assert {o.status for by_source in again["sources"].values() for o in by_source.values()} == {"unchanged"}
    assert set(again["attainment"]) == set(WARDS)


def break_tax_workbook(path):
    """Make the month's figure of revenue line 1 far larger than its year to date (two error rules)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row in ws.iter_rows():
        if row[0].value == "1":
            row[5].value = 999999
            break
    else:
        raise AssertionError("no line 1 in the tax workbook")
    wb.save(path)


def test_a_bad_ward_file_is_quarantined_alone(prefect_harness, city, standin_api, sqlite_url, tmp_path):
    from flows.close_city import close_city_month

    env = city_env(city, tmp_path, sqlite_url, standin_api)
    bad = next((tmp_path / "inbox" / "90001" / "tax" / PERIODS[0]).iterdir())
    break_tax_workbook(bad)
    with Env(**env):
        result = close_city_month(period=PERIODS[0])
    statuses = {w: {s: o.status for s, o in by_source.items()} for w, by_source in result["sources"].items()}
    assert statuses["90001"] == {**{s: "loaded" for s in SOURCES}, "tax": "quarantined"}
    assert statuses["10549"] == statuses["90002"] == {s: "loaded" for s in SOURCES}
    outcome = result["sources"]["90001"]["tax"]
    assert "tax.parent_equals_children" in outcome.message
    assert (tmp_path / "quarantine" / "90001" / "tax" / PERIODS[0] / bad.name).is_file()
    assert not bad.exists()
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        quarantined = conn.execute(sa.text(
            "SELECT l.unit_code, v.is_success, v.result_json FROM loads l JOIN validation_results v "
            "ON v.load_id = l.load_id WHERE l.status = 'quarantined'")).all()
        alerts = conn.execute(sa.text("SELECT unit_code, source_code, kind FROM alerts")).all()
        tax_rows = conn.execute(sa.text(
            "SELECT COUNT(*) FROM observations o JOIN loads l ON l.load_id = o.load_id "
            "WHERE l.source_code = 'tax' AND l.unit_code = '90001'")).scalar_one()
    engine.dispose()
    assert [(u, bool(s)) for u, s, _ in quarantined] == [("90001", False)]
    assert "tax.parent_equals_children" in quarantined[0][2]
    # The bad file is alerted once; its month has no good tax figure, so the source is late too (as the
    # monthly close says). Nobody else is alerted.
    assert sorted(tuple(a) for a in alerts) == [("90001", "tax", "source_late"), ("90001", "tax", "validation_failed")]
    assert tax_rows == 0
    # Revenue growth is judged from the tax workbook: the wards whose file loaded have it, 90001 has none.
    assert result["attainment"]["10549"]["CT01a"] != "no_data"
    assert result["attainment"]["90002"]["CT01a"] != "no_data"
    assert result["attainment"]["90001"]["CT01a"] == "no_data"


@pytest.fixture()
def task_runs(monkeypatch):
    """The names of the Prefect task runs started from now on.

    Prefect 3 records task runs on the server through its event pipeline, which `make test` turns off
    (PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED=false); so every task run is seen where Prefect
    starts it and passed on unchanged: `prefect.task_engine.run_task_sync` / `run_task_async`, which a
    direct call (through `run_task`) and a `.submit()` (the thread-pool runner) both go through.
    """
    import prefect.task_engine as task_engine

    started: list[str] = []

    def watching(run):
        def watched(*args, **kwargs):
            started.append((kwargs.get("task") or args[0]).name)
            return run(*args, **kwargs)
        return watched

    for name in ("run_task_sync", "run_task_async"):
        monkeypatch.setattr(task_engine, name, watching(getattr(task_engine, name)))
    return started


def test_task_runs_do_not_grow_with_the_number_of_wards(prefect_harness, task_runs, tmp_path):
    from flows.close_city import close_city_month
    from standin.public_service import serve

    city = make_city(tmp_path / "city", n_units=4, periods=[PERIODS[0]])
    server, _thread = serve(city / "public_service" / "dossiers.sqlite", host="127.0.0.1", port=0, token="t")
    api = (f"http://{server.server_address[0]}:{server.server_address[1]}", "t")
    counts = {}
    for wards in (["10549", "90001"], ["10549", "90001", "90002", "90003"]):
        work = tmp_path / str(len(wards))
        work.mkdir()
        env = city_env(city, work, f"sqlite:///{work / 'warehouse.sqlite'}", api)
        task_runs.clear()
        with Env(**env):
            result = close_city_month(period=PERIODS[0], unit_codes=wards)
        assert set(result["sources"]) == set(wards)
        assert all(o.status == "loaded" for by_source in result["sources"].values() for o in by_source.values())
        counts[len(wards)] = sorted(task_runs)
    server.shutdown()
    server.server_close()
    assert counts[2] == counts[4]
    # prepare, then read + ingest per source, then one judgement (+ the flow-failure alert resolution)
    assert len(counts[4]) == 1 + 2 * len(SOURCES) + 1 + 1, counts[4]


@pytest.mark.parametrize("source", ["tax", "health"])
def test_one_batch_run_reports_each_delivery_as_its_own_run_would(city, source):
    """validate_batch over every ward's delivery (one of them broken) equals validate_delivery per ward."""
    import connectors
    import expectations
    from expectations.batch import BatchDelivery, validate_batch

    period, today = PERIODS[0], pd.Timestamp("2026-01-15").date()
    deliveries = {}
    for ward in WARDS:
        path = next((city / "inbox" / ward / source / period).iterdir())
        if ward == "90001" and source == "tax":
            broken = city.parent / f"broken-{path.name}"
            shutil.copy2(path, broken)
            break_tax_workbook(broken)
            path = broken
        records = connectors.SOURCES[source].read(path)
        deliveries[ward] = (records, connectors.SOURCES[source].to_observations(records, ward, period))
    batch = validate_batch(source, period, [BatchDelivery(w, w, obs, rec, None, rec.attrs.get("period"))
                                            for w, (rec, obs) in deliveries.items()], today=today)
    for ward, (records, obs) in deliveries.items():
        alone = expectations.validate_delivery(source_code=source, unit_code=ward, period=period,
                                               observations=obs, records=records, today=today,
                                               declared_period=records.attrs.get("period"))
        got, want = batch[ward].to_dict(), alone.to_dict()
        got.pop("checked_at"), want.pop("checked_at")
        assert got == want, ward
    if source == "tax":
        assert not batch["90001"].success and batch["10549"].success and batch["90002"].success
        assert {f.rule_id for f in batch["90001"].errors} >= {"tax.parent_equals_children"}
