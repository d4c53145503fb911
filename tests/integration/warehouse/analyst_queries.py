"""The analyst views over a closed sample year, read as the read-only role (issue 18).

Every SQL statement of warehouse/README.md's "Useful queries" runs, as written, as a login role that is a
member of ``thidua_analyst`` on PostgreSQL, and on SQLite, over the year the monthly close loaded, and finds
rows. The figures checked come from the generator's parameters (samples/params.yaml: October 2025), never
from the code under test.

These tests need ``closed_year`` (tests/integration/test_monthly_close.py: every month of 2024-2025 closed,
minutes per engine), so they are collected there, by import: ``make test`` runs a test file per xdist
worker, and only that file's worker holds the closed year. This module's name does not start with
``test_`` so that pytest does not collect it a second time.
"""

from __future__ import annotations

import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse import views

README = Path(__file__).resolve().parents[3] / "warehouse" / "README.md"
UNIT = "10549"
# samples/params.yaml, public_service 2025 (lists of 12; October is index 9) and its carry_pct
RECEIVED = [1620, 1380, 2050, 1940, 2010, 1880, 1990, 1860, 1970, 2140, 2060, 2255]
ONLINE_PCT = [66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77]
FEE_PCT = 36                 # every month of 2025
FEE_ONLINE_PCT_OCT = 68      # fee_online_pct of October
REJECTED = [9, 7, 12, 10, 11, 9, 10, 8, 11, 12, 10, 13]
LATE = [6, 6, 7, 5, 6, 6, 7, 6, 6, 7, 6, 7]
CARRY_PCT = 14
# params.yaml's header: CT06 behind in Oct-Nov, CT13 behind Jan-Oct, CT01b, CT08b and CT10 behind Jan-Nov
BEHIND_IN_OCTOBER = {"CT01b", "CT06", "CT08b", "CT10", "CT13"}


