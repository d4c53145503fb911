"""Locks that die with their holder, and no orphaned Prefect servers (issue 17, item 1).

Real processes, real signals: `thidua run` subprocesses against a SQLite warehouse and their own temporary
Prefect servers; a lock holder killed with SIGKILL on PostgreSQL and SQLite. Before the lock moved into
the warehouse, a `thidua run` killed while holding its ward's Prefect concurrency slot left the slot
taken for the lease's 600 s (the next run waited silently), and every killed or terminated CLI left its
~200 MB temporary server running.

Expected values come from outside the code under test: the pids of the processes the test started, the
files the sample generator put in the inbox, and the warehouse counted with the ledger's own SQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.reliability import ledger
from warehouse import locks

pytestmark = [pytest.mark.fault]

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
UNIT, PERIOD = "10549", "2025-10"
LOCK = f"close-{UNIT}"


# --- processes -------------------------------------------------------------------------------------------------------

def alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed child whose parent is gone may linger as one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc, independent of the code under test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_until(predicate, timeout: float, what: str, logs: tuple[Path, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    tails = "\n".join(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    raise AssertionError(f"{what}: not after {timeout} s\n{tails}")


def cli_env(work: Path, prefect_home: str = "prefect") -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("THIDUA_", "PREFECT_API_URL"))}
    env.update(PREFECT_HOME=str(work / prefect_home), PREFECT_LOGGING_LEVEL="WARNING",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", THIDUA_DATA_DIR=str(work),
               THIDUA_WAREHOUSE_URL=f"sqlite:///{work / 'warehouse.sqlite'}", THIDUA_INBOX=str(work / "inbox"))
    return env


def start_run(work: Path, name: str, prefect_home: str = "prefect") -> tuple[subprocess.Popen, Path]:
    log = work / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(BIN / "thidua"), "run", "--period", PERIOD, "--unit", UNIT],
                                env=cli_env(work, prefect_home), cwd=work, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture()
def work(tmp_path, samples_dir):
    import shutil

    shutil.copytree(samples_dir / "inbox", tmp_path / "inbox")
    return tmp_path


# --- the CLI, killed ---------------------------------------------------------------------------------------------

def test_a_killed_close_frees_its_ward_and_server_and_a_waiting_run_names_its_holder(work):
    url = f"sqlite:///{work / 'warehouse.sqlite'}"
    me, host = os.getpid(), socket.gethostname()
    # What the month's close must load: the sources the generator delivered to the inbox for the month.
    expected = sorted(p.name for p in (work / "inbox" / UNIT).iterdir()
                      if (p / PERIOD).is_dir() and any((p / PERIOD).iterdir()))
    assert expected
    procs = []
    try:
        # 1. SIGTERM to a close as soon as its temporary Prefect server is started: the server ends too.
        terminated, terminated_log = start_run(work, "terminated", prefect_home="prefect-terminated")
        procs.append(terminated)
        wait_until(lambda: children(terminated.pid), 240, "the close starts its temporary server", (terminated_log,))
        servers = children(terminated.pid)
        terminated.send_signal(signal.SIGTERM)
        terminated.wait(timeout=60)
        wait_until(lambda: not any(alive(pid) for pid in servers), 15,
                   f"the server {servers} of a terminated close is gone")

        # 2. The ward is held (by this test): a close started now waits, and says for whom.
        with locks.hold(url, LOCK, record=locks.holder_record(label="pytest holder")):
            waiting, waiting_log = start_run(work, "waiting")
            procs.append(waiting)
            named = (f"Waiting for lock '{LOCK}': held by process {me} on host {host} (pytest holder) since ",
                     f"Đang chờ khóa '{LOCK}': đang bị giữ bởi tiến trình {me} trên máy {host} (pytest holder) từ ")
            wait_until(lambda: all(line in waiting_log.read_text(errors="replace") for line in named), 240,
                       "a waiting close names the holder", (waiting_log,))

        # 3. Released: the waiting close takes the ward; kill -9 it in the middle of its loads.
        def loads() -> int:
            engine = sa.create_engine(url)
            try:
                with engine.connect() as conn:
                    return conn.execute(sa.text("SELECT count(*) FROM loads")).scalar_one()
            except sa.exc.OperationalError:  # no table yet
                return 0
            finally:
                engine.dispose()

        def holder_pid():
            holder = locks.read_holder(url, LOCK)
            return holder.pid if holder else None

        wait_until(lambda: holder_pid() == waiting.pid and loads() >= 1, 240,
                   "the waiting close holds the ward and has loaded a delivery", (waiting_log,))
        servers = children(waiting.pid)
        assert holder_pid() == waiting.pid and servers
        waiting.kill()
        waiting.wait(timeout=30)
        assert locks.read_holder(url, LOCK) is None, "the ward is free as soon as its holder is dead"
        wait_until(lambda: not any(alive(pid) for pid in servers), 15,
                   f"the server {servers} of a killed close is gone")

        # 4. A rerun closes the month without waiting for anyone.
        rerun = subprocess.run([str(BIN / "thidua"), "run", "--period", PERIOD, "--unit", UNIT], env=cli_env(work),
                               cwd=work, capture_output=True, text=True, timeout=240)
    finally:
        for proc in procs:
            stop(proc)
    output = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, output[-4000:]
    assert "Waiting for lock" not in output
    still_in_inbox = sorted(p.name for p in (work / "inbox" / UNIT).iterdir()
                            if (p / PERIOD).is_dir() and any((p / PERIOD).iterdir()))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            loaded = sorted(conn.execute(sa.text(
                "SELECT source_code FROM loads WHERE unit_code = :u AND period = :p AND status = 'loaded'"),
                {"u": UNIT, "p": PERIOD}).scalars())
        found = ledger.audit(engine)
    finally:
        engine.dispose()
    assert still_in_inbox == [] and loaded == expected, (still_in_inbox, loaded, expected)
    ledger.record(half_loaded_batches=found["half_loaded_batches"], duplicate_loads=found["duplicate_loads"])
    assert found["half_loaded_batches"] == 0 and found["duplicate_loads"] == 0, found


# --- the lock primitive, on both warehouses ----------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from warehouse import locks
    with locks.hold(sys.argv[1], sys.argv[2], record=locks.holder_record("run-under-test", "holder-label")):
        print("held", flush=True)
        time.sleep(600)
""")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lock_whose_holder_is_killed_is_free_at_once(backend, tmp_path, pg_server_url):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}" if backend == "sqlite" else pg_server_url
    name = f"close-pytest-{uuid.uuid4().hex[:12]}"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, name], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        seen = []
        with pytest.raises(locks.LockTimeout) as refused:
            with locks.hold(url, name, timeout_s=0.6, poll_s=0.1, notify_every_s=0.2, on_wait=seen.append):
                pass
        # The waiting side names the holder, and gives up with a sentence naming it too.
        assert seen and all(w.holder is not None and w.holder.pid == holder.pid for w in seen)
        assert seen[0].holder.flow_run_id == "run-under-test" and seen[0].holder.label == "holder-label"
        assert f"still held by process {holder.pid} on host {socket.gethostname()} (holder-label, flow run " \
               f"run-under-test" in str(refused.value)
        if backend == "postgresql":  # the server's connection, for pg_terminate_backend
            assert seen[0].holder.backend_pid is not None
            assert f"PostgreSQL connection {seen[0].holder.backend_pid}" in str(refused.value)

        holder.kill()
        holder.wait(timeout=30)
        # Killed: the kernel (SQLite's file lock) or the server (PostgreSQL's session) has let go already.
        assert locks.read_holder(url, name) is None
        with locks.hold(url, name, timeout_s=30, poll_s=0.1):
            assert locks.read_holder(url, name).pid == os.getpid()
    finally:
        stop(holder)
