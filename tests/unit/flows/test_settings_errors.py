"""A bad setting, period or unit code, given to the real `thidua` commands (CliRunner, in process): exit 2,
one line on stderr naming the variable or option and the value, with an example, no traceback, and nothing
done (no warehouse file, no folder built from a unit code). Expected sentences are written by hand here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import Env

REPO = Path(__file__).resolve().parents[3]
PLAN = REPO / "catalogue" / "ke-hoach-2025-10549.yaml"


def invoke(tmp_path: Path, args: list[str], **env):
    """Run one command with a private data folder; the catalogue is the 2025 plan unless `env` says otherwise."""
    values = {"THIDUA_DATA_DIR": tmp_path / "data", "THIDUA_CATALOGUE": PLAN, "THIDUA_UNIT": "10549", **env}
    with Env(**values):
        return CliRunner().invoke(app, args)


def one_sentence(result) -> str:
    """The single stderr line of a refused command (exit 2, no traceback), without its 'error: ' prefix."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def nothing_written(tmp_path: Path, keep: tuple[Path, ...] = ()) -> None:
    made = [p for p in tmp_path.rglob("*") if p not in keep]
    assert made == [], made


def next_month() -> str:
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    year, month = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return f"{year:04d}-{month:02d}"


# (variable, value, words the sentence must hold besides the variable's name)
BAD_SETTINGS = [
    ("THIDUA_MAX_FILE_MB", "abc", ["'abc'", "size in MB", "e.g. 50"]),
    ("THIDUA_SMTP_PORT", "abc", ["'abc'", "port number", "e.g. 587"]),
    ("THIDUA_SMTP_PORT", "70000", ["'70000'", "1 to 65535"]),
    ("THIDUA_HTTP_TIMEOUT_S", "-1", ["'-1'", "seconds", "e.g. 30"]),
    ("THIDUA_MAX_FILE_MB", "inf", ["'inf'", "size in MB"]),
    ("THIDUA_SMTP_SECURITY", "tls", ["'tls'", "auto, starttls, ssl, none"]),
    ("THIDUA_SMTP_TO", "van phong", ["'van phong'", "e-mail address", "e.g. "]),
    ("THIDUA_UNIT", "../evil", ["'../evil'", "digits only", "e.g. 10549"]),
    ("THIDUA_PUBLIC_SERVICE_URL", "127.0.0.1:8765", ["'127.0.0.1:8765'", "http/https URL", "e.g. http://"]),
    ("THIDUA_WAREHOUSE_URL", "/srv/thidua/warehouse.sqlite",
     ["'/srv/thidua/warehouse.sqlite'", "not a database URL", "e.g. sqlite:////srv/thidua/warehouse.sqlite"]),
    ("THIDUA_WAREHOUSE_URL", "mysql://thidua@db/thidua", ["mysql", "SQLite or PostgreSQL", "e.g. postgresql://"]),
    ("THIDUA_WAREHOUSE_URL", "postgresql+psycopg2://thidua@db/thidua", ["psycopg2", "does not install"]),
]


@pytest.mark.parametrize("name, value, words", BAD_SETTINGS, ids=[f"{n}={v}" for n, v, _ in BAD_SETTINGS])
def test_a_bad_setting_is_one_sentence_naming_it(tmp_path, name, value, words):
    sentence = one_sentence(invoke(tmp_path, ["attainment", "--period", "2025-06"], **{name: value}))
    assert sentence.startswith(name), sentence
    for word in words:
        assert word in sentence, (word, sentence)
    nothing_written(tmp_path)


def test_a_catalogue_that_is_not_there_is_named_before_any_work(tmp_path):
    missing = tmp_path / "catalogue" / "ke-hoach-2025-10549.yml"
    sentence = one_sentence(invoke(tmp_path, ["run", "--period", "2025-06"], THIDUA_CATALOGUE=missing))
    assert sentence.startswith(f"THIDUA_CATALOGUE='{missing}' does not exist"), sentence
    assert "e.g. catalogue/ke-hoach-2025-10549.yaml" in sentence
    nothing_written(tmp_path)


def test_a_data_folder_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "data.txt"
    afile.write_text("x")
    sentence = one_sentence(invoke(tmp_path, ["attainment", "--period", "2025-06"], THIDUA_DATA_DIR=afile))
    assert sentence.startswith(f"THIDUA_DATA_DIR='{afile}' is a file, not a folder"), sentence


