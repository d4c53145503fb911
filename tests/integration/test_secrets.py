"""Secrets never leak: a monthly close on a PostgreSQL warehouse, every secret set, everything failing.

The one-stop API token is wrong (the stand-in answers 401), the SMTP port is closed, the webhook URL
carries a token and its receiver answers 500, the warehouse URL carries a password (the test server
trusts loopback, so any password connects), and the tax delivery fails validation (quarantine, HTML
report, alert). Then every output the system produced is searched for each secret: captured
stdout/stderr and log records, every text column of every warehouse table (loads.message,
validation_results.result_json, alerts.message …), every file under the data folder, and what Prefect's
API stored about the run (flow and task runs, logs, artifacts). Control assertions prove that each
secret really was handed to the system, so the search cannot pass by not having anything to find.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from tests.helpers import Env
from tests.integration.reliability import ledger
from tests.integration.test_alerts import PERIOD, UNIT, deliver, free_port, tax_workbook

pytestmark = [pytest.mark.prefect, pytest.mark.security]


class FailingWebhook:
    """A webhook receiver on loopback that records each request path and answers 500."""

    def __init__(self, token: str):
        paths = self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                paths.append(self.path)
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"internal error")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/hooks/{token}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def standin_recording(samples_dir):
    """A stand-in one-stop API of its own (right token unknown to the system) that records Authorization."""
    from standin.public_service import serve

    server, _thread = serve(samples_dir / "public_service" / "dossiers.json", host="127.0.0.1", port=0,
                            token=f"right-{uuid.uuid4().hex}")
    seen: list[str] = []
    base = server.RequestHandlerClass

    class Recording(base):
        def parse_request(self):
            ok = super().parse_request()
            if ok:
                seen.append(self.headers.get("Authorization") or "")
            return ok

    server.RequestHandlerClass = Recording
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}", seen
    server.shutdown()
    server.server_close()


def _warehouse_texts(url: str) -> dict[str, str]:
    """Every table of the warehouse as text (all columns, all rows)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in sa.inspect(conn).get_table_names():
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
                out[table] = "\n".join(repr(tuple(r)) for r in rows)
            return out
    finally:
        engine.dispose()


