"""Complete or refused (issue 16): every delivery of the issue's "Why" that loaded wrong figures with exit 0.

Each case builds its delivery from a generated sample (`completeness.py`), delivers it through the
product's real path (the inbox and `flows.monthly_close.ingest_delivery` under Prefect's test harness, or
the one-stop API pulled over loopback from a server that misbehaves) and checks three things:

1. the outcome: `loaded` (or `replaced`) with every figure, or refused / held: `quarantined` (a file) or
   `failed` (an API answer out of contract), with exactly one alert;
2. the message names the place: the file, sheet, row and column of the cell, or the API query;
3. the figures in force for the (unit, source, period), read with SQL and compared with figures computed
   outside the product (the delivered cells read back with openpyxl, samples/params.yaml, the raw
   dossiers).

The shrinkage audit runs around every case: `ledger.figures_in_force` (SQL) counts the figures in force
per (unit, source, period) before and after, and any key whose count drops without the case expecting it
is recorded as "figures lost unexpectedly" in the reliability summary (and fails the case). No case here
expects a drop: a refused delivery leaves the figures in force, a complete one replaces them one for one.

One world per engine (SQLite file, throw-away PostgreSQL database) serves the module. Workbook cases each
have their own unit code (71001, 71002, …); dossier cases use the ward 10549 (its dossier codes carry its
GSO code) and each its own month:

| case | source | unit / period | expected |
|---|---|---|---|
| tax totals saved as formulas, over a good load | tax | new / 2025-06 | replaced, the same 58 figures |
| blank row in the school register (after school 7) | education | new / 2025-06 | loaded, 13 schools |
| blank row in the indicators sheet (before section B) | indicators | new / 2025-06 | loaded, 12 indicators |
| hidden stale sheet + visible corrected copy | tax | new / 2025-06 | loaded, the copy's figures |
| draft sheet "Nháp" first (the real one renamed) | tax | new / 2025-06 | loaded, the real sheet's figures |
| Biểu 06 whose "Tổng số" disagrees with its rows | public_service | 10549 / 2025-10 | refused at the total |
| empty JSON export over a good month | public_service | 10549 / 2025-06 | held: quarantined + alert |
| CSV export with its header only over a good month | public_service | 10549 / 2025-07 | held |
| JSON export declaring tong_so 99,999 | public_service | 10549 / 2025-08 | refused |
| 200 dossiers of phường Trần Hưng Đạo (10570) | public_service | 10549 / 2025-09 | loaded without them, reported |
| API total shrinking between pages | public_service | 10549 / 2025-04 | refused after one re-pull |
| API ignoring the page number | public_service | 10549 / 2025-05 | refused |
| API gzip bomb (1 MiB inflating to 1 GiB) | public_service | 10549 / 2025-03 | refused by a size cap |
| `1e308` in a workbook, over a good load | tax | new / 2025-06 | refused at the cell |
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import resource
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.reliability import badfiles as bf
from tests.integration.reliability import completeness as cp
from tests.integration.reliability import ledger
from tests.integration.test_alerts import Webhook

pytestmark = [pytest.mark.prefect]

PERIOD = "2025-06"
WARD = "10549"
LUY_KE = "Lũy kế từ đầu năm"
REV_CODES = set(cp.TAX_COLUMNS.values())


# ------------------------------------------------------------------------------------------------ the world
@dataclass
class World:
    engine_name: str
    root: Path
    settings: object
    hook: Webhook
    samples: Path
    engine: sa.Engine
    units: itertools.count = field(default_factory=lambda: itertools.count(71001))

    def new_unit(self) -> str:
        return str(next(self.units))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory, prefect_harness, samples_dir, pg_server_url):
    from flows import tasks
    from flows.settings import Settings

    root = tmp_path_factory.mktemp(f"completeness-{request.param}")
    admin = database = None
    if request.param == "postgresql":
        database = f"thidua_compl_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        url = sa.engine.make_url(pg_server_url).set(database=database).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{root / 'warehouse.sqlite'}"
    hook = Webhook()
    settings = Settings.from_env({
        "THIDUA_DATA_DIR": str(root), "THIDUA_WAREHOUSE_URL": url, "THIDUA_INBOX": str(root / "inbox"),
        "THIDUA_ALERT_WEBHOOK_URL": hook.url, "THIDUA_HTTP_TIMEOUT_S": "60", "THIDUA_HTTP_BACKOFF_S": "0.05"})
    tasks.prepare_warehouse(settings.warehouse_url, settings.catalogue_path)
    engine = sa.create_engine(url)
    try:
        yield World(request.param, root, settings, hook, samples_dir, engine)
    finally:
        engine.dispose()
        hook.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                     (database,))
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
            admin.dispose()


# ------------------------------------------------------------------------------------------------ the path
def sample_file(world: World, source: str, period: str, kind: str = "json") -> Path:
    if source == "public_service":
        return world.samples / "public_service" / "exports" / f"ho-so-{period}.{kind}"
    return next((world.samples / "inbox" / WARD / source / period).iterdir())


def ingest(world: World, source: str, unit: str, period: str, file: Path | None = None, settings=None):
    """Put `file` in the inbox (if any) and run the product's ingest of (source, unit, period)."""
    from flows.monthly_close import ingest_delivery

    if file is not None:
        folder = world.settings.inbox_dir / unit / source / period
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, folder / file.name)
    return ingest_delivery(settings or world.settings, source, unit, period)