def half_up(x) -> int:
    return int(Decimal(str(x)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def useful_queries() -> list[tuple[str, str]]:
    """(first comment line, statement) of every statement of the README's "Useful queries" SQL blocks."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Useful queries\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.S)
    assert blocks, "no ```sql block under 'Useful queries'"
    out = []
    for block in blocks:
        for statement in block.split(";"):
            if not re.sub(r"--[^\n]*", "", statement).strip():
                continue
            comment = next((line.strip()[2:].strip() for line in statement.strip().splitlines()
                            if line.strip().startswith("--")), "")
            out.append((comment, statement.strip()))
    return out


@pytest.fixture(scope="module")
def analyst(closed_year):
    """A connection factory on the closed year's warehouse: as a login member of thidua_analyst on
    PostgreSQL (the role created for this module and dropped after), as is on SQLite (no roles)."""
    env, _results = closed_year
    url = sa.engine.make_url(str(env["THIDUA_WAREHOUSE_URL"]))
    if url.get_backend_name() != "postgresql":
        engine = sa.create_engine(url)
        yield engine, "sqlite"
        engine.dispose()
        return
    login = f"analyst_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN")
        conn.exec_driver_sql(f"GRANT {views.ANALYST_ROLE} TO {login}")
    engine = sa.create_engine(url.set(username=login, password=None))
    try:
        yield engine, "postgresql"
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
        admin.dispose()


def rows(engine, sql: str) -> list[dict]:
    """The statement's rows as dicts, sent as written through the driver (as psql or sqlite3 would send it:
    no parameters, so a `%` is just a character)."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        finally:
            cursor.close()


def test_every_useful_query_runs_as_the_analyst_and_finds_rows(analyst):
    engine, dialect = analyst
    if dialect == "postgresql":  # the connection really is the restricted role
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_has_role(current_user, 'thidua_analyst', 'member')").scalar()
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.exec_driver_sql("SELECT count(*) FROM observations")
    queries = useful_queries()
    assert len(queries) >= 8
    results = {}
    for comment, sql in queries:
        found = rows(engine, sql)
        assert found, f"no rows on {dialect}: {comment}"
        results[comment] = found

    def answer(words: str) -> list[dict]:
        matching = [c for c in results if words in c]
        assert len(matching) == 1, (words, list(results))
        return results[matching[0]]

    behind = answer("which targets were behind")
    assert {r["target_code"] for r in behind} == BEHIND_IN_OCTOBER
    assert all(r["file_name"] and r["column_name"] for r in behind)
    # CT10 clean water: one figure, the indicators workbook's October cell (params.yaml: 55,970 of 56,251)
    water = [r for r in behind if r["target_code"] == "CT10"]
    assert [(r["indicator_code"], r["figure_numerator"], r["figure_denominator"]) for r in water] == [
        ("NUOC_SACH", 55970, 56251)]
    assert water[0]["file_name"] == "chi-tieu-khac-2025-10.xlsx" and water[0]["raw_text"] == "55970"
    # CT08b: one figure per month Jan..Oct, October's resolved = received - rejected - carry + September's carry
    on_time = sorted((r for r in behind if r["target_code"] == "CT08b"), key=lambda r: r["figure_period"])
    assert [r["figure_period"] for r in on_time] == [f"2025-{m:02d}" for m in range(1, 11)]
    resolved = RECEIVED[9] - REJECTED[9] - half_up(RECEIVED[9] * CARRY_PCT / 100) + half_up(
        RECEIVED[8] * CARRY_PCT / 100)
    assert (on_time[-1]["figure_numerator"], on_time[-1]["figure_denominator"]) == (resolved - LATE[9], resolved)

    late = answer("late dossiers")
    assert len(late) == LATE[9]
    assert all(r["days_late"] >= 1 and str(r["finished_at"])[:10] > str(r["due_at"])[:10] for r in late)
    assert len({r["dossier_code"] for r in late}) == LATE[9]

    october = [r for r in answer("dossiers behind CT08") if r.get("received") is not None and r["period"] == "2025-10"]
    fee = half_up(RECEIVED[9] * FEE_PCT / 100)
    assert [(r["received"], r["received_online"], r["resolved"], r["resolved_late"], r["fee_bearing"],
             r["fee_paid_online"]) for r in october] == [
        (RECEIVED[9], half_up(RECEIVED[9] * ONLINE_PCT[9] / 100), resolved, LATE[9], fee,
         half_up(fee * FEE_ONLINE_PCT_OCT / 100))]

    reads = {(r["target_code"], r["role"], r["indicator_code"]) for r in answer("which indicators")}
    assert {("CT01a", "numerator", "REV_YTD"), ("CT01a", "denominator", "REV_PRIOR_YTD"),
            ("CT08b", "figure", "DOSSIER_ON_TIME"), ("CT01b", "estimate", "REV_ESTIMATE_STATE")} <= reads
    assert len({r[0] for r in reads}) == 20

    complete = answer("completeness of every source")
    assert len(complete) == 5 * 12 and {r["status"] for r in complete} == {"delivered"}


def test_dossier_counts_equal_the_figures_judged(analyst):
    """Each month's dossier counts equal the numerators and denominators of the DOSSIER_* figures in force."""
    engine, _dialect = analyst
    monthly = {r["period"]: r for r in rows(engine, f"SELECT * FROM v_dossiers_monthly WHERE unit_code = '{UNIT}'")}
    figures = rows(engine, "SELECT period, indicator_code, numerator, denominator FROM v_observations_lineage "
                           f"WHERE is_active AND unit_code = '{UNIT}' AND indicator_code LIKE 'DOSSIER%'")
    assert len(monthly) == 24 and len(figures) == 3 * 24
    pairs = {"DOSSIER_ONLINE": ("received_online", "received"), "DOSSIER_ON_TIME": ("resolved_on_time", "resolved"),
             "DOSSIER_FEE_ONLINE": ("fee_paid_online", "fee_bearing")}
    for f in figures:
        num, den = pairs[f["indicator_code"]]
        month = monthly[f["period"]]
        assert (month[num], month[den]) == (f["numerator"], f["denominator"]), (f["period"], f["indicator_code"])


def test_every_figure_behind_a_judgement_is_found(analyst):
    """Every input of every current judgement of 2025 leads to at least one stored figure, and each
    figure's indicator is one its target reads (or the year-to-date figure standing for it)."""
    engine, _dialect = analyst
    found = rows(engine, "SELECT target_code, period, input_load_id, input_period, COUNT(observation_id) AS n "
                         "FROM v_judgement_figures WHERE is_latest AND unit_code = '10549' "
                         "GROUP BY target_code, period, input_load_id, input_period")
    assert len({(r["target_code"], r["period"]) for r in found}) == 20 * 12
    assert [r for r in found if r["n"] == 0] == []
    reads = {}
    for r in rows(engine, "SELECT target_code, indicator_code FROM v_target_indicators"):
        reads.setdefault(r["target_code"], set()).update({r["indicator_code"], f"{r['indicator_code']}_YTD"})
    used = rows(engine, "SELECT DISTINCT target_code, indicator_code FROM v_judgement_figures WHERE is_latest")
    assert all(u["indicator_code"] in reads[u["target_code"]] for u in used)
