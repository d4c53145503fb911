"""A nation month on PostgreSQL through the operator path: a real Prefect server (PostgreSQL-backed,
loopback), `ops/deploy.sh`, and 1, 2, 4 process workers (`ops/worker.sh --limit 1`, so N workers run N
chunk runs at once) pulling the `close-city` chunk runs that `close-units-batched` submits.

Each worker count gets a fresh warehouse and a fresh (hard-linked) inbox, so every run does the same work.
The per-chunk run times come from the server's API and feed the README's cluster plan.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess

import httpx
import sqlalchemy as sa

from bench import data
from bench.common import BENCH_DATA, ROOT, PgDatabase, Standin, _env, link_copy, run_job, stop


def _api(server_env: dict, method: str, path: str, **kwargs):
    response = httpx.request(method, server_env["PREFECT_API_URL"] + path, timeout=60, **kwargs)
    response.raise_for_status()
    return response.json()


def deploy(server_env: dict) -> None:
    """Create the work pool and deploy prefect.yaml (ops/deploy.sh), once per server."""
    env = {**_env(), **server_env, "THIDUA_HOME": str(ROOT),
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(ROOT / "ops" / "deploy.sh")], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ops/deploy.sh failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")


def chunk_runs(server_env: dict, since: dt.datetime) -> list[dict]:
    """The `close-city` runs started since `since`: start, end, seconds."""
    dep = _api(server_env, "GET", "/deployments/name/close-city/close-city")
    runs, offset = [], 0
    while True:
        page = _api(server_env, "POST", "/flow_runs/filter", json={
            "deployments": {"id": {"any_": [dep["id"]]}},
            "flow_runs": {"start_time": {"after_": since.isoformat()}}, "limit": 200, "offset": offset})
        runs += page
        if len(page) < 200:
            break
        offset += 200
    return [{"units": len((r.get("parameters") or {}).get("unit_codes") or []), "start": r["start_time"],
             "end": r["end_time"], "run_s": r["total_run_time"], "state": (r.get("state") or {}).get("type")}
            for r in runs]


def _counts(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            loads = conn.exec_driver_sql("SELECT count(*) FROM loads WHERE status = 'loaded'").scalar_one()
            units = conn.exec_driver_sql("SELECT count(DISTINCT unit_code) FROM attainment_evaluations").scalar_one()
            evaluations = conn.exec_driver_sql("SELECT count(*) FROM attainment_evaluations").scalar_one()
    finally:
        engine.dispose()
    return {"loads": loads, "judged_units": units, "evaluations": evaluations}


def measure(size: dict, server_env: dict) -> dict:
    """Close one month for every unit with 1, 2, 4 workers; wall time, speed-ups and per-chunk costs."""
    period = size["nation_period"]
    folder = data.city(size["nation_units"], [period])
    units = data.city_units(folder)
    # As many chunks as a multiple of every worker count, so no worker count is favoured by the rounding.
    lcm = math.lcm(*size["workers"])
    chunk_units = math.ceil(len(units) / (lcm * max(1, len(units) // (lcm * 150))))
    deploy(server_env)
    work = BENCH_DATA / "work" / "nation"
    runs = []
    with Standin(data.dossier_store(folder)) as api:
        for n_workers in size["workers"]:
            for moved in ("processed", "quarantine", "reports"):
                shutil.rmtree(work / moved, ignore_errors=True)
            inbox = link_copy(folder / "inbox", work / "inbox")
            with PgDatabase(f"nation_w{n_workers}") as url:
                settings = {"THIDUA_WAREHOUSE_URL": url, "THIDUA_INBOX": str(inbox), "THIDUA_DATA_DIR": str(work),
                            "THIDUA_CATALOGUE": str(folder / "catalogue"), "THIDUA_PUBLIC_SERVICE_URL": api.url,
                            "THIDUA_PUBLIC_SERVICE_TOKEN": api.token, "THIDUA_CHUNK_UNITS": str(chunk_units)}
                worker_env = {**_env(), **server_env, **settings, "THIDUA_HOME": str(ROOT),
                              "PREFECT_WORKER_QUERY_SECONDS": "2",
                              "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
                logs, workers = [], []
                since = dt.datetime.now(dt.UTC)
                try:
                    for i in range(n_workers):
                        log = open(work / f"worker-{n_workers}-{i}.log", "wb")  # noqa: SIM115 - closed below
                        logs.append(log)
                        workers.append(subprocess.Popen([str(ROOT / "ops" / "worker.sh"), "--limit", "1"],
                                                        env=worker_env, cwd=ROOT, stdout=log,
                                                        stderr=subprocess.STDOUT))
                    parent = run_job("nation_parent", {
                        "url": url, "inbox": str(inbox), "data_dir": str(work), "catalogue": str(folder / "catalogue"),
                        "api_url": api.url, "token": api.token, "period": period, "chunk_units": chunk_units},
                        env={**server_env, "THIDUA_CHUNK_UNITS": str(chunk_units)})
                finally:
                    for proc in workers:
                        stop(proc)
                    for log in logs:
                        log.close()
                chunks = chunk_runs(server_env, since)
                counts = _counts(url)
            if counts["judged_units"] != len(units):
                raise RuntimeError(f"{n_workers} worker(s): {counts['judged_units']} units judged, expected "
                                   f"{len(units)}")
            runs.append({"workers": n_workers, "wall_s": parent["wall_s"], "parent_peak_mib": parent["peak_mib"],
                         "rows": counts["loads"], "units_per_s": len(units) / parent["wall_s"], "counts": counts,
                         "chunks": len(chunks), "chunk_run_s_sum": sum(c["run_s"] for c in chunks),
                         "chunk_run_s_mean": sum(c["run_s"] for c in chunks) / max(1, len(chunks)),
                         "chunk_runs": chunks})
    base = runs[0]["wall_s"]
    for run in runs:
        run["speedup"] = base / run["wall_s"]
    return {"units": len(units), "period": period, "chunk_units": chunk_units, "runs": runs,
            "per_unit_s": runs[0]["chunk_run_s_sum"] / len(units)}

