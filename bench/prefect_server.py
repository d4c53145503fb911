"""A real Prefect server for the pipeline's measurements: PostgreSQL-backed (its own scratch database), on
loopback, as in production (ops/serve.sh). Started once per bench run; its CPU is shared with the jobs on
this machine, which is the production situation too; its memory is not counted in a job's peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bench.common import BENCH_DATA, PG_SERVER_URL, PgDatabase, _env, free_port, stop, wait_http

BIN = Path(sys.executable).parent


class PrefectServer:
    """``prefect server start`` on a free loopback port with a throw-away PostgreSQL database."""

    def __init__(self, label: str = "prefect"):
        self.db = PgDatabase(label, PG_SERVER_URL)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.home = BENCH_DATA / "prefect-home"
        self.proc: subprocess.Popen | None = None
        self.log = None

    @property
    def env(self) -> dict:
        """What a client (job, worker, deploy) needs to talk to this server."""
        return {"PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(self.home)}

    def __enter__(self) -> PrefectServer:
        self.db.__enter__()
        self.home.mkdir(parents=True, exist_ok=True)
        db_url = sa.engine.make_url(self.db.url).set(drivername="postgresql+asyncpg")
        env = {**_env(), "PREFECT_HOME": str(self.home),
               "PREFECT_API_DATABASE_CONNECTION_URL": db_url.render_as_string(hide_password=False)}
        env.pop("PREFECT_API_URL", None)
        self.log = open(self.home / "server.log", "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                                      str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.home)
        try:
            wait_http(f"{self.api_url}/health", self.proc, timeout=180, ok=(200,))
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop(self.proc)
        if self.log is not None:
            self.log.close()
        self.db.__exit__()


def pid_alive(pid: int) -> bool:
    """True while a process id exists (used to report stray workers)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
