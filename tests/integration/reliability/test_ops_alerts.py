"""Day-one faults of issue 17, item 2: alerts owed are alerts sent, and a quarantine is whole or not at all.

Each case injects its fault for real: the webhook's port has no listener and the SMTP server is not started
(connection refused) during a run, then both come up before an unrelated run; an alert whose sample holds
Infinity and NaN goes to a real webhook and a real SMTP server; another connection holds SQLite's write lock
while a bad delivery is quarantined; the quarantine folder cannot be created. Expected values are the inputs
(the file's bytes, the alert's key, the words for infinity), never computed by the code under test, and each
case records in the ledger what it measured (alerts lost, rows lost, half-loaded batches).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import Env
from tests.integration.reliability import ledger

pytestmark = [pytest.mark.fault, pytest.mark.prefect]

UNIT = "10549"
TODAY = dt.date(2026, 1, 20)
CHANNELS = ("webhook", "email")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on a port chosen beforehand, started only when asked (until then the
    port refuses connections, as a mail server that is down)."""

    def __init__(self, port: int):
        self.port, self.messages, self.controller = port, [], None

    def start(self) -> None:
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        messages = self.messages

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
                messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def bodies(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]

    def close(self) -> None:
        if self.controller is not None:
            self.controller.stop()


class DownThenUpWebhook:
    """A JSON webhook on a port chosen beforehand: it refuses connections until `start` puts a real receiver
    (http.server on loopback) there, which records every POST body."""

    def __init__(self):
        self.port, self.server, self.received = free_port(), None, []
        self.url = f"http://127.0.0.1:{self.port}/hooks/secret-token-17"

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture()
def channels():
    hook, mail = DownThenUpWebhook(), Mailbox(free_port())
    yield hook, mail
    hook.close()
    mail.close()


def env_for(tmp_path: Path, hook_url: str, mail_port: int, url: str | None = None) -> Env:
    return Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url or f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
               THIDUA_INBOX=tmp_path / "inbox", THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL="",
               THIDUA_ALERT_WEBHOOK_URL=hook_url, THIDUA_SMTP_HOST="127.0.0.1", THIDUA_SMTP_PORT=str(mail_port),
               THIDUA_SMTP_SECURITY="none", THIDUA_SMTP_USER="", THIDUA_SMTP_PASSWORD="",
               THIDUA_SMTP_FROM="thidua@test.example", THIDUA_SMTP_TO="van.phong@test.example")


