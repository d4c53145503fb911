"""Security checks of issue 8: formula injection, bound parameters, the analyst role, personal data of the
military-service (NVQS) register, owner-only files.

Each case is a named test marked ``security`` (counted in the reliability summary). Expected values are
the inputs themselves (a payload must come back byte for byte, a name must be absent), never computed by
the code under test. Real SQLite and PostgreSQL, real flows under Prefect's harness, real HTTP on loopback.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import stat
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from tests.helpers import Env
from tests.integration.reliability import ledger

pytestmark = [pytest.mark.security]

REPO = Path(__file__).resolve().parents[3]
UNIT, PERIOD = "10549", "2025-10"

# What a hostile or careless source could write into a label (OWASP CSV injection cases).
FORMULA_PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1"]


# --------------------------------------------------------------------------------------- formula injection
@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1+1", "'+1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Đạt", "Đạt"), ("", ""), ("a=b", "a=b"),
    (-2.5, -2.5), (-3, -3), (0.0, 0.0), (None, None),   # numbers (negative too) are never text
])
def test_formula_rule_neutralises_text_only(value, expected):
    from reports.vn import neutralise_formula

    assert neutralise_formula(value) == expected


def _catalogue_with_payloads(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The 2025 catalogue with the names (and one code) of its first targets replaced by formula payloads."""
    data = yaml.safe_load((REPO / "catalogue" / "ke-hoach-2025-10549.yaml").read_text(encoding="utf-8"))
    names = {}
    for target, payload in zip(data["targets"], FORMULA_PAYLOADS, strict=False):
        target["name_vi"] = payload
        names[target["code"]] = payload
    data["targets"][-1]["code"] = "=1+2"  # a code reaches the CSV's first column
    out = tmp_path / "catalogue.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out, names


