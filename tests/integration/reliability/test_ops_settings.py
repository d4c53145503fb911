"""Faults an operator meets on day one, through the real `thidua` program: a warehouse that cannot be reached
(its own exit code, 4), the usual PostgreSQL spellings on the real server, a failure inside a flow, and the
Prefect API going away while the program exits (Prefect's shutdown noise).

Each subprocess runs the installed program (`python -m flows.cli`, the same `app()` as `.venv/bin/thidua`)
against the session's Prefect test server (PREFECT_API_URL), so no server is started here.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import Env

pytestmark = pytest.mark.fault

REPO = Path(__file__).resolve().parents[3]
PLAN = REPO / "catalogue" / "ke-hoach-2025-10549.yaml"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_an_unreachable_warehouse_is_exit_4_in_one_sentence(tmp_path, scheme):
    """Was: `postgresql://` -> ModuleNotFoundError psycopg2 (traceback, exit 1); a refused connection exit 2."""
    from flows.cli import app

    url = f"{scheme}://postgres@127.0.0.1:{closed_port()}/test"
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url, THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"):
        result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 4, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: cannot use the warehouse (THIDUA_WAREHOUSE_URL): connection failed")
    assert "exit 4" in lines[0]


def test_the_postgres_spelling_works_on_the_real_server(tmp_path, pg_url):
    """`postgres://` (libpq's and many hosts' spelling) reaches PostgreSQL through psycopg 3."""
    import sqlalchemy as sa

    from flows.cli import app

    plain = pg_url.replace("postgresql+psycopg://", "postgres://", 1)
    assert plain.startswith("postgres://")
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=plain, THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"):
        result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout.strip() == "warehouse is at the latest schema"
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM plans").scalar_one() == 0
    finally:
        engine.dispose()


# ------------------------------------------------------------------ the real program, in a subprocess


@pytest.fixture(scope="module")
def api_url(prefect_harness):
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def program_env(tmp_path: Path, api: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    env.update(PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_LOGGING_LEVEL="INFO",
               THIDUA_DATA_DIR=str(tmp_path / "data"), THIDUA_CATALOGUE=str(PLAN), THIDUA_UNIT="10549",
               PYTHONPATH=str(REPO))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_a_failure_inside_the_flow_is_one_sentence_on_the_terminal(tmp_path, api_url):
    """A catalogue whose target breaks a rule fails inside the monthly-close flow: Prefect used to print the
    task's and the flow's traceback before the sentence."""
    broken = tmp_path / "ke-hoach-2025-10549.yaml"
    broken.write_text(PLAN.read_text(encoding="utf-8").replace("comparison: band", "comparison: bandx", 1),
                      encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--period", "2025-06"], cwd=tmp_path,
                         env=program_env(tmp_path, api_url, THIDUA_CATALOGUE=broken), capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line or line.startswith("error:")]
    assert errors == ["error: catalogue: target CT01a: field 'comparison': 'bandx' is not one of band, at_least, "
                      "strictly_above, strictly_below, all, qualitative"], run.stderr


def test_an_unreachable_prefect_api_is_exit_4_in_one_sentence(tmp_path):
    """Was: a 60-line traceback ending in RuntimeError('Failed to reach API at …'), exit 1."""
    api = f"http://127.0.0.1:{closed_port()}/api"
    run = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--period", "2025-06"], cwd=tmp_path,
                         env=program_env(tmp_path, api), capture_output=True, text=True, timeout=300)
    assert run.returncode == 4, run.stderr[-3000:]
    assert run.stderr.strip().splitlines() == [
        f"error: cannot reach the Prefect API (PREFECT_API_URL): Failed to reach API at {api}/ "
        "(exit 4: try again once it is back)"], run.stderr[-3000:]


class CuttableProxy:
    """A loopback TCP relay to the Prefect API that the test can cut: the API "goes away"."""

    def __init__(self, target: str):
        host, port = target.split("//", 1)[1].split("/", 1)[0].split(":")
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        self.cut_event = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.split('//', 1)[1].split('/', 1)[1]}"

    def _serve(self):
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ, None)
        while not self.cut_event.is_set():
            for key, _ in sel.select(timeout=0.1):
                if key.data is None:
                    client, _ = self.listener.accept()
                    upstream = socket.create_connection(self.target)
                    self.sockets += [client, upstream]
                    sel.register(client, selectors.EVENT_READ, upstream)
                    sel.register(upstream, selectors.EVENT_READ, client)
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    for s in (key.fileobj, key.data):
                        try:
                            sel.unregister(s)
                        except (KeyError, ValueError):
                            pass
                        s.close()
                    continue
                try:
                    key.data.sendall(data)
                except OSError:
                    pass
        for s in self.sockets:
            s.close()

    def cut(self):
        self.cut_event.set()


NOISY_EXIT = """
import sys
import typer
from flows.cli import app

