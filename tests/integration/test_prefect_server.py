"""The operator path for real: a `prefect server` on PostgreSQL (its own database) started by
ops/serve.sh, the ops scripts' deploy from prefect.yaml, a real process worker, deployment runs triggered
through the API and by the exact command of docs/operations.md.

Checks that a triggered monthly close completes and fills the warehouse, that two closes of the
same month triggered at once never interleave (the per-ward lock of flows/locks.py), that the documented
`prefect deployment run … --param unit_code=10549` works and its run's logs (read back from the API) show
each source's progress although the worker was started with PREFECT_LOGGING_LEVEL=WARNING (as the
Makefile exports it), and that the UI calls the API on the server's own port.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(api_url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("prefect server did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def prefect_server(pg_server_url, tmp_path_factory):
    """A real Prefect server on loopback started by ops/serve.sh, backed by a throw-away PostgreSQL database
    (which serve.sh creates)."""
    name = f"prefect_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    db_url = sa.engine.make_url(pg_server_url).set(drivername="postgresql+asyncpg", database=name)
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_PG_URL": db_url.render_as_string(hide_password=False), "PREFECT_PORT": str(port),
           "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "true", "PREFECT_LOGGING_LEVEL": "WARNING"}
    for inherited in ("PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        env.pop(inherited, None)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed in the finaliser
    proc = subprocess.Popen([str(ROOT / "ops" / "serve.sh")], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    try:
        wait_healthy(api_url, proc)
        yield {"api_url": api_url, "home": home, "port": port}
    finally:
        stop(proc)
        log.close()
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                 (name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(scope="module")
def deployed(prefect_server, samples_dir, standin_api, tmp_path_factory):
    """Deploy prefect.yaml with ops/deploy.sh and start a real worker with the flows' environment."""
    work = tmp_path_factory.mktemp("worker")
    shutil.copytree(samples_dir / "inbox", work / "inbox")
    base_url, token = standin_api
    env = {**os.environ, "PREFECT_API_URL": prefect_server["api_url"], "PREFECT_HOME": str(prefect_server["home"]),
           "THIDUA_HOME": str(ROOT), "THIDUA_DATA_DIR": str(work),
           "THIDUA_WAREHOUSE_URL": f"sqlite:///{work / 'warehouse.sqlite'}", "THIDUA_INBOX": str(work / "inbox"),
           "THIDUA_PUBLIC_SERVICE_URL": base_url, "THIDUA_PUBLIC_SERVICE_TOKEN": token,
           # What `make worker` passes on (the Makefile exports it to keep the demo quiet).
           "PREFECT_LOGGING_LEVEL": "WARNING",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    deploy = subprocess.run([str(ROOT / "ops" / "deploy.sh")], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    log = open(work / "worker.log", "wb")  # noqa: SIM115 - closed in the finaliser
    worker = subprocess.Popen([str(ROOT / "ops" / "worker.sh"), "--limit", "4"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        yield {**prefect_server, "env": env, "work": work}
    finally:
        stop(worker)
        log.close()


def api(deployed, method: str, path: str, **kwargs):
    response = httpx.request(method, deployed["api_url"] + path, timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


def trigger(deployed, deployment: str, parameters: dict) -> str:
    flow_name, name = deployment.split("/")
    dep = api(deployed, "GET", f"/deployments/name/{flow_name}/{name}")
    run = api(deployed, "POST", f"/deployments/{dep['id']}/create_flow_run", json={"parameters": parameters})
    return run["id"]


def wait_final(deployed, run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(deployed, "GET", f"/flow_runs/{run_id}")
        if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    log = (deployed["work"] / "worker.log").read_text(errors="replace")[-4000:]
    raise TimeoutError(f"flow run {run_id} did not finish; worker log:\n{log}")


def test_every_deployment_of_the_manifest_is_on_the_server(deployed):
    names = {d["name"] for d in api(deployed, "POST", "/deployments/filter", json={})}
    assert {"monthly-close", "catch-up", "backfill", "close-units", "ingest-delivery"} <= names
    close = api(deployed, "GET", "/deployments/name/monthly-close/monthly-close")
    schedules = close["schedules"]
    assert schedules and schedules[0]["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"


def test_a_triggered_close_completes_and_fills_the_warehouse(deployed):
    run_id = trigger(deployed, "monthly-close/monthly-close", {"period": "2025-10", "unit_code": "10549"})
    run = wait_final(deployed, run_id)
    assert run["state"]["type"] == "COMPLETED", run_logs(deployed, run_id)[-3000:]
    engine = sa.create_engine(deployed["env"]["THIDUA_WAREHOUSE_URL"])
    with engine.connect() as conn:
        sources = conn.execute(sa.text(
            "SELECT source_code FROM loads WHERE period = '2025-10' AND status = 'loaded'")).scalars().all()
        targets = conn.execute(sa.text(
            "SELECT COUNT(DISTINCT target_code) FROM attainment_evaluations WHERE period = '2025-10'")).scalar_one()
    engine.dispose()
    assert sorted(sources) == ["education", "health", "indicators", "public_service", "tax"]
    assert targets == 20


def run_logs(deployed, run_id: str) -> str:
    """The flow run's log lines (to explain a failure)."""
    logs = api(deployed, "POST", "/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200})
    return "\n".join(entry["message"][-1500:] for entry in logs)


def _locked_interval(deployed, run_id: str) -> tuple[str, str]:
    """First start and last end of the task runs a close performs while it holds the ward's lock."""
    tasks = api(deployed, "POST", "/task_runs/filter",
                json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})
    starts = [t["start_time"] for t in tasks if t["start_time"]]
    ends = [t["end_time"] for t in tasks if t["end_time"]]
    assert starts and ends, tasks
    return min(starts), max(ends)


def test_two_closes_of_the_same_month_do_not_interleave(deployed):
    params = {"period": "2025-11", "unit_code": "10549"}
    first, second = (trigger(deployed, "monthly-close/monthly-close", params) for _ in range(2))
    runs = [wait_final(deployed, first), wait_final(deployed, second)]
    assert [r["state"]["type"] for r in runs] == ["COMPLETED", "COMPLETED"], run_logs(deployed, first)[-3000:]
    # The recorder flushes task runs a few seconds after a flow ends.
    time.sleep(6)
    a, b = sorted([_locked_interval(deployed, first), _locked_interval(deployed, second)])
    assert a[1] <= b[0], f"closes overlapped: {a} and {b}"
    # Both really ran at the same time: the second started before the first had finished its work.
    starts = sorted(r["start_time"] for r in runs)
    assert starts[1] < a[1], "the worker ran the two closes one after the other; nothing was tested"


def test_close_units_fans_out_one_monthly_close_per_ward(deployed):
    run_id = trigger(deployed, "close-units/close-units", {"unit_codes": ["10549"], "period": "2025-09"})
    run = wait_final(deployed, run_id)
    assert run["state"]["type"] == "COMPLETED", run_logs(deployed, run_id)[-3000:]
    children = api(deployed, "POST", "/flow_runs/filter",
                   json={"flow_runs": {"parent_flow_run_id": {"any_": [run_id]}}})
    # The ward's close ran as its own deployment run (a worker picked it up), for the requested month.
    closes = [c for c in children if c["deployment_id"]]
    assert len(closes) == 1 and closes[0]["parameters"] == {"period": "2025-09", "unit_code": "10549"}
    assert closes[0]["state"]["type"] == "COMPLETED"


def test_the_ui_calls_the_api_on_the_port_the_server_runs_on(prefect_server):
    port = prefect_server["port"]
    settings = httpx.get(f"http://127.0.0.1:{port}/ui-settings", timeout=30).json()
    assert settings["api_url"] == f"http://127.0.0.1:{port}/api"


DOCS = ROOT / "docs" / "operations.md"
SOURCES = ["tax", "public_service", "health", "education", "indicators"]


def test_the_documented_deployment_run_works_and_its_logs_show_each_source(deployed):
    # The command exactly as docs/operations.md prints it: a unit code typed as a number.
    command = next(line for line in DOCS.read_text(encoding="utf-8").splitlines()
                   if line.startswith(".venv/bin/prefect deployment run monthly-close/monthly-close")
                   and "--param unit_code=10549" in line)
    done = subprocess.run(shlex.split(command), env=deployed["env"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", done.stdout).group(1)
    run = wait_final(deployed, run_id)
    assert run["state"]["type"] == "COMPLETED", run_logs(deployed, run_id)[-3000:]
    period = re.search(r"--param period=(\d{4})-(\d{2})", command)
    assert run["parameters"]["unit_code"] in (10549, "10549")
    # The run's logs, read back from the API: one progress line per source, at INFO. The run's process
    # sends its last batch of logs as it exits, a moment after the run is marked completed.
    heads = [f"{period.group(2)}/{period.group(1)} [10549] {source}: " for source in SOURCES]
    deadline = time.monotonic() + 30
    while True:
        logs = api(deployed, "POST", "/logs/filter",
                   json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200})
        info = [entry["message"] for entry in logs if entry["level"] == 20]
        missing = [head for head in heads if not any(message.startswith(head) for message in info)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not missing, (missing, info)