def rows(url: str, sql: str, **params) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def owed(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        return ledger.alerts_owed(engine, CHANNELS)
    finally:
        engine.dispose()


def audit(url: str, expected_active: int) -> None:
    engine = sa.create_engine(url)
    try:
        found = ledger.audit(engine)
    finally:
        engine.dispose()
    ledger.record(rows_lost=max(0, expected_active - found["active_rows"]),
                  half_loaded_batches=found["half_loaded_batches"], duplicate_loads=found["duplicate_loads"])
    assert found == {"half_loaded_batches": 0, "duplicate_loads": 0, "orphan_observations": 0,
                     "active_rows": expected_active}, found


def garbage_delivery(folder: Path, name: str = "bao-cao-thu-nsnn-2025-10.xlsx") -> Path:
    """A 'workbook' that is not one: the tax connector refuses it, so it is quarantined and alerted."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"this is not a workbook\n" * 10)
    return path


# ------------------------------------------------------------------------------------- webhook down then up
def test_alert_owed_while_channels_are_down_is_sent_by_the_next_unrelated_run(channels, tmp_path, samples_dir):
    """Run 1 quarantines a bad tax file while the webhook and SMTP refuse connections: the alert is owed.
    The channels come up; run 2 ingests an unrelated good health file of another month and, first thing,
    delivers the owed alert on both channels, exactly once; run 3 sends nothing more."""
    from flows.monthly_close import ingest_file

    hook, mail = channels
    bad = garbage_delivery(tmp_path / "given")
    # 2024 months: the baseline year has no plan to judge, so each run is only the ingest and its alerts
    good = next((samples_dir / "inbox" / UNIT / "health" / "2024-09").iterdir())
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    with env_for(tmp_path, hook.url, mail.port):
        first = ingest_file(source_code="tax", period="2024-10", path=str(bad))["sources"]["tax"]
        assert first.status == "quarantined"
        assert set(first.alert["errors"]) == set(CHANNELS) and first.alert["sent"] == []
        key = first.alert["alert_key"]
        assert owed(url) == 1
        hook.start()
        mail.start()
        second = ingest_file(source_code="health", period="2024-09", path=str(good))["sources"]["health"]
        assert second.status == "loaded"
        third = ingest_file(source_code="health", period="2024-09", path=str(good))["sources"]["health"]
        assert third.status == "unchanged"
    keys = [body["alert"]["key"] for body in hook.received]
    assert keys == [key], keys
    assert hook.received[0]["alert"]["source_code"] == "tax" and hook.received[0]["alert"]["period"] == "2024-10"
    assert len(mail.messages) == 1 and "2024-10" in mail.messages[0]["Subject"]
    told = rows(url, "SELECT notified_channels FROM alerts WHERE alert_key = :k", k=key)[0][0]
    assert sorted(told.split(",")) == sorted(CHANNELS)
    lost = owed(url)
    ledger.record(alerts_lost=lost + (0 if keys == [key] else 1))
    assert lost == 0
    audit(url, expected_active=second.rows)


# ------------------------------------------------------------------------------------ Infinity in a sample
def test_an_alert_holding_infinity_and_nan_is_sent_and_stored_as_text(tmp_path, prefect_harness, catalogue_path):
    """A failed rule whose sample found Infinity (a growth over a zero base) and NaN: the webhook body is
    strict JSON with the strings 'Infinity' and 'NaN', the e-mail says 'vô cực' and 'không xác định', the
    stored detail is strict JSON, and nothing stays owed."""
    from flows import tasks
    from flows.settings import get_settings

    hook, mail = DownThenUpWebhook(), Mailbox(free_port())
    hook.start()
    mail.start()
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    validation = {"failed": [{
        "rule_id": "tax.growth_within_bounds", "severity": "error", "description_vi": "Tăng trưởng trong ngưỡng",
        "description_en": "Growth within bounds", "unexpected_count": 1, "found": float("inf"),
        "expected": "a finite growth",
        "samples": [{"source_file": "bao-cao.xlsx", "sheet": "Báo cáo", "row_number": 12, "column_name": "Tăng",
                     "letter": "F", "raw_text": float("inf"), "found": float("inf"), "expected": "a finite number",
                     "expected_vi": "một số hữu hạn"},
                    {"source_file": "bao-cao.xlsx", "sheet": "Báo cáo", "row_number": 13, "column_name": "Tăng",
                     "letter": "F", "raw_text": float("nan"), "found": float("nan"), "expected": "a finite number"}],
    }]}
    try:
        with env_for(tmp_path, hook.url, mail.port):
            tasks.prepare_warehouse.fn(url, catalogue_path)
            result = tasks.raise_alert.fn(
                get_settings(), kind="validation_failed", source_code="tax", unit_code=UNIT, period="2025-10",
                summary_vi="Tệp bao-cao.xlsx vi phạm 1 quy tắc", summary_en="File bao-cao.xlsx breaks 1 rule",
                detail_key="inf", validation=validation)
    finally:
        hook.close()
        mail.close()
    assert result["errors"] == {} and sorted(result["sent"]) == sorted(CHANNELS)
    body = json.dumps(hook.received[0], allow_nan=False)  # strict JSON went over the wire
    samples = hook.received[0]["alert"]["sample_rows"]
    assert [s["found"] for s in samples] == ["Infinity", "NaN"]
    assert hook.received[0]["alert"]["failed_rules"][0]["found"] == "Infinity"
    assert "Infinity" in body
    text = mail.bodies()[0]
    assert "gặp 'vô cực'" in text and "gặp 'không xác định'" in text
    assert "found 'Infinity'" in text and "found 'NaN'" in text
    stored = rows(url, "SELECT detail_json FROM alerts")[0][0]

    def refuse(token):
        raise ValueError(f"bare {token} in stored JSON")

    json.loads(stored, parse_constant=refuse)
    lost = owed(url)
    ledger.record(alerts_lost=lost)
    assert lost == 0


# ---------------------------------------------------------------------- warehouse locked during quarantine
@pytest.fixture()
def close_env(tmp_path, prefect_harness, catalogue_path):
    from flows import tasks

    hook, mail = DownThenUpWebhook(), Mailbox(free_port())
    hook.start()
    mail.start()
    # a short busy timeout (sqlite3's ?timeout=) so the locked write fails in 1 s instead of 30
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}?timeout=1"
    try:
        with env_for(tmp_path, hook.url, mail.port, url=url):
            tasks.prepare_warehouse.fn(url, catalogue_path)
            yield url.split("?")[0], hook, mail
    finally:
        hook.close()
        mail.close()


def test_warehouse_locked_during_quarantine_leaves_the_file_in_the_inbox_and_records_nothing(close_env, tmp_path):
    """Another connection holds SQLite's write lock while a bad inbox file is quarantined: the ingest fails
    with the warehouse's error (not 'missing'), the file is back in the inbox byte for byte, nothing is in
    quarantine, no load and no alert is recorded. Lock released, the rerun quarantines it whole and alerts."""
    from sqlalchemy.exc import OperationalError

    from flows.monthly_close import ingest_delivery
    from flows.settings import get_settings

    url, hook, mail = close_env
    inbox_file = garbage_delivery(tmp_path / "inbox" / UNIT / "tax" / "2025-10")
    content = inbox_file.read_bytes()
    holder = sqlite3.connect(tmp_path / "warehouse.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        with pytest.raises(OperationalError, match="locked"):
            ingest_delivery(get_settings(), "tax", UNIT, "2025-10", today=TODAY)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert inbox_file.read_bytes() == content
    assert not any((tmp_path / "quarantine").rglob("*.xlsx"))
    assert rows(url, "SELECT count(*) FROM loads")[0][0] == 0
    assert rows(url, "SELECT count(*) FROM alerts")[0][0] == 0
    again = ingest_delivery(get_settings(), "tax", UNIT, "2025-10", today=TODAY)
    assert again.status == "quarantined"
    assert not inbox_file.exists()
    kept = list((tmp_path / "quarantine" / UNIT / "tax" / "2025-10").iterdir())
    assert [p.read_bytes() for p in kept] == [content]
    assert rows(url, "SELECT status FROM loads") == [("quarantined",)]
    assert [b["alert"]["kind"] for b in hook.received] == ["validation_failed"] and len(mail.messages) == 1
    lost = owed(url)
    ledger.record(alerts_lost=lost)
    assert lost == 0
    audit(url, expected_active=0)


def test_a_failed_move_into_quarantine_records_nothing(close_env, tmp_path):
    """The quarantine folder cannot be made (a file stands where the unit's folder goes): the ingest fails
    saying so, the file stays in the inbox, no load is recorded; fixed, the rerun quarantines it."""
    from flows.monthly_close import ingest_delivery
    from flows.settings import get_settings
    from flows.tasks import DeliveryFilingError

    url, hook, _mail = close_env
    inbox_file = garbage_delivery(tmp_path / "inbox" / UNIT / "tax" / "2025-10")
    content = inbox_file.read_bytes()
    (tmp_path / "quarantine").mkdir(parents=True, exist_ok=True)
    blocker = tmp_path / "quarantine" / UNIT
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryFilingError, match="nothing was recorded"):
        ingest_delivery(get_settings(), "tax", UNIT, "2025-10", today=TODAY)
    assert inbox_file.read_bytes() == content
    assert rows(url, "SELECT count(*) FROM loads")[0][0] == 0
    blocker.unlink()
    again = ingest_delivery(get_settings(), "tax", UNIT, "2025-10", today=TODAY)
    assert again.status == "quarantined" and not inbox_file.exists()
    assert rows(url, "SELECT status FROM loads") == [("quarantined",)]
    lost = owed(url)
    ledger.record(alerts_lost=lost)
    assert lost == 0 and len(hook.received) == 1
    audit(url, expected_active=0)