def test_secrets_are_named_never_shown(tmp_path):
    hook = one_sentence(invoke(tmp_path, ["attainment", "--period", "2025-06"],
                               THIDUA_ALERT_WEBHOOK_URL="chat.example.org/hooks/t0ken-SECRET"))
    assert hook.startswith("THIDUA_ALERT_WEBHOOK_URL") and "t0ken-SECRET" not in hook, hook
    url = one_sentence(invoke(tmp_path, ["attainment", "--period", "2025-06"],
                              THIDUA_WAREHOUSE_URL="mysql://thidua:pa55word@db/thidua"))
    assert "pa55word" not in url and "mysql://thidua:***@db/thidua" in url, url


@pytest.mark.parametrize("spelling", ["postgresql://thidua@db.example:5433/thidua",
                                      "postgres://thidua@db.example:5433/thidua",
                                      "postgresql+psycopg://thidua@db.example:5433/thidua"])
def test_postgresql_spellings_mean_psycopg_3(spelling):
    from flows.settings import Settings

    url = Settings.from_env({"THIDUA_WAREHOUSE_URL": spelling}).warehouse_url
    assert url == "postgresql+psycopg://thidua@db.example:5433/thidua"


def test_a_password_survives_normalisation():
    from flows.settings import Settings

    url = Settings.from_env({"THIDUA_WAREHOUSE_URL": "postgres://thidua:p%40ss@db/thidua"}).warehouse_url
    assert url == "postgresql+psycopg://thidua:p%40ss@db/thidua"


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize("command", [
    ["run", "--period", "{p}"],
    ["attainment", "--period", "{p}"],
    ["ingest", "--source", "tax", "--period", "{p}", "--file", "{file}"],
    ["backfill", "--from", "2025-11", "--to", "{p}"],
    ["report", "--period", "{p}", "--out", "{tmp}/r.xlsx"],
    ["city", "close", "--period", "{p}"],
], ids=lambda c: " ".join(c[:2]))
def test_a_month_not_yet_ended_is_refused_saying_so(tmp_path, command):
    delivered = tmp_path / "bao-cao.xlsx"
    delivered.write_bytes(b"PK")
    args = [a.format(p=next_month(), file=delivered, tmp=tmp_path) for a in command]
    sentence = one_sentence(invoke(tmp_path, args))
    assert sentence.startswith(f"period {next_month()} is a month not yet ended (today is "), sentence
    assert "Vietnam time" in sentence
    nothing_written(tmp_path, keep=(delivered,))


@pytest.mark.parametrize("command, year", [
    (["run", "--period", "2023-06"], 2023),            # before the 2025 plan's baseline year
    (["backfill", "--from", "2023-12", "--to", "2024-02"], 2023),
    (["ingest", "--source", "tax", "--period", "2023-06", "--file", "{file}"], 2023),
    (["attainment", "--period", "2024-06"], 2024),     # the baseline year is loaded, never judged
    (["dashboard", "--period", "2024-06", "--out", "{tmp}/d"], 2024),
])
def test_a_year_without_a_plan_is_refused_naming_the_command_that_adds_one(tmp_path, command, year):
    delivered = tmp_path / "bao-cao.xlsx"
    delivered.write_bytes(b"PK")
    args = [a.format(file=delivered, tmp=tmp_path) for a in command]
    sentence = one_sentence(invoke(tmp_path, args))
    assert sentence.startswith(f"no plan for {year} in the catalogue ({PLAN}): it has unit 10549's plan for 2025 "
                               "only"), sentence
    assert (f"`thidua plan import FILE --unit 10549 --year {year} --out "
            f"{PLAN.parent}/ke-hoach-{year}-10549.yaml`") in sentence or \
           f"--year {year} --out catalogue/ke-hoach-{year}-10549.yaml`" in sentence, sentence
    assert sentence.endswith("and point THIDUA_CATALOGUE at it")
    nothing_written(tmp_path, keep=(delivered,))


def test_run_for_a_year_with_no_plan_in_a_folder_of_plans(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "ke-hoach-2025-10549.yaml").write_bytes(PLAN.read_bytes())
    sentence = one_sentence(invoke(tmp_path, ["run", "--period", "2023-01"], THIDUA_CATALOGUE=folder))
    assert sentence.startswith(f"no plan for 2023 in the catalogue ({folder})"), sentence
    assert sentence.endswith(f"`thidua plan import FILE --unit 10549 --year 2023 --out "
                             f"{folder}/ke-hoach-2023-10549.yaml`"), sentence


