"""Alerts end to end, against real receivers on loopback: a JSON webhook (http.server) and an SMTP server
(aiosmtpd). Runs the monthly-close flow under Prefect's harness on a SQLite warehouse.

The story of issue 4: a good October, then a corrupted October re-delivery (alerted exactly once on
each channel, nothing loaded, the attainment still from the good load), a rerun (nothing sent, nothing
written), then a corrected re-delivery (loaded, attainment recomputed, "resolved" sent exactly once).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from tests.helpers import Env

pytestmark = [pytest.mark.prefect]

UNIT, PERIOD = "10549", "2025-10"
FILE_SOURCES = ("tax", "health", "education", "indicators")


class Webhook:
    """A JSON webhook receiver on loopback that records every POST body."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/hooks/secret-token-123"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message."""

    def __init__(self):
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        messages = self.messages = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
                messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()


@pytest.fixture()
def receivers():
    hook, mail = Webhook(), Mailbox()
    yield hook, mail
    hook.close()
    mail.close()


@pytest.fixture()
def env(tmp_path, prefect_harness, standin_api, receivers):
    hook, mail = receivers
    base_url, token = standin_api
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
             THIDUA_INBOX=tmp_path / "inbox", THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL=base_url,
             THIDUA_PUBLIC_SERVICE_TOKEN=token, THIDUA_ALERT_WEBHOOK_URL=hook.url,
             THIDUA_SMTP_HOST="127.0.0.1", THIDUA_SMTP_PORT=mail.port, THIDUA_SMTP_SECURITY="none",
             THIDUA_SMTP_USER="", THIDUA_SMTP_PASSWORD="", THIDUA_SMTP_FROM="thidua@test.example",
             THIDUA_SMTP_TO="pho.chu.tich@test.example, van.phong@test.example") as e:
        yield e


def deliver(samples_dir, inbox: Path, source: str, replacement: Path | None = None) -> Path:
    folder = inbox / UNIT / source / PERIOD
    folder.mkdir(parents=True, exist_ok=True)
    original = next((samples_dir / "inbox" / UNIT / source / PERIOD).iterdir())
    target = folder / original.name
    shutil.copy(replacement or original, target)
    return target


def tax_workbook(samples_dir, out: Path, changes: dict[str, float]) -> Path:
    """The October tax workbook with `Thực hiện tháng` changed on the rows labelled by `changes`."""
    original = next((samples_dir / "inbox" / UNIT / "tax" / PERIOD).iterdir())
    wb = openpyxl.load_workbook(original)
    ws = wb.worksheets[0]
    header_col = next(c.column for row in ws.iter_rows() for c in row if c.value == "Thực hiện tháng")
    rows = {}
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.strip() in changes and c.column <= 2:  # STT or label
                rows[c.value.strip()] = c.row
    assert set(rows) == set(changes), rows
    for label, delta in changes.items():
        cell = ws.cell(row=rows[label], column=header_col)
        cell.value = float(cell.value) + delta
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def counts(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
               for t in ("loads", "observations", "validation_results", "attainment_evaluations", "alerts")}
        out["active_tax"] = conn.execute(sa.text(
            "SELECT load_id FROM loads WHERE source_code='tax' AND status='loaded'")).scalar_one()
    engine.dispose()
    return out


def tax_inputs(attainment) -> set[int]:
    row = attainment.set_index("target_code").loc["CT01a"]
    return {i["load_id"] for i in row["inputs"] if i["source"] == "tax"}


def test_bad_redelivery_is_alerted_once_and_its_fix_once(env, samples_dir, tmp_path, receivers):
    from flows.monthly_close import close_month

    hook, mail = receivers
    url = env.values["THIDUA_WAREHOUSE_URL"]
    inbox = tmp_path / "inbox"
    for source in FILE_SOURCES:
        deliver(samples_dir, inbox, source)

    # 1. A good October: everything loads, files move to processed/, no alert.
    good = close_month(period=PERIOD, unit_code=UNIT)
    assert {c: o.status for c, o in good["sources"].items()} == {c: "loaded" for c in good["sources"]}
    good_tax = good["sources"]["tax"].load_id
    assert tax_inputs(good["attainment"]) == {good_tax}
    assert [p for s in FILE_SOURCES for p in (inbox / UNIT / s / PERIOD).iterdir()] == []
    assert (tmp_path / "processed" / UNIT / "tax" / PERIOD / "bao-cao-thu-nsnn-2025-10.xlsx").is_file()
    report = good["sources"]["tax"].report_path
    assert report.is_file() and "ĐẠT / PASSED" in report.read_text(encoding="utf-8")
    assert hook.received == [] and mail.messages == []
    before = counts(url)

    # 2. A corrupted re-delivery: the total no longer equals its items (+500 million on the total only).
    corrupted = tax_workbook(samples_dir, tmp_path / "bad" / "bao-cao-thu-nsnn-2025-10.xlsx",
                             {"TỔNG THU NSNN TRÊN ĐỊA BÀN": 500.0})
    placed = deliver(samples_dir, inbox, "tax", corrupted)
    bad = close_month(period=PERIOD, unit_code=UNIT)
    outcome = bad["sources"]["tax"]
    assert outcome.status == "quarantined"
    assert not placed.exists()
    assert (tmp_path / "quarantine" / UNIT / "tax" / PERIOD / placed.name).is_file()
    after = counts(url)
    assert after["observations"] == before["observations"]
    assert after["active_tax"] == good_tax
    assert tax_inputs(bad["attainment"]) == {good_tax}
    assert len(hook.received) == 1 and len(mail.messages) == 1
    alert = hook.received[0]["alert"]
    assert alert["kind"] == "validation_failed" and alert["status"] == "open"
    assert alert["unit_name"] == "Phường Chu Văn An" and alert["source_code"] == "tax"
    assert alert["period"] == PERIOD
    assert [r["rule_id"] for r in alert["failed_rules"]] == ["tax.parent_equals_children"]
    total_row = next(r for r in alert["sample_rows"])
    assert total_row["row_number"] == 10 and total_row["sheet"] == "Thu NSNN"
    assert total_row["source_file"] == "bao-cao-thu-nsnn-2025-10.xlsx"
    report_path = Path(alert["report_url"].removeprefix("file://"))
    assert report_path.is_file()
    html = report_path.read_text(encoding="utf-8")
    assert "tax.parent_equals_children" in html and "http" not in html.split("<body>")[0]
    text = hook.received[0]["text"]
    assert "Dòng tổng bằng tổng các dòng chi tiết" in text and "Parent rows equal the sum" in text
    assert "secret-token-123" not in json.dumps(hook.received)
    rcpts, email = mail.messages[0]
    assert sorted(rcpts) == ["pho.chu.tich@test.example", "van.phong@test.example"]
    assert "Phường Chu Văn An" in email["Subject"] and "tax 2025-10" in email["Subject"]
    body = email.get_content()  # the total's cell, a Vietnamese line then an English line
    assert "trang 'Thu NSNN', dòng 10, cột " in body and "sheet 'Thu NSNN', row 10, column 'Thực hiện tháng'" in body

    # The stored validation result names the rule and the rows.
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = json.loads(conn.execute(sa.text(
            "SELECT v.result_json FROM validation_results v JOIN loads l ON l.load_id = v.load_id "
            "WHERE l.status = 'quarantined'")).scalar_one())
    engine.dispose()
    [failure] = stored["failed"]
    assert failure["rule_id"] == "tax.parent_equals_children" and failure["samples"][0]["row_number"] == 10

    # 3. A rerun with the inbox empty: nothing sent, nothing written, tax says its good load is in force.
    # The same bad file delivered again is the same failure: quarantined again, not alerted again.
    again = close_month(period=PERIOD, unit_code=UNIT)
    assert again["sources"]["tax"].status == "unchanged" and again["sources"]["tax"].load_id == good_tax
    assert counts(url) == after
    deliver(samples_dir, inbox, "tax", corrupted)
    assert close_month(period=PERIOD, unit_code=UNIT)["sources"]["tax"].status == "quarantined"
    assert len(hook.received) == 1 and len(mail.messages) == 1

    # 4. A corrected re-delivery: item 9, section I and the total change together. Loaded, attainment
    # recomputed from the new load, and the fix announced once on each channel.
    fixed = tax_workbook(samples_dir, tmp_path / "fixed" / "bao-cao-thu-nsnn-2025-10.xlsx",
                         {"9": 100.0, "Thu nội địa": 100.0, "TỔNG THU NSNN TRÊN ĐỊA BÀN": 100.0})
    deliver(samples_dir, inbox, "tax", fixed)
    corrected = close_month(period=PERIOD, unit_code=UNIT)
    assert corrected["sources"]["tax"].status == "replaced"
    new_tax = corrected["sources"]["tax"].load_id
    assert new_tax != good_tax and tax_inputs(corrected["attainment"]) == {new_tax}
    assert len(hook.received) == 2 and len(mail.messages) == 2
    notice = hook.received[1]["alert"]
    assert notice["status"] == "resolved" and notice["source_code"] == "tax" and notice["period"] == PERIOD
    assert "Đã khắc phục" in mail.messages[1][1]["Subject"]

    close_month(period=PERIOD, unit_code=UNIT)
    assert len(hook.received) == 2 and len(mail.messages) == 2


def test_late_source_is_alerted_once_then_resolved_once(env, samples_dir, tmp_path, receivers):
    from flows.monthly_close import close_month

    hook, mail = receivers
    inbox = tmp_path / "inbox"
    for source in ("tax", "education", "indicators"):
        deliver(samples_dir, inbox, source)
    # Health for October 2025 was due on 5 November 2025; today (2026) is long past it.
    first = close_month(period=PERIOD, unit_code=UNIT)
    assert first["sources"]["health"].status == "missing"
    assert [m["alert"]["kind"] for m in hook.received] == ["source_late"]
    assert hook.received[0]["alert"]["source_code"] == "health"
    assert "05/11/2025" in hook.received[0]["text"]
    close_month(period=PERIOD, unit_code=UNIT)
    assert len(hook.received) == 1 and len(mail.messages) == 1

    deliver(samples_dir, inbox, "health")
    assert close_month(period=PERIOD, unit_code=UNIT)["sources"]["health"].status == "loaded"
    assert [(m["alert"]["kind"], m["alert"]["status"]) for m in hook.received] == [
        ("source_late", "open"), ("source_late", "resolved")]
    assert len(mail.messages) == 2


def test_unreachable_source_is_alerted_once_after_the_retries(env, samples_dir, tmp_path, receivers,
                                                              monkeypatch):
    from prefect import task

    from connectors.errors import RetriableSourceError
    from flows import tasks
    from flows.monthly_close import close_month

    hook, _mail = receivers
    calls = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=tasks._retry_only_retriable)
    def fetch_dossiers(base_url, token, unit_code, period, **_client_options):
        calls.append(period)
        raise RetriableSourceError("HTTP 503 from the one-stop API")

    monkeypatch.setattr(tasks, "fetch_dossiers", fetch_dossiers)
    for source in FILE_SOURCES:
        deliver(samples_dir, inbox=tmp_path / "inbox", source=source)
    result = close_month(period=PERIOD, unit_code=UNIT)
    assert result["sources"]["public_service"].status == "failed"
    assert len(calls) == 3  # the first try and two retries: one alert, not three
    kinds = [m["alert"]["kind"] for m in hook.received]
    assert kinds.count("source_unreachable") == 1
    close_month(period=PERIOD, unit_code=UNIT)
    assert [m["alert"]["kind"] for m in hook.received].count("source_unreachable") == 1


def test_a_failed_flow_run_reaches_the_alerting(env, tmp_path, receivers):
    from flows.monthly_close import close_month

    hook, _mail = receivers
    with Env(THIDUA_CATALOGUE=tmp_path / "no-such-catalogue.yaml"):
        with pytest.raises(Exception):  # noqa: B017, PT011 (whatever the failure, the hook must run)
            close_month(period=PERIOD, unit_code=UNIT)
    assert [m["alert"]["kind"] for m in hook.received] == ["flow_failed"]
    assert hook.received[0]["alert"]["source_code"] == "monthly-close"
    assert hook.received[0]["alert"]["period"] == PERIOD