def build(world: World, maker, sample: Path) -> Path:
    out = world.root / "built" / uuid.uuid4().hex[:8]
    out.mkdir(parents=True)
    return maker(sample, out)


def in_force(world: World, unit: str, source: str, period: str) -> dict[tuple[str, str], tuple]:
    """{(indicator, member): (value, numerator, denominator, text)} of `loaded` loads (SQL; a later load
    wins when two carry the same figure)."""
    with world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT o.indicator_code, o.member_code, o.value, o.numerator, o.denominator, o.text_value "
            "FROM observations o JOIN loads l ON l.load_id = o.load_id WHERE l.status = 'loaded' "
            "AND l.unit_code = :u AND l.source_code = :s AND o.period = :p ORDER BY o.load_id, o.observation_id"),
            {"u": unit, "s": source, "p": period}).all()
    return {(i, m or ""): (v, n, d, t) for i, m, v, n, d, t in rows}


def validation_text(world: World, load_id: int | None) -> str:
    """The stored validation result of a load, as text (warnings and notes included)."""
    with world.engine.connect() as conn:
        texts = conn.execute(sa.text("SELECT result_json FROM validation_results WHERE load_id = :i"),
                             {"i": load_id}).scalars().all()
    out = []
    for text in texts:
        try:
            out.append(json.dumps(json.loads(text), ensure_ascii=False))
        except (TypeError, ValueError):
            out.append(str(text))
    return "\n".join(out)


def alerts_for(world: World, unit: str, source: str, period: str) -> list[dict]:
    return [m["alert"] for m in world.hook.received
            if (m["alert"]["unit_code"], m["alert"]["source_code"], m["alert"]["period"]) == (unit, source, period)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quarantined(world: World, unit: str, source: str, period: str) -> set[str]:
    folder = world.settings.quarantine_dir / unit / source / period
    return {sha256(p) for p in folder.iterdir()} if folder.is_dir() else set()


class Audit:
    """The shrinkage audit around one case: figures in force per (unit, source, period) before and after
    (SQL), recorded in the ledger with the warehouse's consistency (`ledger.audit`)."""

    def __init__(self, world: World, expected_drops: frozenset = frozenset()):
        self.world, self.expected = world, expected_drops
        self.before = ledger.figures_in_force(world.engine)

    def measure(self) -> dict:
        after = ledger.figures_in_force(self.world.engine)
        lost = ledger.figures_lost(self.before, after, self.expected)
        consistency = ledger.audit(self.world.engine)
        ledger.record(figures_lost=sum(b - a for b, a in lost.values()),
                      half_loaded_batches=consistency["half_loaded_batches"],
                      duplicate_loads=consistency["duplicate_loads"])
        self.consistency = consistency
        return lost

    def check(self, lost: dict) -> None:
        assert lost == {}, f"figures in force dropped (before, after): {lost}"
        c = self.consistency
        assert (c["half_loaded_batches"], c["duplicate_loads"], c["orphan_observations"]) == (0, 0, 0), c


# ------------------------------------------------------------------------------------------------ checks
def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-3)


