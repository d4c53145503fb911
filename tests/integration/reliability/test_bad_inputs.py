"""The bad-input suite (issue 8): every bad delivery is refused through the product's real path.

Each case builds a bad file from a good generated sample (`badfiles.py`), drops it in the inbox
(`<inbox>/<unit>/<source>/<YYYY-MM>/`) and runs `flows.monthly_close.ingest_delivery` under Prefect's
test harness, with a JSON webhook on loopback as the alert channel. Then it asserts:

1. the message names the file and, where the defect has a place, the sheet, row and column, and what was
   found / expected (asserted on those facts, not on the whole sentence);
2. nothing of the delivery is loaded: active observations of (source, unit, period) are unchanged (SQL),
   and `ledger.audit` finds no half-loaded batch, duplicate load or orphan row (recorded in the ledger);
3. the file is in `quarantine/<unit>/<source>/<period>/` (same bytes) and not in `processed/`;
4. exactly one alert reached the webhook; delivering the same bad file again and re-running sends none.

Every other case first loads the good delivery of the same month and checks it stays in force (rows
lost = before - after = 0). One SQLite warehouse serves the module; each case has its own unit code
(70001, 70002, …), so cases never see each other's loads or alerts.

Cases (ids): layout: column missing / renamed / duplicated / extra, header row gone, empty sheet, no
matching sheet, unit line missing / not money; values: text in a number, ambiguous `1.207` (read the
Vietnamese way it exceeds the year to date), negative count, rate over 100 (two ways), blank vs `-` vs 0
in an item, month above year to date, total that does not add up (tax, indicators), duplicated rows
(tax, health, education), unknown codes (health conclusion, school level, security status), score over
its maximum, negative households, impossible date, expiry before decision, decision dated after the
month; periods: title of another month, a future month, year to date that decreases; files: password-
protected xlsx, truncated zip, corrupted zip, XML entity bomb, zip bomb, HTML page named `.xls`, PDF
named `.xlsx`, empty file, 200 MB file; text: two legacy fonts in one sheet, TCVN3 and NFD sheets with a
bad cell; dossier exports: JSON with wrong types, JSON without the `du_lieu` list, cut JSON, CSV in a
Windows code page, CSV without a column; the API: a page with a missing field; names: `..`, control
character, odd character, a link leading out of the inbox (real files), NUL, absolute and traversing
paths (through `check_delivery_path` and the ingest CLI).

Limits chosen (connectors/excel.py, connectors/inbox.py, flows/settings.py):
- THIDUA_MAX_FILE_MB, default 50 MB: checked from the file system before the file is opened (the 200 MB
  case is a sparse file made with `truncate`, so it costs no disk).
- A zipped workbook may hold at most 200 MB uncompressed in all, and no part over 1 MB may inflate more
  than 100 times (Apache POI's default); checked from the zip directory before any XML is parsed.
- Workbook XML with a DTD (`<!DOCTYPE`, `<!ENTITY`) is refused through defusedxml before calamine parses
  it; openpyxl (templates, tests) parses through defusedxml too (`openpyxl.xml.DEFUSEDXML`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.reliability import badfiles as bf
from tests.integration.reliability import ledger
from tests.integration.test_alerts import Webhook

pytestmark = [pytest.mark.prefect]

PERIOD = "2025-06"
TAX = "bao-cao-thu-nsnn-2025-06.xlsx"


@dataclass
class World:
    """One warehouse, inbox and webhook for the module; a fresh unit code per case."""

    root: Path
    settings: object
    hook: Webhook
    samples: Path
    engine: sa.Engine
    units: itertools.count = field(default_factory=lambda: itertools.count(70001))
    good_units: dict = field(default_factory=dict)

    def new_unit(self) -> str:
        return str(next(self.units))

    def unit_with_good_load(self, source: str) -> tuple[str, int]:
        """A unit whose good delivery of `source` for PERIOD is loaded (once per module): (unit, rows)."""
        if source not in self.good_units:
            unit = self.new_unit()
            self.good_units[source] = (unit, good_load(self, unit, source, PERIOD))
        return self.good_units[source]


@pytest.fixture(scope="module")
def world(tmp_path_factory, prefect_harness, samples_dir):
    from flows import tasks
    from flows.settings import Settings

    root = tmp_path_factory.mktemp("bad-inputs")
    hook = Webhook()
    settings = Settings.from_env({
        "THIDUA_DATA_DIR": str(root), "THIDUA_WAREHOUSE_URL": f"sqlite:///{root / 'warehouse.sqlite'}",
        "THIDUA_INBOX": str(root / "inbox"), "THIDUA_ALERT_WEBHOOK_URL": hook.url, "THIDUA_MAX_FILE_MB": "50"})
    tasks.prepare_warehouse(settings.warehouse_url, settings.catalogue_path)
    engine = sa.create_engine(settings.warehouse_url)
    yield World(root, settings, hook, samples_dir, engine)
    engine.dispose()
    hook.close()


def sample_file(world: World, source: str, period: str) -> Path:
    if source == "public_service":
        return world.samples / "public_service" / "exports" / f"ho-so-{period}.json"
    return next((world.samples / "inbox" / "10549" / source / period).iterdir())


def deliver(world: World, unit: str, source: str, period: str, file: Path, name: str | None = None) -> Path:
    folder = world.settings.inbox_dir / unit / source / period
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or file.name)
    shutil.copyfile(file, target)
    if source == "public_service" and target.suffix in (".json", ".csv"):
        # the sample ward's dossier codes name its unit (000.00.10549-…): under a test unit they must name
        # that unit, or the connector rightly leaves them out as another unit's dossiers
        data = target.read_bytes()
        target.write_bytes(data.replace(b".10549-", f".{unit}-".encode()))
    return target


def ingest(world: World, source: str, unit: str, period: str):
    from flows.monthly_close import ingest_delivery

    return ingest_delivery(world.settings, source, unit, period)


def active_rows(world: World, source: str, unit: str, period: str) -> int:
    with world.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM observations o JOIN loads l ON l.load_id = o.load_id WHERE l.status = 'loaded' "
            "AND l.source_code = :s AND l.unit_code = :u AND l.period = :p"), {"s": source, "u": unit,
                                                                               "p": period}).scalar_one()


def alerts_for(world: World, unit: str) -> list[dict]:
    return [m["alert"] for m in world.hook.received if m["alert"]["unit_code"] == unit]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder: Path) -> set[str]:
    return {sha256(p) for p in folder.iterdir()} if folder.is_dir() else set()


@dataclass
class Refusal:
    message: str
    alert: dict
    file: str


def good_load(world: World, unit: str, source: str, period: str) -> int:
    deliver(world, unit, source, period, sample_file(world, source, period))
    outcome = ingest(world, source, unit, period)
    assert outcome.status == "loaded", outcome.message
    rows = active_rows(world, source, unit, period)
    assert rows == outcome.rows > 0
    return rows


def refuse(world: World, source: str, build, *, period: str = PERIOD, good_first: bool = False,
           again: bool = False, unit: str | None = None, name: str | None = None,
           sample_period: str | None = None) -> Refusal:
    """Deliver the bad file `build` makes and check the four promises; returns what the user was told.

    `good_first`: the unit already has the month's good delivery of `source` in force (shared by the
    cases that ask for it: good data must survive every one of them). `again`: the same bad file is
    delivered a second time too (besides the plain rerun), and must not be alerted again.
    """
    if good_first:
        unit, good_rows = world.unit_with_good_load(source)
    else:
        unit, good_rows = unit or world.new_unit(), 0
    before = active_rows(world, source, unit, period)
    assert before == good_rows
    alerts_before = len(alerts_for(world, unit))
    out = world.root / "built" / f"{unit}-{len(list(world.root.glob('built/*')))}"
    out.mkdir(parents=True)
    bad = build(sample_file(world, source, sample_period or period), out)
    placed = deliver(world, unit, source, period, bad, name)
    fingerprint = sha256(placed)

    outcome = ingest(world, source, unit, period)
    assert outcome.status == "quarantined", outcome.message
    assert "Traceback" not in outcome.message and "\n" not in outcome.message

    # (2) nothing loaded, earlier good data in force, the warehouse consistent
    after = active_rows(world, source, unit, period)
    audit = ledger.audit(world.engine)
    ledger.record(rows_lost=max(before - after, 0), half_loaded_batches=audit["half_loaded_batches"],
                  duplicate_loads=audit["duplicate_loads"])
    assert after == before
    assert (audit["half_loaded_batches"], audit["duplicate_loads"], audit["orphan_observations"]) == (0, 0, 0)
    # (3) quarantined, not processed
    where = (unit, source, period)
    assert not placed.exists()
    assert fingerprint in hashes(world.settings.quarantine_dir.joinpath(*where))
    assert fingerprint not in hashes(world.settings.processed_dir.joinpath(*where))
    # (4) one alert; a rerun of the month (and, with `again`, the same bad file once more) sends none
    sent = alerts_for(world, unit)[alerts_before:]
    assert len(sent) == 1, sent
    alert = sent[0]
    assert (alert["kind"], alert["status"], alert["source_code"], alert["period"]) == (
        "validation_failed", "open", source, period)
    if again:
        deliver(world, unit, source, period, bad, name)
        assert ingest(world, source, unit, period).status == "quarantined"
    rerun = ingest(world, source, unit, period)
    assert rerun.status == ("unchanged" if good_first else "quarantined"), rerun.message
    assert len(alerts_for(world, unit)) == alerts_before + 1
    assert active_rows(world, source, unit, period) == before
    return Refusal(outcome.message, alert, placed.name)


def names_place(message: str, file: str, sheet: str | None = None, row: int | None = None,
                column: str | None = None) -> None:
    """The message names the file and, when given, the sheet, row and column (either sentence style)."""
    assert f"file {file}" in message, message
    if sheet is not None:
        assert f"sheet '{sheet}'" in message, message
    if row is not None:
        assert f"row {row}," in message or f"row {row}:" in message, message
    if column is not None:
        assert f"column '{column}'" in message, message


# ----------------------------------------------------------------------------------------- the cases
# (id, source, builder, place: (sheet, row, column) or None, facts the message states, load good first)
S, H2A, CRIT, EDU, IND = "Thu NSNN", "Mẫu 2a", "Tiêu chí trạm y tế", "Danh sách trường", "Chỉ tiêu"
LUY_KE, TH_THANG = "Lũy kế từ đầu năm", "Thực hiện tháng"

CASES = [
    # the layout
    ("column_missing", "tax", bf.delete_column(7), (S, 7, LUY_KE), ["expected a column headed"], True),
    ("column_renamed", "tax", bf.cells(G7="Cộng dồn"), (S, 7, LUY_KE), ["'Cộng dồn'", "expected a column headed"],
     False),
    ("column_duplicated", "tax", bf.duplicate_header_column(6, range(7, 22)), (S, 7, TH_THANG),
     ["2 columns with one meaning (F 'Thực hiện tháng', G 'Thực hiện tháng')",
      "expected one column 'Thực hiện tháng'"], True),
    # the header is still found by its other columns: the two missing ones are named at it
    ("header_row_gone", "tax", bf.cells(A7=None, B7=None), (S, 7, "STT"),
     ["2 problems", "expected a column headed 'STT'", "expected a column headed 'Nội dung thu'"], True),
    ("empty_sheet", "tax", bf.edit(bf.empty_sheet), (S, None, None), ["expected a header row"], False),
    ("no_matching_sheet", "tax", bf.workbook_of("health"), None,
     ["found ['Tiêu chí trạm y tế', 'Mẫu 2a']", "expected a sheet named 'Thu NSNN'"], True),
    ("unit_line_missing", "tax", bf.cells(K6=None), (S, 6, None),
     ["found 'no unit line'", "Đơn vị tính"], False),
    ("unit_line_not_money", "tax", bf.cells(K6="Đơn vị tính: Người"), (S, None, None),
     ["Người", "expected a money unit"], True),
    # values
    ("text_in_number", "tax", bf.cells(F13="khoảng 1.380"), (S, 13, TH_THANG),
     ["found 'khoảng 1.380'", "expected a number"], False),
    ("ambiguous_1_207", "tax", bf.cells(F15="1.207"), (S, 15, TH_THANG),
     ["tax.month_within_ytd", "found '1.207'"], True),
    ("negative_count", "health", bf.sheet_cells(H2A, C11=-5), (H2A, 11, "Kết quả"),
     ["health.count_not_negative", "found '-5'"], False),
    ("rate_over_100", "indicators", bf.cells(L22=150), (IND, None, "Thực hiện / Tháng 6"), ["obs.rate_0_100"],
     True),
    ("numerator_over_denominator", "indicators", bf.cells(L17=20000), (IND, 17, None),
     ["obs.numerator_within_denominator"], False),
    ("blank_in_item", "tax", bf.cells(G12=None), (S, None, None), ["tax.parent_equals_children"], True),
    ("dash_in_item", "tax", bf.cells(G12="-"), (S, None, None), ["tax.parent_equals_children"], False),
    ("zero_in_item", "tax", bf.cells(G12=0), (S, None, None), ["tax.parent_equals_children"], True),
    ("month_above_ytd", "tax", bf.add_to_cells(F12=40000.0, F11=40000.0, F10=40000.0), (S, 12, TH_THANG),
     ["tax.month_within_ytd"], False),
    ("total_does_not_add_up", "tax", bf.add_to_cells(F10=500.0), (S, 10, TH_THANG),
     ["tax.parent_equals_children", "found '16884.8'"], True),
    ("indicator_total_does_not_add_up", "indicators", bf.add_to_cells(L10=1000.0), (IND, 10, None),
     ["indicators.parent_equals_children"], False),
    ("duplicated_row_tax", "tax", bf.copy_row(12, 13), (S, 13, "STT"), ["I.1 appears twice"], True),
    # criterion 2 typed as 1: criterion 2 is missing from the national set (layouts/health.yaml)
    ("duplicated_row_health", "health", bf.cells(D9=1), (CRIT, 8, "Tiêu chí số"),
     ["expected a row for each of the 10 criteria of station TYT", "(criteria 2 missing)"], False),
    ("duplicated_row_education", "education", bf.cells(B9="MN-SD"), (EDU, None, None),
     ["education.school_unique"], True),
    ("unknown_conclusion", "health", bf.cells(I8="Đạt (dự kiến)"), (CRIT, 8, "Kết luận"),
     ["found 'Đạt (dự kiến)'", "expected 'Đạt' or 'Chưa đạt'"], False),
    ("score_over_maximum", "health", bf.cells(H8=12), (CRIT, 8, None), ["health.score_within_maximum"], True),
    ("unknown_school_level", "education", bf.cells(F8="Mức độ 3"), (EDU, 8, "Mức chuẩn quốc gia"),
     ["found 'Mức độ 3'", "expected 'Mức độ 1', 'Mức độ 2' or 'Chưa đạt'"], False),
    ("unknown_security_status", "indicators", bf.cells(L33="Ổn định"), (IND, 33, "Thực hiện / Tháng 6"),
     ["found 'Ổn định'", "expected 'Giữ vững' or 'Không giữ vững'"], True),
    ("negative_households", "indicators", bf.cells(L18=-15560), (IND, None, None),
     ["obs.denominator_not_negative"], False),
    ("impossible_date", "education", bf.cells(I9="31/02/2025"), (EDU, 9, "Ngày QĐ"),
     ["found '31/02/2025'", "expected a date dd/mm/yyyy"], True),
    ("expiry_before_decision", "education", bf.cells(K8="01/01/2020"), (EDU, 8, None),
     ["education.expires_after_granted"], False),
    ("decision_after_the_month", "education", bf.cells(I8="15/09/2025", K8="15/09/2030"), (EDU, 8, None),
     ["education.decision_not_future"], True),
    # periods
    ("title_of_another_month", "tax", bf.cells(A5="Tháng 5 năm 2025"), (S, None, None),
     ["Tháng 5 năm 2025", "2025-06"], False),
    # files
    ("password_protected", "tax", bf.password_protected, None,
     ["password-protected", "expected a workbook saved without a password"], True),
    ("truncated_zip", "tax", bf.truncated, None, ["a damaged or truncated zip container"], False),
    ("corrupted_zip", "tax", bf.corrupted, None, ["a damaged part xl/worksheets/sheet1.xml"], True),
    ("xml_entity_bomb", "tax", bf.entity_bomb, None,
     ["DTD or entity declarations in part xl/worksheets/sheet1.xml", "DTDForbidden"], False),
    ("zip_bomb", "tax", bf.zip_bomb, None, ["part xl/media/padding.xml inflating", "zip bomb",
                                            "at most 100 times"], True),
    ("html_page_named_xls", "tax", bf.html_page, None, ["an HTML page without a table"], False),
    ("pdf_named_xlsx", "tax", bf.raw_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), None,
     ["a unknown file", "expected an Excel workbook"], True),
    ("empty_file", "tax", bf.raw_bytes(b""), None, ["an empty file (0 bytes)"], False),
    ("file_of_200_mb", "tax", bf.sparse_file(200), None, ["a file of 200.0 MB", "at most 50 MB"], True),
    # text encodings
    ("two_legacy_fonts", "tax", bf.edit(bf.two_legacy_fonts), (S, None, None),
     ["unrecognised legacy font encoding"], False),
    ("tcvn3_sheet_with_text_in_number", "tax", bf.all_texts(bf.tcvn3, F13=bf.tcvn3("không rõ")),
     (S, 13, TH_THANG), ["found 'không rõ'", "expected a number"], True),
    ("nfd_sheet_with_text_in_number", "tax", bf.all_texts(bf.nfd, F13=bf.nfd("chưa có số")),
     (S, 13, TH_THANG), ["expected a number"], False),
    # dossier exports
    ("json_wrong_types", "public_service", bf.json_export(lambda e: e["du_lieu"][2].update(KenhThucHien="qua Zalo")),
     (None, 3, "KenhThucHien"), ["found 'qua Zalo'", "expected a channel 1, 2 or 3"], True),
    ("json_without_the_list", "public_service", bf.json_export(lambda e: e.update(du_lieu={"MaHoSo": 1})), None,
     ["expected a JSON export"], False),
]


@pytest.mark.bad_input
@pytest.mark.parametrize(("source", "build", "place", "says", "good_first", "again"),
                         [pytest.param(*c[1:], i % 3 == 0, id=c[0]) for i, c in enumerate(CASES)])
def test_bad_delivery_is_refused(world, source, build, place, says, good_first, again):
    refusal = refuse(world, source, build, good_first=good_first, again=again)
    sheet, row, column = place or (None, None, None)
    names_place(refusal.message, refusal.file, sheet, row, column)
    for fact in says:
        assert fact in refusal.message, (fact, refusal.message)


@pytest.mark.bad_input
def test_an_extra_column_is_ignored_reported_and_the_delivery_loads(world):
    # A column nobody declared (issue 15) is not a reason to refuse: the figures load as without it, and
    # the validation report (and the alert of the warning) names the column by its header and letter.
    unit = world.new_unit()
    out = world.root / "built" / f"{unit}-extra"
    out.mkdir(parents=True)
    extra = bf.cells(L7="Dự kiến tháng sau", L9="9", L12=5.0)(sample_file(world, "tax", PERIOD), out)
    deliver(world, unit, "tax", PERIOD, extra)
    outcome = ingest(world, "tax", unit, PERIOD)
    assert outcome.status == "loaded", outcome.message
    reference = world.new_unit()
    assert active_rows(world, "tax", unit, PERIOD) == good_load(world, reference, "tax", PERIOD)
    with world.engine.connect() as conn:
        report = conn.execute(sa.text(
            "SELECT v.result_json FROM validation_results v JOIN loads l ON l.load_id = v.load_id "
            "WHERE l.unit_code = :u AND l.status = 'loaded'"), {"u": unit}).scalar_one()
    text = report if isinstance(report, str) else json.dumps(report, ensure_ascii=False)
    assert "column 'Dự kiến tháng sau' (L)" in text and "not used" in text


@pytest.mark.bad_input
def test_year_to_date_that_decreases_is_refused_and_may_stays_in_force(world):
    unit = world.new_unit()
    may_rows = good_load(world, unit, "tax", "2025-05")
    # June's item 1 year to date falls 10 000 million below May's; section I and the total follow, so
    # only the history rule can see it.
    refusal = refuse(world, "tax", bf.add_to_cells(G12=-10000.0, G11=-10000.0, G10=-10000.0), unit=unit)
    names_place(refusal.message, TAX, S, 12, LUY_KE)
    assert "history.ytd_never_decreases" in refusal.message
    assert active_rows(world, "tax", unit, "2025-05") == may_rows


@pytest.mark.bad_input
def test_a_report_for_a_future_month_is_refused(world):
    # December 2025's report retitled as December of next year (the run's today is before it ends).
    import datetime as dt

    future = f"{dt.date.today().year + 1}-12"
    refusal = refuse(world, "tax", bf.cells(A5=f"Tháng 12 năm {future[:4]}"), period=future,
                     sample_period="2025-12")
    # a rule about the whole delivery has no cell to name; the alert names the file
    assert "bao-cao-thu-nsnn-2025-12.xlsx" in json.dumps(refusal.alert, ensure_ascii=False)
    assert "period.not_future" in refusal.message and f"found {future}" in refusal.message


@pytest.mark.bad_input
@pytest.mark.parametrize("name", [
    pytest.param("bao-cao..thu-nsnn-2025-06.xlsx", id="name_with_dot_dot"),
    pytest.param("bao-cao\x07thu-nsnn-2025-06.xlsx", id="name_with_control_character"),
    pytest.param("bao-cao|thu-nsnn-2025-06.xlsx", id="name_with_odd_character"),
])
def test_an_inbox_file_with_a_refused_name_is_quarantined(world, name):
    refusal = refuse(world, "tax", bf.copy_of(sample_file(world, "tax", PERIOD), "good.xlsx"), name=name)
    assert "inbox file" in refusal.message and "expected a plain file name" in refusal.message
    assert name.encode("unicode_escape").decode("ascii") in refusal.message


@pytest.mark.bad_input
def test_a_link_leading_out_of_the_inbox_is_refused_and_nothing_moves(world):
    """A link is refused before anything moves (issue 17): the link stays where it was, its target is
    untouched, nothing goes to quarantine, and the run says why."""
    unit = world.new_unit()
    folder = world.settings.inbox_dir / unit / "tax" / PERIOD
    folder.mkdir(parents=True)
    link = folder / TAX
    target = sample_file(world, "tax", PERIOD)
    before = target.read_bytes()
    link.symlink_to(target)
    outcome = ingest(world, "tax", unit, PERIOD)
    assert outcome.status == "failed"
    assert "link" in outcome.message and TAX in outcome.message
    assert active_rows(world, "tax", unit, PERIOD) == 0
    assert link.is_symlink() and target.read_bytes() == before
    assert not (world.settings.quarantine_dir / unit / "tax" / PERIOD).exists()
    audit = ledger.audit(world.engine)
    ledger.record(half_loaded_batches=audit["half_loaded_batches"], duplicate_loads=audit["duplicate_loads"])


@pytest.mark.bad_input
@pytest.mark.parametrize(("path", "found"), [
    pytest.param("10549/tax/2025-06/bao-cao\x00.xlsx", "a NUL character in the path", id="path_with_nul"),
    pytest.param("/etc/passwd", "an absolute path outside the inbox", id="absolute_path_outside_the_inbox"),
    pytest.param("10549/tax/2025-06/../../../../etc/passwd", "'..'", id="path_climbing_out_with_dot_dot"),
    pytest.param("10549/tax/2025-06/bao-cao\rthu.xlsx", "a control character in the name",
                 id="path_with_carriage_return"),
])
def test_delivery_paths_that_are_refused(tmp_path, path, found):
    from connectors.errors import BadInputError
    from connectors.inbox import check_delivery_path

    with pytest.raises(BadInputError) as info:
        check_delivery_path(tmp_path, path)
    message = str(info.value)
    assert found in message and "\x00" not in message and "\r" not in message
    assert message.startswith("inbox file ")


@pytest.mark.bad_input
def test_the_ingest_command_refuses_a_nul_in_its_file_argument(world):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["ingest", "--source", "tax", "--period", PERIOD,
                                      "--file", "bao-cao\x00.xlsx"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "embedded null byte" in result.output
    assert world.settings.quarantine_dir.is_dir()  # (the module's other cases ran; this one wrote nothing)


@pytest.mark.bad_input
def test_an_api_page_with_a_missing_field_loads_nothing_and_alerts_once(world, tmp_path):
    from standin.public_service import serve

    envelope = json.loads((world.samples / "public_service" / "dossiers.json").read_text(encoding="utf-8"))
    broken = next(r for r in envelope["du_lieu"] if r["NgayTiepNhan"][3:10] == "06/2025")
    del broken["KenhThucHien"]
    data = tmp_path / "dossiers.json"
    data.write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
    server, _thread = serve(data, host="127.0.0.1", port=0, token="bad-input-token")
    try:
        host, port = server.server_address[:2]
        settings = world.settings.with_overrides(public_service_url=f"http://{host}:{port}",
                                                 public_service_token="bad-input-token")
        unit = "10549"
        from flows.monthly_close import ingest_delivery

        outcome = ingest_delivery(settings, "public_service", unit, PERIOD)
        assert outcome.status == "failed"
        assert "/api/v1/ho-so?" in outcome.message and "field 'KenhThucHien'" in outcome.message
        assert "record " in outcome.message and "bad-input-token" not in outcome.message
        assert active_rows(world, "public_service", unit, PERIOD) == 0
        sent = alerts_for(world, unit)
        assert len(sent) == 1 and sent[0]["source_code"] == "public_service"
        # an answer out of contract is not a refusal: the alert says which it is
        assert "out of its contract" in sent[0]["summary_en"] and "sai cấu trúc" in sent[0]["summary_vi"]
        assert "refused" not in sent[0]["summary_en"]
        ingest_delivery(settings, "public_service", unit, PERIOD)
        assert len(alerts_for(world, unit)) == 1
    finally:
        server.shutdown()
        server.server_close()
    audit = ledger.audit(world.engine)
    ledger.record(half_loaded_batches=audit["half_loaded_batches"], duplicate_loads=audit["duplicate_loads"])
    assert audit["half_loaded_batches"] == 0 and audit["duplicate_loads"] == 0
