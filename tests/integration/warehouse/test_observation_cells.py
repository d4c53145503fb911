"""Every figure is one click from its cell (issue 18): October 2025's sample workbooks (tax, health, education,
indicators) and the dossier CSV export go through the real load path (`load.load_delivery` and the batch
`load.load_deliveries`, bulk COPY on PostgreSQL / executemany on SQLite) into a warehouse on each engine.

Property: every stored workbook observation's cell, `column_letter` + `row_number` in its `sheet`, opened
with openpyxl in the generated file, holds the text stored as `raw_text` and the figure stored (the
expected values come from the file, read here, never from the connectors), and its column's header is the
`column_name` stored. The analyst views name the same cell (`cell` = `G14`). Then the council report's
"Nguồn số liệu" sheet and a target page of the dashboard show the cell as `ô G14 (cột '…')`, where the
letter and row were found in the sample workbook by their labels.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import math
import re
import unicodedata
import uuid

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import connectors
from warehouse import attainment, catalogue, db, load

UNIT = "10549"
PERIOD = "2025-10"
WORKBOOKS = {"tax": "bao-cao-thu-nsnn-{p}.xlsx", "health": "y-te-{p}.xlsx", "education": "truong-hoc-{p}.xlsx",
             "indicators": "chi-tieu-khac-{p}.xlsx"}
MONEY = ("REV_", "TGTSP", "TNBQ")  # docs/contracts.md: VND, the files show million VND


def _path(samples_dir, source):
    if source == "public_service":
        return samples_dir / "public_service" / "exports" / f"ho-so-{PERIOD}.csv"
    return samples_dir / "inbox" / UNIT / source / PERIOD / WORKBOOKS[source].format(p=PERIOD)


def _observations(source, path):
    spec = connectors.SOURCES[source]
    records = spec.read(path, PERIOD, UNIT) if source == "public_service" else spec.read(path, period=PERIOD)
    return spec.delivery_observations(records, UNIT, PERIOD)


def _build(url, samples_dir, catalogue_path):
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        deliveries = []
        for source in ("tax", "health", "education", "indicators", "public_service"):
            path = _path(samples_dir, source)
            observations = _observations(source, path)
            deliveries.append(load.DeliveryToLoad(
                source_code=source, unit_code=UNIT, period=PERIOD, fingerprint=f"{source}-{PERIOD}",
                file_name=path.name, flow_run_id=None, rows_read=len(observations), observations=observations))
        for one in deliveries[:2]:  # one at a time ...
            load.load_delivery(engine, source_code=one.source_code, unit_code=UNIT, period=PERIOD,
                               fingerprint=one.fingerprint, file_name=one.file_name, flow_run_id=None,
                               rows_read=one.rows_read, observations=one.observations)
        load.load_deliveries(engine, deliveries[2:])  # ... and as one batch
        targets = attainment.read_targets(engine, 2025, UNIT)
        frame = attainment.evaluate_targets(targets, attainment.read_observations(engine, UNIT, [2024, 2025]),
                                            UNIT, PERIOD)
        attainment.save_evaluations(engine, plan_id, frame, "r",
                                    evaluated_at=dt.datetime(2025, 11, 7, 2, 0, tzinfo=dt.UTC))
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def sqlite_warehouse(tmp_path_factory, samples_dir, catalogue_path):
    return _build(f"sqlite:///{tmp_path_factory.mktemp('cells') / 'warehouse.sqlite'}", samples_dir, catalogue_path)


@pytest.fixture(scope="module")
def pg_warehouse(pg_server_url, samples_dir, catalogue_path):
    name = f"thidua_cells_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield _build(sa.engine.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False),
                     samples_dir, catalogue_path)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                 (name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request):
    return request.getfixturevalue("sqlite_warehouse" if request.param == "sqlite" else "pg_warehouse")


def _rows(url, sql):
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- the file, read here


class Books:
    """The sample workbooks, opened once each (openpyxl, cached values)."""

    def __init__(self, samples_dir):
        self.samples_dir = samples_dir
        self.open = {}

    def sheet(self, source, sheet):
        if source not in self.open:
            self.open[source] = load_workbook(_path(self.samples_dir, source), data_only=True)
        return self.open[source][sheet]


def as_typed(value) -> str:
    """A cell's value as a person reads it: whole numbers without '.0', dates dd/mm/yyyy, text as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", str(value))


