"""The fault suite (issue 8): faults injected into the sources, the loader and the warehouse.

Each case injects one fault for real: the stand-in API misbehaves on loopback (401, 429 + Retry-After, 500,
answers past the client's timeout, connections cut in the middle of a page), a loader process is killed
with SIGKILL or has its PostgreSQL connection terminated inside its open transaction, a loader's files are
capped (RLIMIT_FSIZE, as a full disk), two closes run at once, deliveries come twice or corrected, and
migration 0004 runs over a warehouse holding a year. After each, `ledger.audit` checks the warehouse with
its own SQL and the test records what it measured (rows lost, half-loaded batches, duplicate loads).

Expected numbers come from the generator's raw dossiers (`dossiers.json`), from the synthetic deliveries'
sizes, or from counts taken before the fault, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import Env
from tests.integration.reliability import ledger

pytestmark = [pytest.mark.fault]

REPO_ROOT = Path(__file__).resolve().parents[3]
UNIT = "10549"
API_PERIOD = "2025-02"          # a small month: ~1,400 dossiers, three pages per query
TODAY = dt.date(2026, 1, 20)    # every 2025 delivery is due by then
PAGE = 500                      # the client's page size (so_ban_ghi)
CLIENT_ATTEMPTS, TASK_TRIES = 4, 4  # JsonGetter.max_attempts; fetch_dossiers: 1 try + 3 retries


# --- measuring -------------------------------------------------------------------------------------------------------

def audit(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        return ledger.audit(engine)
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def measure(url: str, *, expected_active: int) -> dict:
    """Audit the warehouse, record what was found in the ledger, and assert it is consistent."""
    found = audit(url)
    lost = max(0, expected_active - found["active_rows"])
    ledger.record(rows_lost=lost, half_loaded_batches=found["half_loaded_batches"],
                  duplicate_loads=found["duplicate_loads"])
    assert found == {"half_loaded_batches": 0, "duplicate_loads": 0, "orphan_observations": 0,
                     "active_rows": expected_active}, found
    return found


# --- the stand-in API and the dossiers it serves ---------------------------------------------------------------------

def month_dossiers(samples_dir: Path, period: str) -> tuple[int, int]:
    """(distinct dossiers received or finished in `period`, pages the two month queries take), from the
    generator's raw file."""
    data = json.loads((samples_dir / "public_service" / "dossiers.json").read_text(encoding="utf-8"))["du_lieu"]
    month = f"{period[5:7]}/{period[:4]}"

    def in_month(stamp):
        return bool(stamp) and stamp[3:10] == month

    received = {r["MaHoSo"] for r in data if in_month(r["NgayTiepNhan"])}
    finished = [r["MaHoSo"] for r in data if in_month(r.get("NgayKetThucXuLy"))]
    pages = max(1, math.ceil(len(received) / PAGE)) + max(1, math.ceil(len(finished) / PAGE))
    return len(received | set(finished)), pages


@pytest.fixture(scope="module")
def api_server(samples_dir):
    """A stand-in of its own (its fault switches and request counter belong to this module)."""
    from standin.public_service import serve

    server, _thread = serve(samples_dir / "public_service" / "dossiers.json", port=0, token="fault-suite-token")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def api(api_server):
    api_server.misbehave.reset()
    api_server.misbehave.requests_seen = 0
    yield api_server
    api_server.misbehave.reset()


@pytest.fixture()
def hook():
    from tests.integration.test_alerts import Webhook

    receiver = Webhook()
    yield receiver
    receiver.close()


@pytest.fixture()
def fast_retries(monkeypatch):
    """Prefect's retries of the API pull without their 2/10/30 s pauses (same count, same condition)."""
    from flows import tasks

    monkeypatch.setattr(tasks, "fetch_dossiers", tasks.fetch_dossiers.with_options(retry_delay_seconds=0))