def test_formula_payloads_are_inert_in_report_and_csv(tmp_path):
    """Labels shaped like formulas go catalogue -> warehouse -> `thidua report` / `thidua attainment --format
    csv` and come out as text: string cells (no formula) in the xlsx, a leading apostrophe in the CSV."""
    from flows.cli import app
    from warehouse import attainment, catalogue, db

    path, names = _catalogue_with_payloads(tmp_path)
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        cat = catalogue.read_catalogue(path)
        plan_id = catalogue.load_catalogue(engine, cat)
        targets = attainment.read_targets(engine, 2025, UNIT)
        evaluations = attainment.evaluate_targets(targets, attainment.read_observations(engine, UNIT, [2024, 2025]),
                                                  UNIT, PERIOD)
        assert attainment.save_evaluations(engine, plan_id, evaluations, None) == len(targets)
    finally:
        engine.dispose()

    runner = CliRunner()
    xlsx = tmp_path / "bao-cao.xlsx"
    with Env(THIDUA_WAREHOUSE_URL=url, THIDUA_DATA_DIR=tmp_path, THIDUA_UNIT=UNIT):
        done = runner.invoke(app, ["report", "--period", PERIOD, "--out", str(xlsx), "--date", "2025-11-03"])
        assert done.exit_code == 0, done.output
        out = runner.invoke(app, ["attainment", "--period", PERIOD, "--format", "csv"])
        assert out.exit_code == 0, out.output

    ws = openpyxl.load_workbook(xlsx).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell in the report"
    # (XML stores a carriage return as a line feed: compare with CR read as LF)
    by_text = {c.value.replace("\r", "\n"): c for c in cells if isinstance(c.value, str)}
    for payload in names.values():
        cell = by_text["'" + payload.replace("\r", "\n")]          # the label, shown as text
        assert cell.data_type == "s"
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value[:1] in "=+@\t\r"]

    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    codes = [r["target_code"] for r in rows]
    assert "'=1+2" in codes and "=1+2" not in codes
    texts = [v for r in rows for v in r.values() if v]
    # every field that would start a formula is quoted; numbers (gap_value, may be negative) are numbers
    assert [v for v in texts if v[:1] in "=+@\t\r"] == []
    assert [v for v in texts if v.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?(e-?\d+)?", v)] == []


def test_negative_numbers_stay_numbers_in_the_report(tmp_path):
    import datetime as dt

    from reports.excel import ReportMeta, write_attainment_report

    rows = [{"target_code": "CT01a", "plan_item": 1, "name_vi": "-2+3", "display_unit": "%", "comparison": "band",
             "bound_low": 8, "bound_high": 10, "value": -2.5, "status": "behind", "period": PERIOD,
             "gap_text": "-10,5 triệu đồng"}]
    meta = ReportMeta(period=PERIOD, unit_code=UNIT, unit_name="Phường Chu Văn An", issuer="UBND",
                      place="Chu Văn An", issued_on=dt.date(2025, 11, 3))
    ws = openpyxl.load_workbook(write_attainment_report(rows, meta, tmp_path / "r.xlsx")).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells[-2.5].data_type == "n"
    assert cells[round(-2.5 / 8 * 100, 1)].data_type == "n"
    assert cells["'-2+3"].data_type == "s" and cells["'-10,5 triệu đồng"].data_type == "s"


# ------------------------------------------------------------------------------------------ bound parameters
SQL_PAYLOADS = [
    "'); DROP TABLE loads; --",
    'x"; DROP TABLE observations; --',
    "O'Brien \\' \\\\ back\\slash",
    "%s %(name)s :name ? $1",
    "Phường “Chu Văn An” ‘ngoặc’ — 😀 ç\u0301",
    "line\nbreak\ttab; SELECT 1",
]


def test_sql_metacharacters_round_trip(warehouse_url, catalogue_path):
    """Observations and a rejected delivery whose texts are SQL: loaded and read back byte for byte."""
    from connectors.observations import observation, observation_frame
    from warehouse import attainment, catalogue, db, load, views

    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        rows = [observation("LUOT_KHACH", UNIT, PERIOD, member_code=p, value=float(i), text_value=p,
                            source_file=p, sheet=p, row_number=i + 1, column_name=p, raw_text=p)
                for i, p in enumerate(SQL_PAYLOADS)]
        result = load.load_delivery(engine, source_code="indicators", unit_code=UNIT, period=PERIOD,
                                    fingerprint="f" * 64, file_name=SQL_PAYLOADS[0], flow_run_id=None,
                                    rows_read=len(rows), observations=observation_frame(rows))
        assert result.status == "loaded" and result.rows_loaded == len(SQL_PAYLOADS)
        rejected = load.record_rejected_delivery(
            engine, source_code="tax", unit_code=UNIT, period=PERIOD, fingerprint="e" * 64,
            file_name=SQL_PAYLOADS[1], flow_run_id=None, rows_read=1, message=SQL_PAYLOADS[2],
            validation={"suite_name": "tax", "success": False, "evaluated": 1, "failed": [
                {"rule_id": SQL_PAYLOADS[3], "severity": "error", "samples": [{"raw_text": SQL_PAYLOADS[4]}]}]})

        lineage = views.read_view(engine, "v_observations_lineage", load_id=result.load_id)
        for column in ("member_code", "text_value", "source_file", "sheet", "column_name", "raw_text"):
            assert sorted(lineage[column]) == sorted(SQL_PAYLOADS), column
        for payload in SQL_PAYLOADS:  # a payload as a bound filter value finds exactly its row
            assert len(views.read_view(engine, "v_observations_lineage", member_code=payload)) == 1
        obs = attainment.read_observations(engine, UNIT, [2025])
        assert sorted(obs["member_code"]) == sorted(SQL_PAYLOADS)
        status = views.read_view(engine, "v_loads", load_id=rejected).iloc[0]
        assert status["file_name"] == SQL_PAYLOADS[1] and status["message"] == SQL_PAYLOADS[2]
        result_json = views.read_view(engine, "v_validation_results", load_id=rejected)["result_json"].iloc[0]
        assert SQL_PAYLOADS[3] in str(result_json) or SQL_PAYLOADS[3].replace("\\", "\\\\") in str(result_json)
        with engine.connect() as conn:  # the tables survived
            tables = set(sa.inspect(conn).get_table_names())
            assert {"loads", "observations", "validation_results"} <= tables
            assert conn.execute(sa.text("SELECT count(*) FROM loads")).scalar_one() == 2
    finally:
        engine.dispose()


# SQL text built from variables that is allowed, with why. Key: (file, enclosing function).
SQL_FORMAT_WHITELIST = {
    ("warehouse/views.py", "ensure_analyst_role"): "role name checked against ^[a-z_][a-z0-9_]{0,62}$; schema "
                                                   "from current_schema(), quoted; view names are constants",
    ("warehouse/views.py", "read_view"): "view name from VIEW_NAMES, column names checked against a regex; "
                                         "values are bound (:column)",
    ("warehouse/migrations/versions/0003_add_outlook_and_views.py", "upgrade"): "view DDL from constants",
    ("warehouse/migrations/versions/0003_add_outlook_and_views.py", "downgrade"): "view names from constants",
    ("warehouse/migrations/versions/0006_analyst_views_by_question.py", "upgrade"): "view DDL from constants",
    ("warehouse/migrations/versions/0006_analyst_views_by_question.py", "downgrade"): "view names from constants",
    ("warehouse/migrations/versions/0007_observation_column_letter.py", "_create_views"): "view DDL from 0006's "
                                                                                         "constants",
    ("warehouse/migrations/versions/0007_observation_column_letter.py", "_drop_views"): "view names from "
                                                                                       "constants",
    ("warehouse/db.py", "_sqlite_on_connect"): "PRAGMA takes no bound parameter; the value is int()",
    ("warehouse/locks.py", "write_holder"): "the holder record must be a literal to show in pg_stat_activity; "
                                            "JSON with ensure_ascii and ' and % escaped as \\u escapes",
}
_SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript"}


def _sql_built_from_variables(path: Path) -> list[tuple[str, int]]:
    """(function, line) of each SQL call whose text is an f-string, % or .format() (directly or via a name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def dynamic(node, assigned) -> bool:
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(v, ast.FormattedValue) for v in node.values)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
                return True
            return dynamic(node.left, assigned) or dynamic(node.right, assigned)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format",
                                                                                                      "join"):
            return True
        if isinstance(node, ast.Name):
            return node.id in assigned
        return False

    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
        assigned = {t.id for n in ast.walk(func) if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name) and dynamic(n.value, set())}
        for call in [n for n in ast.walk(func) if isinstance(n, ast.Call)]:
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name in _SQL_CALLS and call.args and dynamic(call.args[0], assigned):
                found.append((func.name, call.lineno))
    return found


def test_no_sql_text_is_built_from_variables():
    """Static check over warehouse/ and flows/: values go to SQL as bound parameters, never as SQL text."""
    files = sorted([*(REPO / "warehouse").rglob("*.py"), *(REPO / "flows").rglob("*.py")])
    assert len(files) > 10
    offenders, allowed = [], set()
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        for func, line in _sql_built_from_variables(path):
            if (rel, func) in SQL_FORMAT_WHITELIST:
                allowed.add((rel, func))
            else:
                offenders.append(f"{rel}:{line} ({func})")
    assert offenders == [], "SQL text built from variables: " + ", ".join(offenders)
    assert allowed, "the check found nothing at all, not even the whitelisted DDL: is it still looking?"


# --------------------------------------------------------------------------------------------- analyst role
def test_analyst_role_reads_views_only(pg_url, catalogue_path):
    """A login member of thidua_analyst: SELECT on every view works; every base table refuses SELECT, INSERT,
    UPDATE, DELETE; the views refuse writes; the schema refuses CREATE."""
    from flows.cli import app
    from warehouse import catalogue, db, views

    db.upgrade(pg_url)
    admin = db.make_engine(pg_url)
    login = f"thidua_login_{uuid.uuid4().hex[:10]}"
    with Env(THIDUA_WAREHOUSE_URL=pg_url):
        done = CliRunner().invoke(app, ["db", "analyst-role"])
    assert done.exit_code == 0, done.output
    try:
        catalogue.load_catalogue(admin, catalogue.read_catalogue(catalogue_path))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN")
            conn.exec_driver_sql(f"GRANT {views.ANALYST_ROLE} TO {login}")
            tables = {t: [c["name"] for c in sa.inspect(conn).get_columns(t)]
                      for t in sa.inspect(conn).get_table_names()}
        assert {"observations", "dossiers", "validation_results", "alerts", "loads"} <= set(tables)
        analyst = sa.create_engine(sa.engine.make_url(pg_url).set(username=login))
        denied, allowed = [], []

        def attempt(sql: str, refusals=("42501",)) -> None:  # insufficient_privilege
            with analyst.connect() as conn:
                try:
                    conn.exec_driver_sql(sql).fetchall() if sql.startswith("SELECT") else conn.exec_driver_sql(sql)
                    allowed.append(sql)
                except sa.exc.DBAPIError as exc:
                    assert exc.orig.sqlstate in refusals, f"{sql}: {exc.orig}"
                    denied.append(sql)
                finally:
                    conn.rollback()

        for view in views.VIEW_NAMES:
            with analyst.connect() as conn:
                conn.exec_driver_sql(f"SELECT * FROM {view}").fetchall()
        statements = []
        for table, columns in tables.items():
            statements += [f'SELECT * FROM "{table}"', f'INSERT INTO "{table}" DEFAULT VALUES',
                           f'UPDATE "{table}" SET "{columns[0]}" = "{columns[0]}"', f'DELETE FROM "{table}"',
                           f'TRUNCATE "{table}"']
        statements += ["CREATE TABLE analyst_scratch (i int)", "CREATE VIEW analyst_view AS SELECT 1 AS one"]
        for sql in statements:
            attempt(sql)
        # a view that is not automatically updatable refuses a write before privileges are checked (55000)
        view_writes = [f"DELETE FROM {v}" for v in views.VIEW_NAMES] + [
            f"INSERT INTO {v} DEFAULT VALUES" for v in views.VIEW_NAMES]
        for sql in view_writes:
            attempt(sql, refusals=("42501", "55000"))
        statements += view_writes
        analyst.dispose()
        assert allowed == [] and len(denied) == len(statements)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
        admin.dispose()


# ---------------------------------------------------------------------------------- owner-only permissions
def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_files_and_folders_under_a_lax_umask(tmp_path, samples_dir):
    """With umask 000 the warehouse file (+ -wal, -shm), its folder, quarantine, processed and report folders
    and files are still owner-only (0700 / 0600)."""
    from flows import tasks
    from warehouse import db

    data = tmp_path / "data"
    delivery = tmp_path / "inbox" / "y-te-2025-10.xlsx"
    delivery.parent.mkdir()
    delivery.write_bytes(next((samples_dir / "inbox" / UNIT / "health" / PERIOD).iterdir()).read_bytes())
    os.chmod(delivery, 0o644)
    old = os.umask(0)
    try:
        url = f"sqlite:///{data / 'warehouse.sqlite'}"
        db.upgrade(url)
        engine = db.make_engine(url)
        with engine.connect() as conn:  # WAL mode: -wal and -shm exist while a connection is open
            conn.exec_driver_sql("SELECT count(*) FROM loads").scalar_one()
            files = [data / "warehouse.sqlite", data / "warehouse.sqlite-wal", data / "warehouse.sqlite-shm"]
            file_modes = {p.name: _mode(p) for p in files}
        engine.dispose()
        copied = tasks._place_file(delivery, data / "processed" / UNIT / "health" / PERIOD, move=False)
        moved = tasks._place_file(delivery, data / "quarantine" / UNIT / "health" / PERIOD, move=True)
        delivered = tasks.Delivery(source_code="health", unit_code=UNIT, period=PERIOD, fingerprint="a" * 64,
                                   file_name=delivery.name, rows_read=0, observations=pd.DataFrame())
        report = tasks.write_validation_report.fn(url, data / "reports", delivered,
                                                  {"success": True, "failed": [], "evaluated": 0}, "loaded")
    finally:
        os.umask(old)
    assert file_modes == {p.name: 0o600 for p in files}
    for f in (copied, moved, report):
        assert _mode(f) == 0o600, f
    folders = [data, *[p for p in data.rglob("*") if p.is_dir()]]
    assert {str(p.relative_to(tmp_path)): _mode(p) for p in folders} == {
        str(p.relative_to(tmp_path)): 0o700 for p in folders}
    assert len(folders) >= 12  # data, processed/…/period, quarantine/…/period, reports/validation/…/period


# ------------------------------------------------------------------------------------ pip-audit's CI gate
def _audit_gate():
    import importlib.util

    spec = importlib.util.spec_from_file_location("ops_audit", REPO / "ops" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dep(name, vulns=(), skip=None):
    return {"name": name, "version": "1.0", **({"skip_reason": skip} if skip else {"vulns": list(vulns)})}


def test_audit_gate_fails_on_unlisted_vulnerability_and_warns_when_offline(tmp_path):
    """The gate's verdicts on pip-audit reports (shaped as pip-audit 2.10 writes them), and the ignore file."""
    gate = _audit_gate()
    vuln = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["1.1"], "description": "x"}
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("# comment\nCVE-2099-0001  the vulnerable parser is never called by thidua\n", encoding="utf-8")
    listed = gate.read_ignore_file(ignore)
    assert listed == {"CVE-2099-0001": "the vulnerable parser is never called by thidua"}

    code, lines = gate.decide({"dependencies": [_dep("a", [vuln]), _dep("b")]}, {})
    assert code == 1 and any(line.startswith("VULNERABLE  a 1.0: PYSEC-2099-1") for line in lines)
    code, lines = gate.decide({"dependencies": [_dep("a", [vuln]), _dep("b")]}, listed)
    assert code == 0 and lines[0].startswith("ignored  a 1.0: PYSEC-2099-1")
    offline = {"dependencies": [_dep(n, skip=f"Dependency not found on PyPI and could not be audited: {n} (1.0)")
                                for n in ("a", "b")]}
    code, lines = gate.decide(offline, {})
    assert code == 0 and lines[-1].startswith("WARNING: AUDIT NOT DONE")
    code, lines = gate.decide({"dependencies": [_dep("a"), _dep("b")]}, {})
    assert (code, lines) == (0, ["pip-audit: no known vulnerability in 2 audited packages"])
    ignore.write_text("CVE-2099-0001\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="has no reason"):
        gate.read_ignore_file(ignore)


# ---------------------------------------------------------------------- NVQS register: no personal data kept
# A ward's NVQS pre-screening book (Mẫu 2k) lists citizens by name and CCCD number. The generator's
# parameters: five citizens, names and 12-digit CCCD numbers (leading 0, province code 031 = Hải Phòng).
NVQS_PEOPLE = [("Nguyễn Văn Hùng", "031204005678"), ("Trần Minh Quân", "031205001234"),
               ("Lê Đức Thịnh", "031206007890"), ("Phạm Quốc Bảo", "031204003456"),
               ("Vũ Thị Bích Ngọc", "031205009876")]


def _nvqs_workbook(samples_dir: Path, period: str, out: Path, *, break_layout: bool) -> Path:
    """The sample health workbook of ``period`` with a Mẫu 2k register sheet and names in Mẫu 2a's notes.

    ``break_layout``: the 'Số lượng đã sơ tuyển' row is relabelled (the connector refuses the file) and the
    'Lý do khác' row names a citizen in its label, as a clerk might.
    """
    original = next((samples_dir / "inbox" / UNIT / "health" / period).iterdir())
    wb = openpyxl.load_workbook(original)
    form = wb["Mẫu 2a"]
    label_cells = {c.value: c for row in form.iter_rows() for c in row if isinstance(c.value, str)}
    (name, cccd), (name2, cccd2) = NVQS_PEOPLE[0], NVQS_PEOPLE[4]
    exempt = label_cells["Trong đó: Số lượng đề nghị miễn thực hiện NVQS"]
    form.cell(row=exempt.row, column=4, value=f"{name} (CCCD {cccd}): bệnh tim bẩm sinh")
    if break_layout:
        label_cells["Số lượng đã sơ tuyển"].value = "Số người đã được khám"
        label_cells["Lý do khác"].value = f"Lý do khác: {name2}, CCCD {cccd2}"
    book = wb.create_sheet("Mẫu 2k")
    book.append(["SỔ THỐNG KÊ SƠ TUYỂN SỨC KHỎE NGHĨA VỤ QUÂN SỰ"])
    book.append(["TT", "Họ và tên", "Ngày sinh", "Địa chỉ", "Số CCCD", "Kết luận"])
    for i, (person, number) in enumerate(NVQS_PEOPLE, 1):
        book.append([i, person, f"0{i}/0{i}/2006", f"Tổ dân phố số {i}, phường Chu Văn An", number,
                     "Đủ điều kiện khám sức khỏe NVQS"])
    book.append([None, f"Cộng ({len(NVQS_PEOPLE)} công dân)"])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


@pytest.mark.prefect
def test_nvqs_names_and_cccd_never_reach_warehouse_reports_or_alerts(prefect_harness, samples_dir, tmp_path,
                                                                    caplog):
    """A good delivery and a refused one, both carrying the register: every text column of every table,
    every report and alert body, the logs and the flows' results hold no name and no CCCD number. The
    counts still load (NVQS_PRESCREEN), so the test cannot pass by loading nothing."""
    from flows.monthly_close import ingest_file
    from tests.integration.test_alerts import Webhook
    from tests.integration.test_secrets import _warehouse_texts

    data = tmp_path / "data"
    url = f"sqlite:///{data / 'warehouse.sqlite'}"
    good = _nvqs_workbook(samples_dir, "2025-10", tmp_path / "in" / "y-te-2025-10.xlsx", break_layout=False)
    bad = _nvqs_workbook(samples_dir, "2025-11", tmp_path / "in" / "y-te-2025-11.xlsx", break_layout=True)
    hook = Webhook()
    caplog.set_level("INFO")
    try:
        with Env(THIDUA_DATA_DIR=data, THIDUA_WAREHOUSE_URL=url, THIDUA_UNIT=UNIT, THIDUA_ALERT_WEBHOOK_URL=hook.url,
                 THIDUA_INBOX=tmp_path / "inbox"):
            results = [ingest_file(source_code="health", period="2025-10", path=str(good)),
                       ingest_file(source_code="health", period="2025-11", path=str(bad))]
    finally:
        hook.close()
    outcomes = [r["sources"]["health"] for r in results]
    assert [o.status for o in outcomes] == ["loaded", "quarantined"]
    warehouse = _warehouse_texts(url)
    assert "NVQS_PRESCREEN" in warehouse["observations"]   # the counts are kept
    assert hook.received, "the refused delivery was not alerted"
    delivered = {good.name, bad.name}
    outputs = {
        **{f"warehouse table {t}": text for t, text in warehouse.items()},
        **{f"file {p.relative_to(data)}": p.read_bytes().decode("utf-8", errors="replace")
           for p in data.rglob("*") if p.is_file() and p.name not in delivered and not p.name.startswith("warehouse.")},
        "alert bodies": "\n".join(json.dumps(body, ensure_ascii=False) for body in hook.received),
        "log records": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "flow results": repr(results),
    }
    assert any(k.startswith("file reports/validation") for k in outputs)
    personal = [v for person in NVQS_PEOPLE for v in person]
    leaks = [(value, where) for value in personal for where, text in outputs.items() if value in text]
    ledger.record(secrets_found=len(leaks))
    assert leaks == [], sorted({where for _, where in leaks})