def header_of(ws, letter: str, row: int) -> list[str]:
    """The texts above `row` in column `letter` (the header rows the label was read from)."""
    return [str(ws[f"{letter}{r}"].value).strip() for r in range(1, row) if ws[f"{letter}{r}"].value is not None]


def find(ws, predicate):
    return next(c for line in ws.iter_rows() for c in line if predicate(c.value))


def _close(a, b) -> bool:
    return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


# ----------------------------------------------------------------------------- the property


def test_every_stored_cell_holds_the_text_and_figure_stored(warehouse, samples_dir):
    rows = _rows(warehouse, """
        SELECT l.source_code, o.indicator_code, o.member_code, o.period, o.value, o.numerator, o.text_value,
               o.sheet, o.row_number, o.column_name, o.column_letter, o.raw_text, v.cell
        FROM observations o JOIN loads l ON l.load_id = o.load_id
        JOIN v_observations_lineage v ON v.observation_id = o.observation_id
        WHERE l.status = 'loaded'""")
    books = Books(samples_dir)
    checked = {source: 0 for source in WORKBOOKS}
    for obs in rows:
        source, letter, row = obs["source_code"], obs["column_letter"], obs["row_number"]
        if source == "public_service":
            continue
        assert letter and row, obs
        assert obs["cell"] == f"{letter}{row}", obs
        ws = books.sheet(source, obs["sheet"])
        found = ws[f"{letter}{row}"].value
        assert as_typed(found) == (obs["raw_text"] or ""), obs
        assert obs["column_name"].split(" / ")[-1] in header_of(ws, letter, row), (obs, header_of(ws, letter, row))
        if isinstance(found, int | float) and not isinstance(found, bool):
            if obs["indicator_code"].startswith(MONEY):
                assert _close(obs["value"], found * 1e6), obs
            elif obs["numerator"] is not None:  # a rate's lineage is its numerator's cell
                assert _close(obs["numerator"], found), obs
            else:
                assert _close(obs["value"], found), obs
        elif obs["text_value"] is not None:
            assert obs["text_value"] == as_typed(found), obs
        elif obs["indicator_code"] == "HEALTH_STATION_STANDARD":
            assert obs["numerator"] == (1.0 if found == "Đạt" else 0.0), obs
        checked[source] += 1
    # every source's figures were there to check (tax: 5 money columns of 12 lines, less the blanks)
    assert checked["tax"] >= 50 and checked["health"] == 2 and checked["education"] == 13, checked
    assert checked["indicators"] >= 100, checked


