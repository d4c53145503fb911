"""Shared fixtures: generated sample exports, and real warehouses (SQLite file, PostgreSQL database).

PostgreSQL: the server on 127.0.0.1:5432 (trust auth). Each test session creates its own throw-away
database next to `test` and drops it at the end, so runs never see each other's rows. Set
THIDUA_TEST_PG_URL to point elsewhere. When the server is unreachable, PostgreSQL tests fail (they are
never skipped: CI must exercise both warehouses).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_PATH = REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def catalogue_path() -> Path:
    return CATALOGUE_PATH


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory) -> Path:
    """The full deterministic sample set (2024-01 .. 2025-12), generated once per test session."""
    from samples.generate import generate

    out = tmp_path_factory.mktemp("samples")
    generate(out, seed=2025)
    return out


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return os.environ.get("THIDUA_TEST_PG_URL", DEFAULT_PG_URL)


@pytest.fixture()
def pg_url(pg_server_url):
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    import sqlalchemy as sa

    name = f"thidua_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(pg_server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    """URL of a fresh SQLite warehouse file."""
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    """Both engines: every test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return request.getfixturevalue("pg_url")


# --- the reliability suite's summary (tests/integration/reliability/ledger.py) --------------------------------------
_LEDGER_MARKERS = ("bad_input", "fault", "security", "completeness")


def pytest_configure(config):
    config.addinivalue_line("markers", "completeness: a case of the completeness suite (issue 16), counted in "
                                       "the reliability summary")


# Under pytest-xdist the tests run in worker processes: what a test measured (`ledger.record`) travels to the
# controller, which prints the summary, in the report's user_properties (each amount shipped once).
_LEDGER_SHIPPED: dict = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    from tests.integration.reliability import ledger

    keys = [*ledger.MEASURED, *(f"{name}_checks" for name in ledger.MEASURED)]
    delta = {k: ledger.COUNTERS[k] - _LEDGER_SHIPPED.get(k, 0) for k in keys}
    delta = {k: v for k, v in delta.items() if v}
    if delta:
        _LEDGER_SHIPPED.update({k: ledger.COUNTERS[k] for k in delta})
        outcome.get_result().user_properties.append(("thidua_ledger", delta))


def pytest_runtest_logreport(report):
    """Count every test marked bad_input / fault / security / completeness that ran, and those that failed."""
    from tests.integration.reliability import ledger

    if getattr(report, "node", None) is not None:  # the controller, receiving a worker's report
        for name, delta in report.user_properties:
            if name == "thidua_ledger":
                ledger.COUNTERS.update(delta)
    if report.when != "call" and not (report.when == "setup" and report.failed):
        return

    keywords = report.keywords
    marked = [m for m in _LEDGER_MARKERS if m in keywords]
    for marker in marked:
        ledger.COUNTERS[f"{marker}_tried"] += 1
    if marked and report.failed:
        ledger.COUNTERS["reliability_failed"] += 1


def pytest_terminal_summary(terminalreporter):
    from tests.integration.reliability import ledger

    line = ledger.summary_line()
    if line:
        terminalreporter.write_sep("=", "reliability summary")
        terminalreporter.write_line(line)