def assert_tax_figures(found: dict, expected: dict[tuple[str, str], float]) -> None:
    """The tax figures in force (REV_*) are exactly `expected`: no figure missing, blank or extra."""
    money = {k: v[0] for k, v in found.items() if k[0] in REV_CODES}
    missing = sorted(set(expected) - set(money))
    extra = sorted(set(money) - set(expected))
    wrong = {k: (money[k], expected[k]) for k in expected if k in money and not close(money[k], expected[k])}
    assert (missing, extra, wrong) == ([], [], {}), f"missing {missing}, extra {extra}, wrong {wrong}"


def assert_rates(found: dict, expected: dict[str, tuple[float, float]]) -> None:
    """Unit-level rates in force: {indicator: (numerator, denominator)}."""
    got = {k[0]: (v[1], v[2]) for k, v in found.items() if k[0] in expected and k[1] == ""}
    wrong = {i: (got.get(i), e) for i, e in expected.items()
             if i not in got or not (close(got[i][0], e[0]) and close(got[i][1], e[1]))}
    assert wrong == {}, f"(in force, expected): {wrong}"


def good_load(world: World, unit: str, source: str, period: str, file: Path) -> int:
    outcome = ingest(world, source, unit, period, file)
    assert outcome.status == "loaded", outcome.message
    return outcome.load_id


def assert_refused(world: World, outcome, unit: str, source: str, period: str, alerts_before: int,
                   fingerprint: str | None = None, statuses=("quarantined",)) -> None:
    """Refused or held: the status, one sentence, the file in quarantine, exactly one new open alert."""
    if outcome.status not in statuses:
        now = {f"{i}{'/' + m if m else ''}": v[:3] for (i, m), v in in_force(world, unit, source, period).items()}
        pytest.fail(f"{outcome.status} ({outcome.message!r}); now in force (value, numerator, denominator): "
                    f"{dict(list(now.items())[:6])}")
    assert "Traceback" not in outcome.message and "\n" not in outcome.message, outcome.message
    if fingerprint is not None:
        assert fingerprint in quarantined(world, unit, source, period)
    sent = alerts_for(world, unit, source, period)[alerts_before:]
    assert len(sent) == 1 and sent[0]["status"] == "open", sent


# --------------------------------------------------------------------------------------------- workbooks
@pytest.mark.completeness
def test_tax_totals_saved_as_formulas_are_computed_never_read_as_blanks(world):
    """The total and section I written as formulas by software, never opened in Excel (no cached result),
    delivered over the month's good load: the same 58 figures stay in force (it used to replace them by
    48, the totals blank, and CT01a went from met to no data)."""
    unit = world.new_unit()
    sample = sample_file(world, "tax", PERIOD)
    expected = cp.tax_figures(sample)
    assert len(expected) == 58  # 12 rows (TONG, I, 1-9, II) x 5 money columns, less item 8's two '-'
    good_load(world, unit, "tax", PERIOD, sample)
    audit = Audit(world)
    outcome = ingest(world, "tax", unit, PERIOD, build(world, cp.tax_totals_as_formulas, sample))
    lost = audit.measure()
    assert outcome.status in ("replaced", "unchanged"), f"{outcome.status}: {outcome.message}"
    assert_tax_figures(in_force(world, unit, "tax", PERIOD), expected)
    audit.check(lost)


@pytest.mark.completeness
def test_a_blank_row_inside_the_school_register_loses_no_school(world):
    """A blank row after the 7th school (sheet row 15): all 13 public schools are in force (7 were)."""
    unit = world.new_unit()
    audit = Audit(world)
    outcome = ingest(world, "education", unit, PERIOD,
                     build(world, cp.blank_row_at(15), sample_file(world, "education", PERIOD)))
    lost = audit.measure()
    assert outcome.status == "loaded", outcome.message
    expected = cp.school_figures(PERIOD)
    assert len(expected) == 13
    schools = {m: (v[1], v[2]) for (i, m), v in in_force(world, unit, "education", PERIOD).items()
               if i == "SCHOOL_STANDARD"}
    assert schools == {code: (valid, 1.0) for code, valid in expected.items()}
    assert "blank row" in validation_text(world, outcome.load_id).lower()
    audit.check(lost)


