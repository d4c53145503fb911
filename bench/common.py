"""Plumbing shared by the harness and its jobs: paths, the machine record, PostgreSQL scratch databases,
the stand-in API as its own process, and running one measured job in a fresh interpreter.

A job prints one line ``BENCH_RESULT {json}`` on stdout (wall seconds of the measured call, rows, the
process's own peak RSS); everything else it prints is kept for the record when it fails.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT / "data" / "bench"
RESULTS = ROOT / "bench" / "results"
PG_SERVER_URL = os.environ.get("THIDUA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RESULT_MARK = "BENCH_RESULT "


def peak_mib() -> float:
    """This process's peak resident set size so far, MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict) -> None:
    """Hand a job's result to the harness (the last line of stdout)."""
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)


def _env() -> dict:
    env = {**os.environ, "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    # Our own Prefect home: the ephemeral server's SQLite file is not shared with other runs on the machine.
    env["PREFECT_HOME"] = str(BENCH_DATA / "prefect-home")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    return env


def run_job(job: str, params: dict, *, env: dict | None = None, timeout: float = 6 * 3600) -> dict:
    """Run ``bench.jobs.<job>`` in a fresh interpreter and return its result dict.

    Raises:
        RuntimeError: the job failed or printed no result; the message carries the tail of its output.
    """
    cmd = [sys.executable, "-m", "bench.jobs", job, json.dumps(params)]
    proc = subprocess.run(cmd, cwd=ROOT, env={**_env(), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-5000:]).strip()
        raise RuntimeError(f"bench job {job} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(lines[-1][len(RESULT_MARK):])


def git_commit() -> str:
    """HEAD's short hash, with ``+dirty`` when bench-relevant files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine(pg_url: str | None = PG_SERVER_URL) -> dict:
    """What the numbers were measured on: cores, RAM, CPU model, Python, PostgreSQL, commit."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    pg_version = None
    if pg_url:
        try:
            engine = sa.create_engine(pg_url)
            with engine.connect() as conn:
                pg_version = conn.exec_driver_sql("SHOW server_version").scalar_one()
            engine.dispose()
        except sa.exc.SQLAlchemyError:
            pg_version = "unreachable"
    return {"cores": os.cpu_count(), "ram_gib": ram_gib, "cpu": cpu, "python": platform.python_version(),
            "postgresql": pg_version, "os": platform.platform(terse=True), "commit": git_commit()}


def others_testing() -> bool:
    """True when another test run (pytest) is using this machine: timings are then distorted."""
    out = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True).stdout.split()
    mine = {str(os.getpid()), str(os.getppid())}
    return any(pid not in mine for pid in out)


class PgDatabase:
    """A scratch PostgreSQL database for one measurement, dropped on exit."""

    def __init__(self, label: str, server_url: str = PG_SERVER_URL):
        self.name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        self.admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.url = sa.engine.make_url(server_url).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                 (self.name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
        self.admin.dispose()


def sqlite_url(path: Path) -> str:
    """A fresh SQLite file URL (any previous file removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120, ok=(200, 401)) -> None:
    """Wait until `url` answers (any of `ok`), or fail when the process died or time ran out."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate a process we started (and wait for it)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Standin:
    """The stand-in public-service API in its own process (neither side pays for serving)."""

    def __init__(self, data_path: Path):
        self.data_path = data_path
        self.token = secrets.token_urlsafe(18)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Standin:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "standin.public_service", "--data", str(self.data_path), "--port",
             str(self.port), "--token", self.token], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_http(self.url + "/api/v1/ho-so", self.proc, ok=(200, 400, 401))
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop(self.proc)


def link_copy(src: Path, dst: Path) -> Path:
    """A hard-linked copy of a folder tree (the pipeline moves inbox files; the cached originals stay)."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, copy_function=os.link)
    return dst


def write_result(name: str, result: dict) -> Path:
    """Write ``bench/results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