@pytest.fixture()
def api_warehouse(request, tmp_path):
    """SQLite, unless a test asks for PostgreSQL too (indirect parametrisation)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture()
def api_env(tmp_path, prefect_harness, api, hook, fast_retries, catalogue_path, api_warehouse):
    from flows import tasks

    url = api_warehouse
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=tmp_path / "inbox",
             THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL=api.base_url, THIDUA_PUBLIC_SERVICE_TOKEN=api.token,
             THIDUA_ALERT_WEBHOOK_URL=hook.url, THIDUA_HTTP_TIMEOUT_S="5", THIDUA_HTTP_BACKOFF_S="0.05",
             THIDUA_SMTP_HOST=""):
        tasks.prepare_warehouse.fn(url, catalogue_path)
        yield url


def pull(**overrides):
    """The month's API pull through the product's ingest (fetch, validate, load, alert)."""
    from flows.monthly_close import ingest_delivery
    from flows.settings import get_settings

    settings = get_settings().with_overrides(**overrides)
    return ingest_delivery(settings, "public_service", UNIT, API_PERIOD, today=TODAY)


def alert_kinds(hook) -> list[str]:
    return [m["alert"]["kind"] for m in hook.received]


def assert_loaded_month(url: str, samples_dir: Path, outcome) -> int:
    """The month is in force with every dossier of the raw file: returns the observations in force."""
    dossiers, _pages = month_dossiers(samples_dir, API_PERIOD)
    assert outcome.status == "loaded", outcome.message
    rows_read = scalar(url, "SELECT rows_read FROM loads WHERE load_id = :i", i=outcome.load_id)
    ledger.record(rows_lost=max(0, dossiers - rows_read))
    assert rows_read == dossiers
    return measure(url, expected_active=outcome.rows)["active_rows"]


def assert_failed_cleanly(url: str, hook, outcome, *phrases: str) -> None:
    """Failed with one sentence, nothing loaded, one source_unreachable alert sent, and rerun-safe."""
    assert outcome.status == "failed"
    assert "\n" not in outcome.message and all(p in outcome.message for p in phrases), outcome.message
    assert scalar(url, "SELECT count(*) FROM loads WHERE source_code = 'public_service'") == 0
    assert scalar(url, "SELECT count(*) FROM alerts WHERE kind = 'source_unreachable'") == 1
    assert alert_kinds(hook) == ["source_unreachable"]
    measure(url, expected_active=0)


# --- 1-5: the API misbehaves -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("api_warehouse", ["sqlite", "postgresql"], indirect=True)
def test_api_401_fails_once_alerts_once_and_does_not_retry(api_env, api, hook):
    outcome = pull(public_service_token="a-wrong-token")
    assert_failed_cleanly(api_env, hook, outcome, "HTTP 401", "token")
    assert "a-wrong-token" not in outcome.message
    assert api.misbehave.requests_seen == 1  # a refused credential is final: no retry storm
    again = pull(public_service_token="a-wrong-token")
    assert again.status == "failed" and api.misbehave.requests_seen == 2
    assert alert_kinds(hook) == ["source_unreachable"]  # seen again, not sent again


def test_api_429_with_retry_after_is_waited_for_and_the_month_loads(api_env, api, hook, samples_dir):
    from connectors.public_service import PublicServiceClient

    _dossiers, pages = month_dossiers(samples_dir, API_PERIOD)
    # The client waits what the server asks (7 s here, recorded by an injected sleep) ...
    waits: list[float] = []
    api.misbehave.retry_after = 7
    api.misbehave.fail_next(1, 429)
    PublicServiceClient(api.base_url, api.token, sleep=waits.append).fetch_month(UNIT, API_PERIOD)
    assert waits == [7.0] and api.misbehave.requests_seen == pages + 1
    # ... and no more than its cap: a Retry-After of an hour goes back to the orchestrator's retry.
    waits.clear()
    api.misbehave.retry_after = 3600
    api.misbehave.fail_next(1, 429)
    with pytest.raises(Exception, match="HTTP 429"):
        PublicServiceClient(api.base_url, api.token, sleep=waits.append).fetch_month(UNIT, API_PERIOD)
    assert waits == []

    # Through the ingest: two 429s with Retry-After 1, then the month loads, with two extra requests.
    api.misbehave.reset()
    api.misbehave.requests_seen = 0
    api.misbehave.fail_next(2, 429)
    outcome = pull()
    assert_loaded_month(api_env, samples_dir, outcome)
    assert api.misbehave.requests_seen == pages + 2
    assert hook.received == []


def test_api_persistent_500_is_retried_then_failed_with_one_alert(api_env, api, hook):
    api.misbehave.fail_next(CLIENT_ATTEMPTS * TASK_TRIES + 10, 500)
    outcome = pull()
    assert_failed_cleanly(api_env, hook, outcome, "HTTP 500", "after retries")
    # every attempt of the client, in every Prefect try, and not one more
    assert api.misbehave.requests_seen == CLIENT_ATTEMPTS * TASK_TRIES


def test_api_transient_500_then_the_month_loads(api_env, api, hook, samples_dir):
    _dossiers, pages = month_dossiers(samples_dir, API_PERIOD)
    api.misbehave.fail_next(CLIENT_ATTEMPTS + 1, 500)  # one whole Prefect try fails, the next one loads
    outcome = pull()
    assert_loaded_month(api_env, samples_dir, outcome)
    assert api.misbehave.requests_seen == pages + CLIENT_ATTEMPTS + 1
    assert hook.received == []


def test_api_answer_past_the_timeout_is_retried_with_a_clear_message(api_env, api, hook, samples_dir):
    _dossiers, pages = month_dossiers(samples_dir, API_PERIOD)
    # One answer slower than the client's timeout: retried, and the month loads.
    api.misbehave.slow_next(1, seconds=2.5)
    outcome = pull(http_timeout_s=1.0)
    assert_loaded_month(api_env, samples_dir, outcome)
    assert api.misbehave.requests_seen == pages + 1


def test_api_always_past_the_timeout_fails_after_the_retries(api_env, api, hook):
    api.misbehave.delay_seconds = 0.8
    outcome = pull(http_timeout_s=0.2)
    assert_failed_cleanly(api_env, hook, outcome, "did not answer in time", "after retries")
    assert api.misbehave.requests_seen == CLIENT_ATTEMPTS * TASK_TRIES


def test_api_connection_cut_mid_page_is_retried_and_never_half_loaded(api_env, api, hook, samples_dir):
    _dossiers, pages = month_dossiers(samples_dir, API_PERIOD)
    api.misbehave.cut_next(1, after_bytes=700)  # the first page stops after 700 bytes, then a TCP reset
    outcome = pull()
    assert_loaded_month(api_env, samples_dir, outcome)
    assert api.misbehave.requests_seen == pages + 1
    assert hook.received == []


def test_api_connection_cut_every_time_fails_cleanly(api_env, api, hook):
    api.misbehave.cut_next(CLIENT_ATTEMPTS * TASK_TRIES + 10, after_bytes=700)
    outcome = pull()
    assert_failed_cleanly(api_env, hook, outcome, "cut", "after retries")
    assert api.misbehave.requests_seen == CLIENT_ATTEMPTS * TASK_TRIES


# --- 6-8: the loader dies, loses its connection, or fills the disk ---------------------------------------------------

BIG, SMALL = 10_000, 300


def loader(url: str, *, rows: int, fingerprint: str, pause: bool = False, announce: bool = False,
           fsize_limit: int | None = None) -> subprocess.Popen:
    """Start tests/integration/reliability/fault_loader.py (a real load in another process)."""
    cmd = [sys.executable, "-m", "tests.integration.reliability.fault_loader", url, "--rows", str(rows),
           "--fingerprint", fingerprint]
    cmd += ["--pause"] if pause else []
    cmd += ["--announce-insert"] if announce else []
    cmd += ["--fsize-limit", str(fsize_limit)] if fsize_limit else []
    return subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen, word: str) -> str:
    """The loader's next stdout line, which must start with `word` (it blocks until the loader says it)."""
    line = proc.stdout.readline()
    if not line.startswith(word):
        proc.kill()
        raise AssertionError(f"loader said {line!r} instead of {word}: {proc.communicate()[1][-2000:]}")
    return line.split()[1] if len(line.split()) > 1 else ""