@pytest.mark.parametrize("command", [["run", "--period", "0000-01"], ["attainment", "--period", "0000-01"],
                                     ["city", "rollup", "--period", "0000-01"]])
def test_year_zero_is_refused(tmp_path, command):
    sentence = one_sentence(invoke(tmp_path, command))
    assert sentence.startswith("period '0000-01': no plan for the year 0000"), sentence


def test_plan_years_come_from_file_names_or_plan_headers(tmp_path):
    from flows.settings import plan_years_by_unit

    (tmp_path / "ke-hoach-2025-10549.yaml").write_text("")
    (tmp_path / "ke-hoach-2026-10549.yaml").write_text("")
    (tmp_path / "ke-hoach-2025-90001.yaml").write_text("")
    (tmp_path / "ke-hoach-phuong-moi.yaml").write_text("plan: {unit_code: '90002', year: 2026}\n")
    assert plan_years_by_unit(tmp_path) == {"10549": {2025, 2026}, "90001": {2025}, "90002": {2026}}
    assert plan_years_by_unit(PLAN) == {"10549": {2025}}


# ---------------------------------------------------------------- unit codes


@pytest.mark.parametrize("command", [
    ["run", "--period", "2025-06", "--unit", "{u}"],
    ["backfill", "--from", "2025-01", "--to", "2025-02", "--unit", "{u}"],
    ["ingest", "--source", "tax", "--period", "2025-06", "--file", "{file}", "--unit", "{u}"],
    ["validate", "--source", "tax", "--period", "2025-06", "--file", "{file}", "--unit", "{u}"],
    ["attainment", "--period", "2025-06", "--unit", "{u}"],
    ["report", "--period", "2025-06", "--out", "{tmp}/r.xlsx", "--unit", "{u}"],
    ["dashboard", "--period", "2025-06", "--out", "{tmp}/d", "--unit", "{u}"],
    ["template", "--year", "2025", "--out", "{tmp}/t.xlsx", "--unit", "{u}"],
    ["city", "close", "--period", "2025-06", "--units", "10549,{u}"],
], ids=lambda c: " ".join(c[:2]))
def test_a_unit_code_that_is_a_path_is_refused_before_any_path_is_built(tmp_path, command):
    delivered = tmp_path / "bao-cao.xlsx"
    delivered.write_bytes(b"PK")
    args = [a.format(u="../evil", file=delivered, tmp=tmp_path) for a in command]
    sentence = one_sentence(invoke(tmp_path, args))
    option = "--units" if "--units" in command else "--unit"
    assert sentence == f"{option} '../evil' is not a unit code; expected the unit's GSO code, digits only, e.g. 10549"
    nothing_written(tmp_path, keep=(delivered,))


def test_a_unit_without_a_plan_is_refused_naming_the_units_there_are(tmp_path):
    sentence = one_sentence(invoke(tmp_path, ["run", "--period", "2025-06", "--unit", "99999"]))
    assert sentence.startswith(f"--unit 99999 is not a unit of the catalogue {PLAN} (it has plans for 10549)")
    nothing_written(tmp_path)


@pytest.mark.parametrize("flow_name", ["close_month", "ingest_file", "close_city_month"])
def test_a_deployment_parameter_that_is_a_path_is_refused(tmp_path, flow_name):
    """The flows' own bodies (`.fn`: what a worker runs for `prefect deployment run … --param unit_code=…`)."""
    from flows import close_city, monthly_close
    from flows.settings import SettingsError

    calls = {"close_month": lambda: monthly_close.close_month.fn(period="2025-06", unit_code="../evil"),
             "ingest_file": lambda: monthly_close.ingest_file.fn("tax", "2025-06", str(tmp_path / "f.xlsx"),
                                                                 unit_code="../evil"),
             "close_city_month": lambda: close_city.close_city_month.fn(period="2025-06",
                                                                        unit_codes=["10549", "../evil"])}
    with Env(THIDUA_DATA_DIR=tmp_path / "data", THIDUA_CATALOGUE=PLAN, THIDUA_UNIT="10549"):
        with pytest.raises(SettingsError) as info:
            calls[flow_name]()
    assert "'../evil' is not a unit code" in str(info.value)
    nothing_written(tmp_path)


def test_the_demo_hint_names_a_program_that_exists():
    from flows.demo import query_hint

    hint = query_hint(REPO / "data", cwd=REPO)
    program = hint.split()[0]
    assert hint == f"{program} attainment --period 2025-12 --format json"
    assert "/" in program and (REPO / program).is_file(), hint  # not a bare `thidua`, which is not on PATH