@app.command("noisy-exit")
def noisy_exit():
    from prefect import flow, get_run_logger

    @flow(name="noisy-exit")
    def chatty():
        log = get_run_logger()
        for i in range(50):
            log.info("progress line %s", i)

    chatty()
    print("FLOW-DONE", flush=True)
    sys.stdin.readline()  # the test cuts the API here

if sys.argv[1] == "without-quiet":
    typer.Typer.__call__(app, args=["noisy-exit"])  # the program as it was: typer's own entry
else:
    app(args=["noisy-exit"])
"""


def _exit_while_the_api_is_gone(tmp_path: Path, api_url: str, mode: str) -> subprocess.CompletedProcess:
    proxy = CuttableProxy(api_url)
    script = tmp_path / "noisy_exit.py"
    script.write_text(NOISY_EXIT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), mode], cwd=tmp_path, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=program_env(tmp_path, proxy.url(api_url), PREFECT_LOGGING_TO_API_BATCH_INTERVAL=60))
    try:
        first = proc.stdout.readline().strip()
        if first != "FLOW-DONE":
            proc.kill()
            pytest.fail(f"the flow did not finish: {first!r}; stderr: {proc.communicate()[1][-2000:]}")
        proxy.cut()
        out, err = proc.communicate("\n", timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_prefects_shutdown_is_silent_once_the_command_has_ended(tmp_path, api_url):
    """The Prefect API goes away while the program exits with run logs still to send (what a busy machine
    sees when the temporary server stops first). Prefect's log worker then writes '--- Error logging to API'
    to the terminal, after the command's own output: the program without the quiet exit shows it (the fault
    is real), the program does not."""
    for mode in ("without-quiet", "quiet"):
        (tmp_path / mode).mkdir()
    before = _exit_while_the_api_is_gone(tmp_path / "without-quiet", api_url, "without-quiet")
    assert "Error logging to API" in before.stderr, before.stderr[-2000:]

    after = _exit_while_the_api_is_gone(tmp_path / "quiet", api_url, "quiet")
    assert after.returncode == 0, after.stderr[-2000:]
    assert "Error logging to API" not in after.stderr and "Traceback" not in after.stderr, after.stderr[-2000:]


def test_a_database_the_server_does_not_have_is_the_users_mistake(tmp_path, pg_url):
    """Tried as a new user: a URL naming a database the (reachable) server lacks said 'try again once it is
    back' with exit 4; retrying never helps, so it is exit 2, naming the setting."""
    import sqlalchemy as sa

    from flows.cli import app

    url = sa.engine.make_url(pg_url).set(database="thidua_no_such_db").render_as_string(hide_password=False)
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url, THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"):
        result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, lines
    assert lines[0].startswith("error: THIDUA_WAREHOUSE_URL:") and "thidua_no_such_db" in lines[0]


def test_an_output_path_of_the_wrong_kind_is_one_sentence(tmp_path):
    """`thidua template --out` naming a folder that is a file: the path and why, exit 2, no traceback."""
    from flows.cli import app

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"):
        result = CliRunner().invoke(app, ["template", "--year", "2025", "--unit", "10549",
                                          "--out", str(blocker / "chi-tieu.xlsx")])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(blocker) in lines[0] and "Traceback" not in result.output, lines


def test_a_closed_pipe_ends_the_command_quietly(tmp_path, capsys):
    """`thidua … | head -1`: the reader left while the command wrote. That is no unreachable service (it said
    'a service is unreachable: BrokenPipeError … exit 4'): the command ends quietly with 0."""
    import typer

    from flows.cli import friendly

    @friendly
    def writes_into_a_closed_pipe():
        raise BrokenPipeError(32, "Broken pipe")

    stdout = sys.stdout
    try:
        with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"), \
                pytest.raises(typer.Exit) as ended:
            writes_into_a_closed_pipe()
    finally:
        sys.stdout = stdout
    assert ended.value.exit_code == 0
    assert capsys.readouterr().err == ""


def test_the_temporary_servers_output_goes_to_its_log_not_the_terminal(tmp_path):
    """Tried as a new user: 1 run in 3 printed ~350 lines of the temporary Prefect server's shutdown tracebacks
    (CancelledError, aiosqlite) after the command's answer. The server's stdout and stderr are its log file."""
    script = (
        "from flows.ephemeral import tie_ephemeral_server_to_this_process as tie\n"
        "tie()\n"
        "import os\n"
        "from prefect.server.api.server import SubprocessASGIServer\n"
        "s = SubprocessASGIServer(); s.start()\n"
        "pid = s.server_process.pid\n"
        "print(os.readlink(f'/proc/{pid}/fd/1')); print(os.readlink(f'/proc/{pid}/fd/2'))\n"
        "s.stop()\n")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    log = str(tmp_path / "prefect" / "ephemeral-server.log")
    assert done.stdout.split() == [log, log]
    assert "Traceback" not in done.stderr