def finish(proc: subprocess.Popen, resume: bool = False) -> dict:
    out, err = proc.communicate("\n" if resume else None, timeout=120)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"loader printed no outcome (exit {proc.returncode}): {err[-2000:]}"
    return json.loads(lines[-1])


def load(url: str, rows: int, fingerprint: str) -> dict:
    """The same synthetic load in this process (the loads around the fault need no process of their own)."""
    from tests.integration.reliability import fault_loader
    from warehouse import db as wh_db

    return fault_loader.load(wh_db.make_engine(url), rows, fingerprint)


def good_load(url: str) -> dict:
    """A migrated warehouse holding one good load of SMALL rows (the load in force before the fault)."""
    from warehouse import db as wh_db

    wh_db.upgrade(url)
    first = load(url, SMALL, "good")
    assert first["status"] == "loaded" and first["rows"] == SMALL, first
    measure(url, expected_active=SMALL)
    return first


def assert_earlier_load_in_force(url: str, first: dict) -> None:
    assert scalar(url, "SELECT load_id FROM loads WHERE status = 'loaded'") == first["load_id"]
    assert scalar(url, "SELECT count(*) FROM observations") == SMALL  # nothing of the broken load is left
    measure(url, expected_active=SMALL)


def assert_rerun_loads_once(url: str, first: dict) -> None:
    rerun = load(url, BIG, "corrected")
    assert rerun["status"] == "replaced" and rerun["rows"] == BIG, rerun
    assert load(url, BIG, "corrected")["status"] == "unchanged"
    assert scalar(url, "SELECT status FROM loads WHERE load_id = :i", i=first["load_id"]) == "superseded"
    assert scalar(url, "SELECT count(*) FROM observations WHERE load_id = :i", i=first["load_id"]) == SMALL
    measure(url, expected_active=BIG)