def _prefect_texts(flow_run_id) -> dict[str, str]:
    """What Prefect's API keeps about one flow run: the run, its task runs, its logs, its artifacts."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {
        "flow run": run.model_dump_json(),
        "task runs": "\n".join(t.model_dump_json() for t in task_runs),
        "logs": "\n".join(log.model_dump_json() for log in logs),
        "artifacts": "\n".join(a.model_dump_json() for a in artifacts),
    }


def test_no_secret_appears_in_any_output(prefect_harness, samples_dir, tmp_path, pg_url, standin_recording,
                                         caplog, capfd):
    from flows.monthly_close import close_month
    from flows.settings import get_settings

    secrets = {
        "api token": f"apitok-{uuid.uuid4().hex}",
        "smtp password": f"smtppw-{uuid.uuid4().hex}",
        "webhook token": f"hooktok-{uuid.uuid4().hex}",
        "warehouse password": f"pgpw-{uuid.uuid4().hex}",
    }
    api_url, seen_auth = standin_recording
    hook = FailingWebhook(secrets["webhook token"])
    warehouse_url = sa.engine.make_url(pg_url).set(password=secrets["warehouse password"]).render_as_string(
        hide_password=False)
    closed_smtp_port = free_port()  # bound and released: nothing listens there
    data_dir = tmp_path / "data"
    inbox = data_dir / "inbox"
    corrupted = tax_workbook(samples_dir, tmp_path / "bad" / f"bao-cao-thu-nsnn-{PERIOD}.xlsx",
                             {"TỔNG THU NSNN TRÊN ĐỊA BÀN": 500.0})
    deliver(samples_dir, inbox, "tax", corrupted)
    deliver(samples_dir, inbox, "health")

    caplog.set_level(logging.DEBUG)  # the strictest case: someone debugging with every logger at DEBUG
    caplog.set_level(logging.DEBUG, logger="urllib3")  # (some imports quieten it to WARNING)
    # Prefect's logging setup replaces the root logger's handlers (caplog's among them) and its own
    # loggers do not propagate: watch the loggers that matter directly.
    watched = [logging.getLogger(name) for name in ("prefect", "urllib3", "alerts", "flows", "connectors",
                                                    "warehouse", "expectations", "reports")]
    for logger in watched:
        logger.addHandler(caplog.handler)
    try:
        with Env(THIDUA_DATA_DIR=data_dir, THIDUA_WAREHOUSE_URL=warehouse_url, THIDUA_INBOX=inbox,
                 THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL=api_url,
                 THIDUA_PUBLIC_SERVICE_TOKEN=secrets["api token"], THIDUA_ALERT_WEBHOOK_URL=hook.url,
                 THIDUA_SMTP_HOST="127.0.0.1", THIDUA_SMTP_PORT=closed_smtp_port, THIDUA_SMTP_SECURITY="none",
                 THIDUA_SMTP_USER="thidua", THIDUA_SMTP_PASSWORD=secrets["smtp password"],
                 THIDUA_SMTP_FROM="thidua@test.example", THIDUA_SMTP_TO="van.phong@test.example"):
            settings = get_settings()
            state = close_month(period=PERIOD, unit_code=UNIT, return_state=True)
    finally:
        for logger in watched:
            logger.removeHandler(caplog.handler)
        hook.close()
    result = state.result()
    captured = capfd.readouterr()

    # Control: each secret was really given to the system, and each failure really happened.
    assert f"Bearer {secrets['api token']}" in seen_auth               # the stand-in saw the wrong token
    api = result["sources"]["public_service"]
    assert api.status == "failed" and "HTTP 401" in api.message
    assert "answered HTTP 500" in api.alert["errors"]["webhook"]       # both channels really failed
    assert "ConnectionRefusedError" in api.alert["errors"]["email"]
    assert hook.paths and all(p == f"/hooks/{secrets['webhook token']}" for p in hook.paths)
    email = next(c for c in settings.alert_channels() if c.name == "email")
    assert email.password == secrets["smtp password"] and email.port == closed_smtp_port
    assert settings.warehouse_url == warehouse_url
    assert result["sources"]["tax"].status == "quarantined"
    assert list((data_dir / "quarantine").rglob("*.xlsx"))
    assert list((data_dir / "reports").rglob("*.html"))

    warehouse = _warehouse_texts(pg_url)
    assert "tax.parent_equals_children" in warehouse["validation_results"]
    assert "validation_failed" in warehouse["alerts"]
    files = {str(p.relative_to(data_dir)): p.read_bytes().decode("utf-8", errors="replace")
             for p in data_dir.rglob("*") if p.is_file()}
    outputs = {
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''} {r.args!r}"
                                 for r in caplog.records),
        **{f"warehouse table {t}": text for t, text in warehouse.items()},
        **{f"file {name}": text for name, text in files.items()},
        **{f"prefect {k}": text for k, text in _prefect_texts(state.state_details.flow_run_id).items()},
        "result": repr(result),
    }
    # Prefect ships run logs to its API only at or above PREFECT_LOGGING_LEVEL (WARNING under `make test`),
    # so the API's log store may be empty; the captured records below are always there.
    assert caplog.records, "no logs to search"
    assert "HTTP 401" in outputs["prefect logs"] + outputs["log records"] + outputs["prefect artifacts"]

    leaks = [(name, where) for name, secret in secrets.items() for where, text in outputs.items()
             if secret in text]
    ledger.record(secrets_found=len(leaks))  # the reliability summary's "secrets found in outputs"
    lines = [(name, where, line[:300]) for name, where in leaks for line in outputs[where].splitlines()
             if secrets[name] in line]
    assert leaks == [], json.dumps(lines[:20], ensure_ascii=False, indent=1)
    assert '"POST /…' in outputs["log records"]  # urllib3's request line to the webhook, path hidden
