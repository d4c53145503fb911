"""Inputs at the boundary (issue 17, item 3): paths stay inside their roots, links are refused before anything
moves, and personal identifiers never leave the reading and validation code unmasked.

Real files and links on disk, a real SQLite warehouse, the ingest flow under Prefect's harness, a real
webhook (http.server) and SMTP server (aiosmtpd) on loopback. Expected values are the inputs themselves:
the outside file's bytes must not change, the name and the CCCD number typed into the NVQS sheet must be
absent from every output while the cell's address stays.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from tests.helpers import Env
from tests.integration.reliability import ledger
from tests.integration.reliability.test_ops_alerts import DownThenUpWebhook, Mailbox, free_port, owed

UNIT, PERIOD = "10549", "2025-10"
TODAY = dt.date(2026, 1, 20)


@pytest.fixture()
def inbox_env(tmp_path, prefect_harness, catalogue_path):
    from flows import tasks

    url = f"sqlite:///{tmp_path / 'data' / 'warehouse.sqlite'}"
    with Env(THIDUA_DATA_DIR=tmp_path / "data", THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=tmp_path / "inbox",
             THIDUA_UNIT=UNIT, THIDUA_PUBLIC_SERVICE_URL="", THIDUA_ALERT_WEBHOOK_URL="", THIDUA_SMTP_HOST=""):
        tasks.prepare_warehouse.fn(url, catalogue_path)
        yield url


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def loads_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM loads")).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.security
@pytest.mark.parametrize("linked", ["month folder", "file", "source folder"])
def test_a_link_leading_out_of_the_inbox_is_refused_and_the_outside_file_is_untouched(inbox_env, tmp_path,
                                                                                      samples_dir, linked):
    """The month folder (or the file, or the source folder) is a symbolic link to a folder outside the inbox
    holding a good tax workbook: the source is refused with a sentence naming the link, nothing is loaded
    or recorded, and the outside file stays where it was, byte for byte (nothing in quarantine/processed)."""
    from flows.monthly_close import ingest_delivery
    from flows.settings import get_settings

    original = next((samples_dir / "inbox" / UNIT / "tax" / PERIOD).iterdir())
    outside = tmp_path / "outside" / "tax" / PERIOD
    outside.mkdir(parents=True)
    shutil.copy(original, outside / original.name)
    before = snapshot(tmp_path / "outside")
    source_folder = tmp_path / "inbox" / UNIT / "tax"
    if linked == "month folder":
        source_folder.mkdir(parents=True)
        os.symlink(outside, source_folder / PERIOD, target_is_directory=True)
    elif linked == "source folder":
        source_folder.parent.mkdir(parents=True)
        os.symlink(outside.parent, source_folder, target_is_directory=True)
    else:
        (source_folder / PERIOD).mkdir(parents=True)
        os.symlink(outside / original.name, source_folder / PERIOD / original.name)
    outcome = ingest_delivery(get_settings(), "tax", UNIT, PERIOD, today=TODAY)
    assert outcome.status == "failed", outcome
    assert "link" in outcome.message and "nothing was moved" in outcome.message, outcome.message
    assert snapshot(tmp_path / "outside") == before
    assert not any((tmp_path / "data" / d).exists() and any((tmp_path / "data" / d).rglob("*.xlsx"))
                   for d in ("quarantine", "processed"))
    assert loads_count(inbox_env) == 0


@pytest.mark.security
@pytest.mark.parametrize("unit", ["../evil", "10549/../../evil"])
def test_filing_never_leaves_its_root(tmp_path, unit):
    """A unit code with '..' cannot make a delivery move out of processed/ or quarantine/ (the file stays)."""
    from flows import tasks

    delivered = tmp_path / "inbox" / "10549" / "tax" / PERIOD / "bao-cao.xlsx"
    delivered.parent.mkdir(parents=True)
    delivered.write_bytes(b"figures")
    with pytest.raises(tasks.PathOutsideRootError, match=r"'\.\.'"):
        tasks.file_delivery.fn(delivered, tmp_path / "processed" / unit / "tax" / PERIOD, True)
    assert delivered.read_bytes() == b"figures"
    assert not (tmp_path / "evil").exists()


# --------------------------------------------------------------------------------------------- personal data
NAME, CCCD = "Nguyễn Văn Hùng", "031204005678"   # a citizen as a clerk might type him into the register
CMND = "381234567"                                # an old 9-digit identity card number, in a free-text cell


def nvqs_mistyped(samples_dir: Path, period: str, out: Path, result, note=None) -> Path:
    """The health workbook of `period` with `result` typed into the 'Kết quả' cell of Mẫu 2a's 'Số lượng đã
    sơ tuyển' row (the NVQS register) and `note` into its 'Ghi chú' cell."""
    wb = openpyxl.load_workbook(next((samples_dir / "inbox" / UNIT / "health" / period).iterdir()))
    form = wb["Mẫu 2a"]
    row = next(c.row for r in form.iter_rows() for c in r if c.value == "Số lượng đã sơ tuyển")
    form.cell(row=row, column=3, value=result)
    if note is not None:
        form.cell(row=row, column=4, value=note)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def warehouse_texts(url: str) -> dict[str, str]:
    """Every table and every view of the warehouse as text (all columns, all rows)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = [*inspector.get_table_names(), *inspector.get_view_names()]
            return {name: "\n".join(repr(tuple(r)) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"')))
                    for name in names}
    finally:
        engine.dispose()


@pytest.mark.security
@pytest.mark.prefect
def test_a_name_and_cccd_typed_into_the_nvqs_register_appear_nowhere(tmp_path, prefect_harness, samples_dir):
    """October: a name and CCCD typed where a number belongs, so the file is refused. November: 9999 screened
    of 320 planned (a rule fails and an HTML validation report is written) with the name and CCCD in the
    row's note. Each problem points at its cell (sheet, row, column 'Kết quả') with the value masked: the
    name and the CCCD are in no table or view (loads.message, validation_results, alerts, v_*), no webhook
    body, no e-mail, no HTML validation report and not in the runs' results. The register's 9999 is a count,
    nobody's personal data: the clerk sees it in the report to find the mistake."""
    from flows.monthly_close import ingest_file

    bad = nvqs_mistyped(samples_dir, PERIOD, tmp_path / "given" / "y-te-2025-10.xlsx", f"{NAME} {CCCD}")
    wrong = nvqs_mistyped(samples_dir, "2025-11", tmp_path / "given" / "y-te-2025-11.xlsx", 9999,
                          f"{NAME}, CCCD {CCCD}")
    hook, mail = DownThenUpWebhook(), Mailbox(free_port())
    hook.start()
    mail.start()
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'warehouse.sqlite'}"
    try:
        with Env(THIDUA_DATA_DIR=data, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=tmp_path / "inbox", THIDUA_UNIT=UNIT,
                 THIDUA_PUBLIC_SERVICE_URL="", THIDUA_ALERT_WEBHOOK_URL=hook.url, THIDUA_SMTP_HOST="127.0.0.1",
                 THIDUA_SMTP_PORT=str(mail.port), THIDUA_SMTP_SECURITY="none", THIDUA_SMTP_USER="",
                 THIDUA_SMTP_PASSWORD="", THIDUA_SMTP_FROM="thidua@test.example",
                 THIDUA_SMTP_TO="van.phong@test.example"):
            result = [ingest_file(source_code="health", period=PERIOD, path=str(bad)),
                      ingest_file(source_code="health", period="2025-11", path=str(wrong))]
    finally:
        hook.close()
        mail.close()
    assert [r["sources"]["health"].status for r in result] == ["quarantined", "quarantined"]
    assert hook.received and mail.messages, "the refusal was not alerted"
    tables = warehouse_texts(url)
    outputs = {**{f"warehouse {name}": text for name, text in tables.items()},
               "webhook bodies": repr(hook.received), "e-mails": "\n".join(mail.bodies()),
               "run result": repr(result),
               **{f"file {p.relative_to(data)}": p.read_text(encoding="utf-8", errors="replace")
                  for p in (data / "reports").rglob("*") if p.is_file()}}
    reports = [text for k, text in outputs.items() if k.startswith("file reports/validation")]
    assert reports and any(k.startswith("warehouse v_") for k in outputs)
    assert any("9999" in text for text in reports)
    leaks = sorted({where for value in (NAME, CCCD) for where, text in outputs.items() if value in text})
    ledger.record(personal_found=len(leaks), alerts_lost=owed(url))
    assert leaks == []
    # masked, not dropped: the cell's address and the mask are there for the clerk
    for where in ("warehouse loads", "warehouse validation_results", "e-mails", "webhook bodies"):
        assert "[đã che]" in outputs[where] and "Kết quả" in outputs[where], where
    assert "'Mẫu 2a'" in outputs["e-mails"]
    assert owed(url) == 0


@pytest.mark.security
def test_id_numbers_are_masked_in_any_text_but_figures_stay():
    """9- and 12-digit identity numbers anywhere in a message are masked; money and decimals are not."""
    from flows.personal import MASK, mask_text

    text = f"Ghi chú: {NAME}, CCCD {CCCD}; CMND {CMND}. Thu 1234567890 đồng, 450000000.5, mã 10549"
    masked = mask_text(text)
    assert CCCD not in masked and CMND not in masked and masked.count(MASK) == 2
    assert "1234567890" in masked and "450000000.5" in masked and "10549" in masked