def test_sigkill_in_the_middle_of_a_load(warehouse_url):
    first = good_load(warehouse_url)
    proc = loader(warehouse_url, rows=BIG, fingerprint="corrected", pause=True)
    wait_for(proc, "PAUSED")  # every observation inserted, the transaction open
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stdout.close(), proc.stderr.close(), proc.stdin.close()
    assert scalar(warehouse_url, "SELECT count(*) FROM loads") == 1  # its load row died with it
    assert_earlier_load_in_force(warehouse_url, first)
    assert_rerun_loads_once(warehouse_url, first)


def test_postgres_connection_terminated_mid_load(pg_url, pg_server_url):
    first = good_load(pg_url)
    proc = loader(pg_url, rows=BIG, fingerprint="corrected", pause=True)
    backend = int(wait_for(proc, "PAUSED"))
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar() is True
    admin.dispose()
    outcome = finish(proc, resume=True)
    assert outcome["load_error"] is True, outcome
    assert "load failed, nothing written" in outcome["message"] and "\n" not in outcome["message"]
    assert "terminat" in outcome["message"] or "connection" in outcome["message"], outcome
    assert scalar(pg_url, "SELECT count(*) FROM loads WHERE status = 'failed'") == 1  # the attempt is on record
    assert_earlier_load_in_force(pg_url, first)
    assert_rerun_loads_once(pg_url, first)


def test_disk_full_while_the_warehouse_is_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    first = good_load(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    limit = (tmp_path / "warehouse.sqlite").stat().st_size + 256 * 1024  # room for ~1,000 rows, not 10,000
    outcome = finish(loader(url, rows=BIG, fingerprint="corrected", fsize_limit=limit))
    assert outcome["load_error"] is True, outcome
    assert "load failed, nothing written" in outcome["message"] and "\n" not in outcome["message"]
    assert "disk" in outcome["message"] or "full" in outcome["message"], outcome
    assert_earlier_load_in_force(url, first)
    assert_rerun_loads_once(url, first)  # the space is back


# --- 9: two at once --------------------------------------------------------------------------------------------------

def test_two_loads_of_the_same_delivery_at_once_load_it_once(warehouse_url):
    """No lock at all (two workers without a Prefect server): the warehouse alone keeps one load."""
    from warehouse import db as wh_db

    wh_db.upgrade(warehouse_url)
    first = loader(warehouse_url, rows=BIG, fingerprint="same", pause=True)
    wait_for(first, "PAUSED")
    second = loader(warehouse_url, rows=BIG, fingerprint="same", announce=True)
    wait_for(second, "INSERTING")  # it saw no load in force and now waits on the first one's transaction
    threading.Event().wait(0.5)    # let its INSERT reach the database's lock before the first commits
    a, b = finish(first, resume=True), finish(second)
    assert sorted([a["status"], b["status"]]) == ["loaded", "unchanged"], (a, b)
    assert a["load_id"] == b["load_id"]
    assert scalar(warehouse_url, "SELECT count(*) FROM loads WHERE status = 'loaded'") == 1
    measure(warehouse_url, expected_active=BIG)


def deliver(samples_dir: Path, inbox: Path, source: str, period: str, replacement: Path | None = None) -> Path:
    original = next((samples_dir / "inbox" / UNIT / source / period).iterdir())
    folder = inbox / UNIT / source / period
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(replacement or original, folder / original.name))


@pytest.fixture()
def close_env(tmp_path, prefect_harness, hook):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=tmp_path / "inbox",
             THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL="", THIDUA_ALERT_WEBHOOK_URL=hook.url,
             THIDUA_SMTP_HOST=""):
        yield url


