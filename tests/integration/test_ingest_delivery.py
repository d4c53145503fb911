"""One delivery through `thidua ingest`: load, re-delivery with a correction, and bad deliveries that are
quarantined while earlier good data stays in force. Runs the real CLI and flow under Prefect's harness on
a real SQLite warehouse."""

from __future__ import annotations

import re
import shutil

import openpyxl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import Env

pytestmark = [pytest.mark.prefect]

PERIOD = "2025-12"


def sample(samples_dir, source, prefix):
    folder = samples_dir / "inbox" / "10549" / source / PERIOD
    [path] = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    return path


def find_cell(ws, row_label: str, column_label: str):
    """The cell at the row with a cell equal to `row_label` and the column whose header equals `column_label`."""
    header_col = row_idx = None
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                if header_col is None and cell.value.strip() == column_label:
                    header_col = cell.column
                if row_idx is None and cell.value.strip() == row_label:
                    row_idx = cell.row
    assert header_col and row_idx, (row_label, column_label)
    return ws.cell(row=row_idx, column=header_col)


@pytest.fixture()
def env(tmp_path, prefect_harness):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=url, THIDUA_INBOX=tmp_path / "inbox",
             THIDUA_UNIT="10549") as e:
        yield e


def loads(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT load_id, source_code, period, status FROM loads ORDER BY load_id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def user_output(result) -> str:
    """What the user sees, without Prefect's "--- Logging error ---" blocks: its console handler keeps the
    stream of an earlier CliRunner invocation (closed by then) and reports that inside the next output."""
    return re.sub(r"--- Logging error ---.*?\nArguments: [^\n]*\n", "", result.output, flags=re.S)


def ingest(source, path):
    return CliRunner().invoke(app, ["ingest", "--source", source, "--period", PERIOD, "--file", str(path)])


def test_load_then_correction_then_bad_file(env, samples_dir, tmp_path):
    url = env.values["THIDUA_WAREHOUSE_URL"]
    original = sample(samples_dir, "tax", "bao-cao")

    first = ingest("tax", original)
    assert first.exit_code == 0, first.output
    assert "loaded" in first.stdout
    again = ingest("tax", original)
    assert again.exit_code == 0 and "unchanged" in again.stdout
    assert [s for *_, s in loads(url)] == ["loaded"]

    # A corrected re-delivery: item 9's month figure changes, and with it section I and the total (a
    # correction that leaves the total unequal to its items would be quarantined).
    corrected = tmp_path / "corrected" / original.name
    corrected.parent.mkdir()
    wb = openpyxl.load_workbook(original)
    ws = wb.worksheets[0]
    for row_label in ("9", "Thu nội địa", "TỔNG THU NSNN TRÊN ĐỊA BÀN"):
        cell = find_cell(ws, row_label, "Thực hiện tháng")
        cell.value = float(cell.value) + 1.0
    wb.save(corrected)
    replaced = ingest("tax", corrected)
    assert replaced.exit_code == 0, replaced.output
    assert "replaced" in replaced.stdout or "loaded" in replaced.stdout
    assert [s for *_, s in loads(url)] == ["superseded", "loaded"]

    # A file that is not a workbook at all: one sentence, exit 2, quarantined, the correction stays.
    broken = tmp_path / "broken" / "bao-cao-thu-nsnn-2025-12.xlsx"
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 this is not really a workbook")
    bad = ingest("tax", broken)
    assert bad.exit_code == 2
    assert "Traceback" not in user_output(bad)
    assert "quarantined" in bad.output
    assert [s for *_, s in loads(url)] == ["superseded", "loaded", "quarantined"]
    assert (tmp_path / "quarantine" / "10549" / "tax" / PERIOD / broken.name).exists()


def test_rate_with_numerator_above_denominator_is_quarantined_with_its_row(env, samples_dir, tmp_path):
    url = env.values["THIDUA_WAREHOUSE_URL"]
    original = sample(samples_dir, "indicators", "chi-tieu")
    assert ingest("indicators", original).exit_code == 0

    bad = tmp_path / "bad" / original.name
    bad.parent.mkdir()
    wb = openpyxl.load_workbook(original)
    ws = wb.worksheets[0]
    total_households = find_cell(ws, "HO_NGHEO_MS", "Tháng 12").value
    cell = find_cell(ws, "HO_NGHEO_TS", "Tháng 12")
    cell.value = float(total_households) + 10
    wb.save(bad)
    result = ingest("indicators", bad)
    assert result.exit_code == 2
    assert "quarantined" in result.output
    assert f"row {cell.row}" in result.output
    assert [s for *_, s in loads(url)] == ["loaded", "quarantined"]


def test_bad_period_and_missing_file_are_one_sentence(env, tmp_path):
    runner = CliRunner()
    r1 = runner.invoke(app, ["ingest", "--source", "tax", "--period", "2025-13", "--file", str(tmp_path)])
    assert r1.exit_code == 2 and "YYYY-MM" in r1.output and "Traceback" not in r1.output
    r2 = runner.invoke(app, ["ingest", "--source", "tax", "--period", "2025-12",
                             "--file", str(tmp_path / "nope.xlsx")])
    assert r2.exit_code == 2 and "does not exist" in r2.output
    r3 = runner.invoke(app, ["attainment", "--period", "2025-12", "--format", "json"])
    assert r3.exit_code == 2 and "run `thidua run" in r3.output


def test_a_second_file_in_the_inbox_is_refused_clearly(env, samples_dir, tmp_path):
    from flows.monthly_close import close_month

    inbox = tmp_path / "inbox" / "10549" / "tax" / PERIOD
    inbox.mkdir(parents=True)
    original = sample(samples_dir, "tax", "bao-cao")
    shutil.copy(original, inbox / original.name)
    shutil.copy(original, inbox / ("copy-" + original.name))
    result = close_month(period=PERIOD, unit_code="10549")
    outcome = result["sources"]["tax"]
    assert outcome.status == "failed"
    assert "expected exactly one delivery" in outcome.message
    assert result["sources"]["health"].status == "missing"


def test_validate_is_a_dry_run_that_names_the_rule_and_the_row(env, samples_dir, tmp_path):
    url = env.values["THIDUA_WAREHOUSE_URL"]
    runner = CliRunner()
    original = sample(samples_dir, "tax", "bao-cao")
    good = runner.invoke(app, ["validate", "--source", "tax", "--period", PERIOD, "--file", str(original)])
    assert good.exit_code == 0, good.output
    assert "passed" in good.stdout and "nothing loaded" in good.stdout

    bad = tmp_path / "bad" / original.name
    bad.parent.mkdir()
    wb = openpyxl.load_workbook(original)
    cell = find_cell(wb.worksheets[0], "Thu nội địa", "Lũy kế từ đầu năm")
    cell.value = float(cell.value) + 50.0  # section I no longer equals items 1-9
    wb.save(bad)
    result = runner.invoke(app, ["validate", "--source", "tax", "--period", PERIOD, "--file", str(bad)])
    assert result.exit_code == 2
    assert "FAILED" in result.stdout and "tax.parent_equals_children" in result.stdout
    assert f"row {cell.row}" in result.stdout
    assert "Traceback" not in user_output(result)
    assert original.exists() and bad.exists()  # a dry run moves nothing
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        has_loads = sa.inspect(conn).has_table("loads") and conn.execute(
            sa.text("SELECT COUNT(*) FROM loads")).scalar_one() > 0
    engine.dispose()
    assert not has_loads