def test_an_aggregate_of_the_csv_export_names_its_column_and_no_cell(warehouse, samples_dir):
    with open(_path(samples_dir, "public_service"), encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    letters = {name: get_column_letter(i) for i, name in enumerate(header, 1)}
    rows = _rows(warehouse, """
        SELECT v.indicator_code, v.column_name, v.column_letter, v.row_number, v.cell FROM v_observations_lineage v
        WHERE v.source_code = 'public_service' ORDER BY v.indicator_code""")
    assert [(r["indicator_code"], r["column_letter"], r["row_number"], r["cell"]) for r in rows] == [
        (code, letters[field], None, None) for code, field in (
            ("DOSSIER_FEE_ONLINE", "DuocThanhToanTrucTuyen"), ("DOSSIER_ONLINE", "KenhThucHien"),
            ("DOSSIER_ON_TIME", "NgayKetThucXuLy"))]


def test_judgement_figures_name_the_cell_of_each_figure(warehouse, samples_dir):
    rows = _rows(warehouse, """
        SELECT target_code, input_source, indicator_code, member_code, sheet, row_number, column_letter, cell,
               raw_text
        FROM v_judgement_figures WHERE is_latest AND observation_id IS NOT NULL""")
    books = Books(samples_dir)
    from_workbooks = [r for r in rows if r["input_source"] in WORKBOOKS]
    assert len({r["target_code"] for r in from_workbooks}) >= 8, sorted({r["target_code"] for r in rows})
    for fig in from_workbooks:
        assert fig["cell"] == f"{fig['column_letter']}{fig['row_number']}", fig
        ws = books.sheet(fig["input_source"], fig["sheet"])
        assert as_typed(ws[fig["cell"]].value) == (fig["raw_text"] or ""), fig
    # CT01a's year to date: the tax report's total row, column 'Lũy kế từ đầu năm' (found by its labels)
    ws = books.sheet("tax", "Thu NSNN")
    total = find(ws, lambda v: isinstance(v, str) and v.startswith("TỔNG THU NSNN"))
    ytd = find(ws, lambda v: v == "Lũy kế từ đầu năm")
    assert [r["cell"] for r in rows if r["target_code"] == "CT01a" and r["indicator_code"] == "REV_YTD"] == [
        f"{get_column_letter(ytd.column)}{total.row}"]
    assert all(r["cell"] is None for r in rows if r["input_source"] == "public_service")


# ----------------------------------------------------------------------------- what people see


@pytest.fixture(scope="module")
def labels(samples_dir):
    """Where the tax total's year to date and the clean-water numerator of October sit (by their labels)."""
    books = Books(samples_dir)
    tax = books.sheet("tax", "Thu NSNN")
    total = find(tax, lambda v: isinstance(v, str) and v.startswith("TỔNG THU NSNN"))
    ytd = find(tax, lambda v: v == "Lũy kế từ đầu năm")
    ind = books.sheet("indicators", "Chỉ tiêu")
    water = find(ind, lambda v: v == "NUOC_SACH_TS")
    october = find(ind, lambda v: v == "Tháng 10")
    return {"ytd": f"{get_column_letter(ytd.column)}{total.row}",
            "water": f"{get_column_letter(october.column)}{water.row}"}


def test_the_report_sources_sheet_names_each_cell(sqlite_warehouse, labels, tmp_path):
    from flows.cli_reports import build_report
    from reports.excel import SOURCES_TITLE

    out = build_report(sqlite_warehouse, UNIT, PERIOD, tmp_path / "bao-cao.xlsx", issued_on=dt.date(2025, 11, 7))
    ws = load_workbook(out)[SOURCES_TITLE]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    by_figure = {(r[0], r[2]): r for r in rows if r[0]}
    assert by_figure[("1a", "REV_YTD (TONG)")][7] == f"ô {labels['ytd']} (cột “Lũy kế từ đầu năm”)"
    assert by_figure[("10", "NUOC_SACH")][7] == f"ô {labels['water']} (cột “Thực hiện / Tháng 10”)"
    from_workbooks = [r for r in rows if str(r[5]).endswith(".xlsx")]
    assert len(from_workbooks) >= 40
    assert all(re.fullmatch(r"ô [A-Z]{1,3}[1-9]\d* \(cột “[^”]+”\)", r[7]) for r in from_workbooks), from_workbooks


def test_a_target_page_names_each_cell(sqlite_warehouse, labels, tmp_path):
    from flows.cli_reports import build_dashboard

    out = build_dashboard(sqlite_warehouse, UNIT, PERIOD, tmp_path / "dashboard")
    folder = out if out.is_dir() else out.parent

    def cell_of(code, indicator, member=""):
        page = (folder / "chi-tieu" / f"{code}.html").read_text(encoding="utf-8")
        block = re.search(rf'<div class="figure" data-indicator="{indicator}" data-member="{member}"'
                          rf'\s+data-period="{PERIOD}".*?<dd class="cell">(.*?)</dd>', page, re.S)
        assert block, (code, indicator)
        return html.unescape(block.group(1))

    assert cell_of("CT01a", "REV_YTD", "TONG") == f"ô {labels['ytd']} (cột ‘Lũy kế từ đầu năm’)"
    assert cell_of("CT10", "NUOC_SACH") == f"ô {labels['water']} (cột ‘Thực hiện / Tháng 10’)"