def test_two_closes_of_the_same_month_at_once(close_env, samples_dir, tmp_path):
    from flows.monthly_close import close_month

    period = "2025-10"
    for source in ("tax", "health"):
        deliver(samples_dir, tmp_path / "inbox", source, period)
    states, errors = [None, None], []

    def run(i):
        try:
            states[i] = close_month(period=period, unit_code=UNIT, return_state=True)
        except BaseException as exc:  # noqa: BLE001 - the test reports any escape
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == [] and all(s is not None and s.is_completed() for s in states), (errors, states)
    results = [s.result() for s in states]
    for source in ("tax", "health"):
        assert sorted(r["sources"][source].status for r in results) == ["loaded", "unchanged"]
        assert len({r["sources"][source].load_id for r in results}) == 1
    assert scalar(close_env, "SELECT count(*) FROM loads") == 2
    expected = sum(r["sources"][s].rows for r in results for s in ("tax", "health")
                   if r["sources"][s].status == "loaded")
    measure(close_env, expected_active=expected)


# --- 10-11: deliveries again -----------------------------------------------------------------------------------------

def table_counts(url: str) -> dict:
    tables = ("loads", "observations", "validation_results", "alerts", "attainment_evaluations")
    return {t: scalar(url, f"SELECT count(*) FROM {t}") for t in tables}


def test_the_same_file_delivered_twice(close_env, samples_dir, tmp_path, hook, catalogue_path):
    from flows import tasks
    from flows.monthly_close import ingest_delivery
    from flows.settings import get_settings

    tasks.prepare_warehouse.fn(close_env, catalogue_path)
    settings, period = get_settings(), "2025-10"
    deliver(samples_dir, tmp_path / "inbox", "tax", period)
    first = ingest_delivery(settings, "tax", UNIT, period, today=TODAY)
    assert first.status == "loaded"
    before, sent = table_counts(close_env), list(hook.received)
    again = deliver(samples_dir, tmp_path / "inbox", "tax", period)
    second = ingest_delivery(settings, "tax", UNIT, period, today=TODAY)
    assert second.status == "unchanged" and second.load_id == first.load_id and second.rows == first.rows
    assert table_counts(close_env) == before and hook.received == sent
    assert not again.exists()  # filed as processed (the same bytes: one copy)
    assert len(list((tmp_path / "processed" / UNIT / "tax" / period).iterdir())) == 1
    measure(close_env, expected_active=first.rows)


def test_a_corrected_redelivery_replaces_and_rejudges(close_env, samples_dir, tmp_path):
    from flows.monthly_close import close_month
    from tests.integration.test_alerts import tax_inputs, tax_workbook

    period = "2025-10"
    deliver(samples_dir, tmp_path / "inbox", "tax", period)
    first = close_month(period=period, unit_code=UNIT)
    old = first["sources"]["tax"]
    assert old.status == "loaded" and tax_inputs(first["attainment"]) == {old.load_id}
    snapshots = scalar(close_env, "SELECT count(*) FROM attainment_evaluations")
    fixed = tax_workbook(samples_dir, tmp_path / "fixed" / f"bao-cao-thu-nsnn-{period}.xlsx",
                         {"9": 100.0, "Thu nội địa": 100.0, "TỔNG THU NSNN TRÊN ĐỊA BÀN": 100.0})
    deliver(samples_dir, tmp_path / "inbox", "tax", period, replacement=fixed)
    second = close_month(period=period, unit_code=UNIT)
    new = second["sources"]["tax"]
    assert new.status == "replaced" and new.load_id != old.load_id
    assert scalar(close_env, "SELECT status FROM loads WHERE load_id = :i", i=old.load_id) == "superseded"
    assert scalar(close_env, "SELECT superseded_by_load_id FROM loads WHERE load_id = :i", i=old.load_id) == new.load_id
    kept = scalar(close_env, "SELECT count(*) FROM observations WHERE load_id = :i", i=old.load_id)
    assert kept == old.rows  # the old figures are kept for history
    assert tax_inputs(second["attainment"]) == {new.load_id}  # re-judged on the corrected figures
    assert scalar(close_env, "SELECT count(*) FROM attainment_evaluations") > snapshots
    measure(close_env, expected_active=new.rows)