@pytest.mark.completeness
def test_a_blank_row_inside_the_indicators_sheet_loses_no_indicator(world):
    """A blank row before section B (sheet row 15): all 12 indicators are in force (5 were)."""
    unit = world.new_unit()
    audit = Audit(world)
    outcome = ingest(world, "indicators", unit, PERIOD,
                     build(world, cp.blank_row_at(15), sample_file(world, "indicators", PERIOD)))
    lost = audit.measure()
    assert outcome.status == "loaded", outcome.message
    found = {i: v for (i, m), v in in_force(world, unit, "indicators", PERIOD).items() if m == ""}
    expected = cp.indicator_figures(PERIOD)
    assert sorted(i for i in found if i in cp.INDICATOR_CODES) == sorted(cp.INDICATOR_CODES)
    wrong = {}
    for code, (value, num, den, text) in expected.items():
        v, n, d, t = found[code]
        if (value is not None and not close(v, value)) or (num is not None and not close(n, num)) or (
                den is not None and not close(d, den)) or (text is not None and t != text):
            wrong[code] = ((v, n, d, t), (value, num, den, text))
    assert wrong == {}, f"(in force, expected): {wrong}"
    assert "blank row" in validation_text(world, outcome.load_id).lower()
    audit.check(lost)


@pytest.mark.completeness
def test_a_hidden_stale_sheet_is_never_read_the_visible_corrected_copy_is(world):
    unit = world.new_unit()
    sample = sample_file(world, "tax", PERIOD)
    audit = Audit(world)
    outcome = ingest(world, "tax", unit, PERIOD, build(world, cp.hidden_stale_sheet, sample))
    lost = audit.measure()
    assert outcome.status == "loaded", outcome.message
    assert_tax_figures(in_force(world, unit, "tax", PERIOD), cp.tax_figures(sample))
    assert "hidden" in validation_text(world, outcome.load_id).lower()
    audit.check(lost)


@pytest.mark.completeness
def test_a_draft_sheet_placed_first_is_passed_over(world):
    """`Nháp` first, then the real report renamed `Báo cáo tháng 6`, both titled as the report."""
    unit = world.new_unit()
    sample = sample_file(world, "tax", PERIOD)
    audit = Audit(world)
    outcome = ingest(world, "tax", unit, PERIOD, build(world, cp.draft_sheet_first, sample))
    lost = audit.measure()
    assert outcome.status == "loaded", outcome.message
    assert_tax_figures(in_force(world, unit, "tax", PERIOD), cp.tax_figures(sample))
    audit.check(lost)


@pytest.mark.completeness
def test_1e308_in_a_workbook_is_refused_at_its_cell(world):
    """1e308 million VND is infinite in VND: it was stored as inf and every later close crashed."""
    unit = world.new_unit()
    sample = sample_file(world, "tax", PERIOD)
    good_load(world, unit, "tax", PERIOD, sample)
    bad = build(world, bf.cells(G12=1e308), sample)
    fingerprint, alerts_before = sha256(bad), len(alerts_for(world, unit, "tax", PERIOD))
    audit = Audit(world)
    outcome = ingest(world, "tax", unit, PERIOD, bad)
    lost = audit.measure()
    assert_refused(world, outcome, unit, "tax", PERIOD, alerts_before, fingerprint)
    cp.names_place(outcome.message, bad.name, cp.TAX_SHEET, 12, f"column '{LUY_KE}'")
    assert_tax_figures(in_force(world, unit, "tax", PERIOD), cp.tax_figures(sample))
    audit.check(lost)