# --- 12: a migration over a year of data -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def year_deliveries(samples_dir):
    """Every 2025 delivery of the sample set, read once: (source, period, file name, sha256, rows, observations)."""
    import hashlib

    import connectors

    out = []
    for month in range(1, 13):
        period = f"2025-{month:02d}"
        files = [(s, next((samples_dir / "inbox" / UNIT / s / period).iterdir()))
                 for s in ("tax", "health", "education", "indicators")]
        files.append(("public_service", samples_dir / "public_service" / "exports" / f"ho-so-{period}.csv"))
        for source, path in files:
            spec = connectors.SOURCES[source]
            records = spec.read(path)
            observations = spec.to_observations(records, UNIT, period)
            out.append((source, period, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), len(records),
                        observations))
    return out


def test_migrations_0004_and_0005_over_a_year_of_data_lose_no_row(warehouse_url, year_deliveries, catalogue_path,
                                                                   samples_dir):
    from alembic import command
    from alembic.script import ScriptDirectory

    import connectors
    from connectors.public_service import dossier_facts
    from warehouse import attainment as wh_attainment
    from warehouse import catalogue as wh_catalogue
    from warehouse import db as wh_db
    from warehouse import load as wh_load
    from warehouse import views as wh_views

    engine = wh_db.make_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            config = wh_db.alembic_config(warehouse_url)
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
        plan_id = wh_catalogue.load_catalogue(engine, wh_catalogue.read_catalogue(catalogue_path))
        # the year as code of the 0003 era loaded it: observations without the column letter (added by 0007)
        old_era = [(*d[:5], d[5].drop(columns=["column_letter"], errors="ignore")) for d in year_deliveries]
        for source, period, name, fingerprint, rows_read, observations in old_era:
            wh_load.load_delivery(engine, source_code=source, unit_code=UNIT, period=period,
                                  fingerprint=fingerprint, file_name=name, flow_run_id=None, rows_read=rows_read,
                                  observations=observations,
                                  validation={"suite_name": f"{source}:{UNIT}:{period}", "success": True,
                                              "evaluated_count": 1, "failed_count": 0})
        targets = wh_attainment.read_targets(engine, 2025, UNIT)
        observations = wh_attainment.read_observations(engine, UNIT, [2024, 2025])
        wh_attainment.save_evaluations(engine, plan_id,
                                       wh_attainment.evaluate_targets(targets, observations, UNIT, "2025-12"), None)
        expected_observations = sum(len(o) for *_, o in year_deliveries)
        before = {t: count_rows(engine, t) for t in sa.inspect(engine).get_table_names() if t != "alembic_version"}
        assert before["loads"] == 60 and before["observations"] == expected_observations
        assert before["attainment_evaluations"] > 0
        assert "dossiers" not in before and "unit_crosswalk" not in before

        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0004")

        tables = set(sa.inspect(engine).get_table_names())
        after = {t: count_rows(engine, t) for t in before}
        assert {"dossiers", "unit_crosswalk"} <= tables
        assert after == before
        present = set(sa.inspect(engine).get_view_names())  # the views of 0003 (later ones come with 0006)
        assert {"v_observations_lineage", "v_attainment_latest"} <= present
        for view in (v for v in wh_views.VIEW_NAMES if v in present):
            assert len(wh_views.read_view(engine, view)) > 0, view
        assert len(wh_views.read_view(engine, "v_observations_lineage")) == expected_observations
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"

        # December's dossiers stored at 0004, then 0005 (drops their foreign key; SQLite rebuilds the table)
        export = samples_dir / "public_service" / "exports" / "ho-so-2025-12.csv"
        records = connectors.SOURCES["public_service"].read(export)
        wh_load.load_delivery(engine, source_code="public_service", unit_code=UNIT, period="2025-12",
                              fingerprint="d" * 64, file_name=export.name, flow_run_id=None,
                              rows_read=len(records), observations=old_era[-1][-1], validation=None,
                              dossiers=dossier_facts(records, UNIT, "2025-12"))
        middle = {t: count_rows(engine, t) for t in tables if t != "alembic_version"}
        assert middle["dossiers"] == records["ma_ho_so"].nunique() > 0
        wh_db.upgrade(warehouse_url)  # 0004 -> head
        final = {t: count_rows(engine, t) for t in middle}
        assert final == middle
        with engine.connect() as conn:
            head = ScriptDirectory.from_config(wh_db.alembic_config(warehouse_url)).get_current_head()
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head
        after = {t: min(after[t], final[t]) for t in after}
    finally:
        engine.dispose()
    ledger.record(rows_lost=sum(max(0, before[t] - after[t]) for t in before))
    measure(warehouse_url, expected_active=expected_observations)


def count_rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