# ----------------------------------------------------------------------------------- Biểu 06 and exports
@pytest.mark.completeness
def test_a_bieu06_whose_total_row_disagrees_with_its_rows_is_refused_at_the_total(world):
    """The "Tổng số" row adds up within itself (online and in-person swapped) but not with the fields' rows:
    refused at the total's cell; the good report of the month (built from the same dossiers) stays."""
    period = "2025-10"
    rows = cp.bieu06_rows(cp.month_dossiers(world.samples, period), period)
    out = world.root / "built" / f"bieu06-{uuid.uuid4().hex[:8]}"
    (out / "good").mkdir(parents=True)
    name = f"bieu-06-{period}.xlsx"
    good = cp.write_bieu06(out / "good" / name, rows, cp.bieu06_total(rows), period)
    good_load(world, WARD, "public_service", period, good)
    expected = cp.bieu06_figures(rows)
    assert_rates(in_force(world, WARD, "public_service", period), expected)

    total = cp.bieu06_total(rows)
    total[3], total[4] = total[4], total[3]
    assert total[3] != total[4]
    bad = cp.write_bieu06(out / name, rows, total, period)
    fingerprint, alerts_before = sha256(bad), len(alerts_for(world, WARD, "public_service", period))
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, bad)
    lost = audit.measure()
    assert_refused(world, outcome, WARD, "public_service", period, alerts_before, fingerprint)
    cp.names_place(outcome.message, name, cp.BIEU06_SHEET, cp.BIEU06_FIRST_ROW + len(rows), "Trực tuyến")
    assert_rates(in_force(world, WARD, "public_service", period), expected)
    audit.check(lost)


@pytest.mark.completeness
@pytest.mark.parametrize(("period", "kind"), [pytest.param("2025-06", "json", id="empty_json_export"),
                                              pytest.param("2025-07", "csv", id="csv_export_with_its_header_only")])
def test_an_empty_dossier_export_over_a_good_month_is_held_as_suspicious(world, period, kind):
    """The month's export with no dossier, over the month's good export: held (quarantined and alerted), the
    good month stays in force; the message names the file and the dossiers in force it would drop."""
    dossiers = cp.month_dossiers(world.samples, period)
    sample = sample_file(world, "public_service", period, kind)
    good_load(world, WARD, "public_service", period, sample)
    expected = cp.dossier_figures(dossiers, period)
    assert_rates(in_force(world, WARD, "public_service", period), expected)

    maker = cp.json_export(cp.empty_json) if kind == "json" else cp.header_only_csv
    empty = build(world, maker, sample)
    fingerprint, alerts_before = sha256(empty), len(alerts_for(world, WARD, "public_service", period))
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, empty)
    lost = audit.measure()
    assert_refused(world, outcome, WARD, "public_service", period, alerts_before, fingerprint)
    cp.names_place(outcome.message, empty.name)
    assert cp.mentions_number(outcome.message, len(dossiers)), (len(dossiers), outcome.message)
    assert_rates(in_force(world, WARD, "public_service", period), expected)
    audit.check(lost)


@pytest.mark.completeness
def test_a_json_export_declaring_more_dossiers_than_it_holds_is_refused(world):
    period = "2025-08"
    sample = sample_file(world, "public_service", period)
    held = len(json.loads(sample.read_text(encoding="utf-8"))["du_lieu"])
    bad = build(world, cp.json_export(cp.declaring(99_999)), sample)
    fingerprint, alerts_before = sha256(bad), len(alerts_for(world, WARD, "public_service", period))
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, bad)
    lost = audit.measure()
    assert_refused(world, outcome, WARD, "public_service", period, alerts_before, fingerprint)
    cp.names_place(outcome.message, bad.name)
    assert "tong_so" in outcome.message and cp.mentions_number(outcome.message, 99_999), outcome.message
    assert cp.mentions_number(outcome.message, held), (held, outcome.message)
    assert in_force(world, WARD, "public_service", period) == {}
    audit.check(lost)


@pytest.mark.completeness
def test_dossiers_of_a_neighbouring_ward_are_left_out_and_reported(world):
    """200 dossiers of phường Trần Hưng Đạo (MaHoSo 000.00.10570-…, its DonViXuLy) in the ward's export:
    the month loads with the ward's own dossiers only, and the validation report names the others."""
    period = "2025-09"
    sample = sample_file(world, "public_service", period)
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period,
                     build(world, cp.json_export(cp.with_neighbour_dossiers(200)), sample))
    lost = audit.measure()
    assert outcome.status == "loaded", outcome.message
    assert_rates(in_force(world, WARD, "public_service", period),
                 cp.dossier_figures(cp.month_dossiers(world.samples, period), period))
    report = validation_text(world, outcome.load_id)
    assert cp.NEIGHBOUR_CODE in report and cp.mentions_number(report, 200), report[:2000]
    audit.check(lost)


# ------------------------------------------------------------------------------------------------ the API
@pytest.fixture()
def api(world):
    """A misbehaving API of its own per test (`api(mode)`), over the raw dossiers; closed after the test."""
    records = json.loads((world.samples / "public_service" / "dossiers.json").read_text(encoding="utf-8"))["du_lieu"]
    servers = []

    def start(mode: str):
        server = cp.MisbehavingApi(records, token=uuid.uuid4().hex, mode=mode)
        servers.append(server)
        return server, world.settings.with_overrides(public_service_url=server.base_url,
                                                     public_service_token=server.token)

    yield start
    for server in servers:
        server.close()


def test_the_loopback_api_loads_an_honest_month(world, api):
    """A control for `MisbehavingApi`: behaving, it gives the month the raw dossiers give."""
    period = "2025-02"
    _server, settings = api("honest")
    outcome = ingest(world, "public_service", WARD, period, settings=settings)
    assert outcome.status == "loaded", outcome.message
    assert_rates(in_force(world, WARD, "public_service", period),
                 cp.dossier_figures(cp.month_dossiers(world.samples, period), period))


def api_refused(world, outcome, period: str, alerts_before: int) -> None:
    if outcome.status not in ("failed", "quarantined"):
        whole = cp.dossier_figures(cp.month_dossiers(world.samples, period), period)
        got = {k[0]: v[1:3] for k, v in in_force(world, WARD, "public_service", period).items()}
        pytest.fail(f"{outcome.status} ({outcome.message!r}); in force (numerator, denominator): {got}; "
                    f"the whole month: {whole}")
    assert_refused(world, outcome, WARD, "public_service", period, alerts_before,
                   statuses=("failed", "quarantined"))
    assert "api:/api/v1/ho-so?" in outcome.message, outcome.message
    assert in_force(world, WARD, "public_service", period) == {}


@pytest.mark.completeness
def test_an_api_total_that_shrinks_between_pages_is_refused_after_one_re_pull(world, api):
    """Page 1 of the receipts says the true total, the later pages half of it (so paging stops early): a
    partial month. The pull is repeated once (the total may have moved), then refused."""
    period = "2025-04"
    server, settings = api("shrinking_total")
    alerts_before = len(alerts_for(world, WARD, "public_service", period))
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, settings=settings)
    lost = audit.measure()
    api_refused(world, outcome, period, alerts_before)
    assert "tong_so" in outcome.message, outcome.message
    assert server.requests[("tiep_nhan", 1)] == 2, dict(server.requests)
    audit.check(lost)


@pytest.mark.completeness
def test_an_api_that_ignores_the_page_number_is_refused(world, api):
    period = "2025-05"
    server, settings = api("repeated_page")
    alerts_before = len(alerts_for(world, WARD, "public_service", period))
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, settings=settings)
    lost = audit.measure()
    api_refused(world, outcome, period, alerts_before)
    assert "trang=2" in outcome.message or "page 2" in outcome.message, outcome.message
    audit.check(lost)


@pytest.mark.completeness
def test_a_gzip_bomb_answer_is_refused_by_a_decompressed_size_cap(world, api):
    """Page 1 of the receipts is 1 MiB of gzip that inflates to 1 GiB (valid JSON: the page, then spaces).
    Refused by a cap on the decompressed size, without the process's memory growing by the bomb."""
    period = "2025-03"
    server, settings = api("gzip_bomb")
    alerts_before = len(alerts_for(world, WARD, "public_service", period))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    audit = Audit(world)
    outcome = ingest(world, "public_service", WARD, period, settings=settings)
    lost = audit.measure()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert server.bomb_sent >= 1
    api_refused(world, outcome, period, alerts_before)
    assert any(w in outcome.message.lower() for w in ("decompress", "inflat", "uncompress")), outcome.message
    assert grown_mib < 256, f"peak memory grew by {grown_mib:.0f} MiB"
    audit.check(lost)
