"""Analyst views and the read-only analyst role.

The views are created by migrations 0003 and 0006 (their SQL is frozen there; warehouse/README.md documents
each one and its columns) and read the same on SQLite and PostgreSQL:

- ``v_attainment_latest``: the current judgement of every target and month;
- ``v_attainment_history``: every snapshot, numbered, with ``is_latest`` and ``is_restatement``;
- ``v_observations_lineage``: every figure with the cell and the delivery it came from;
- ``v_loads``: every delivery attempt with its latest validation outcome;
- ``v_validation_results``: every expectation-suite run with its delivery;
- ``v_source_status``: the latest delivery attempt per (source, unit, period) and the one in force;
- ``v_target_indicators``: which indicators (and source) each target of a plan reads, from the catalogue;
- ``v_judgement_figures``: the figures behind each judgement, one row per target x input figure, with the
  file, sheet, row, header and raw text each came from and its load;
- ``v_dossiers``: the dossiers behind CT08a/b/c (deliveries in force), flagged received, online, resolved,
  late, fee-bearing, paid online; no personal data;
- ``v_dossiers_monthly``: the same counted per unit and month, with the three rates;
- ``v_source_completeness``: every (source, unit, month) a plan expects or a delivery was tried for:
  ``delivered``, ``quarantined``, ``held``, ``failed``, ``missing`` or ``not_due``.

On PostgreSQL the NOLOGIN group role ``thidua_analyst`` may read these views and nothing else (no base
table, no write). The migration creates it when the migrating user may; otherwise an administrator runs
``thidua db analyst-role`` (``ensure_analyst_role``), which is idempotent. Grant it to a login role with
``GRANT thidua_analyst TO alice;``.
"""

from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

ANALYST_ROLE = "thidua_analyst"
VIEW_NAMES = ("v_attainment_history", "v_attainment_latest", "v_observations_lineage", "v_loads",
              "v_validation_results", "v_source_status",
              # migration 0006: one per analyst's question
              "v_target_indicators", "v_judgement_figures", "v_dossiers", "v_dossiers_monthly",
              "v_source_completeness")
SOURCE_STATUS_COLUMNS = ["source_code", "status", "latest_load_id", "active_load_id", "file_name", "message",
                         "rows_loaded", "finished_at"]
_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ensure_analyst_role(engine: Engine, role: str = ANALYST_ROLE) -> list[str]:
    """Create the NOLOGIN read-only role (if missing) and grant it SELECT on the views only (PostgreSQL).

    Idempotent: running it again changes nothing. Needs a user allowed to create roles and owning the
    views (the migrating user, or a superuser).

    Returns:
        The views granted.

    Raises:
        ValueError: the engine is not PostgreSQL, or the role name is not a plain lowercase identifier.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("the analyst role exists on PostgreSQL only (SQLite has no roles)")
    if not _ROLE_RE.match(role):
        raise ValueError(f"role name {role!r} must be a lowercase identifier (letters, digits, _)")
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if not exists:
            conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        conn.exec_driver_sql(f"GRANT SELECT ON {', '.join(VIEW_NAMES)} TO {role}")
    return list(VIEW_NAMES)


def read_view(engine: Engine, name: str, **equals) -> pd.DataFrame:
    """Rows of one analyst view, optionally filtered on columns by equality (``period="2025-10"``)."""
    if name not in VIEW_NAMES:
        raise ValueError(f"unknown view {name!r}; one of {', '.join(VIEW_NAMES)}")
    for column in equals:
        if not re.match(r"^[a-z_][a-z0-9_]*$", column):
            raise ValueError(f"bad column name {column!r}")
    where = " AND ".join(f"{c} = :{c}" for c in equals)
    sql = f"SELECT * FROM {name}" + (f" WHERE {where}" if where else "")
    with engine.connect() as conn:
        result = conn.execute(sa.text(sql), equals)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def read_source_status(engine: Engine, unit_code: str, period: str, source_codes) -> pd.DataFrame:
    """The data-quality state of each source for (unit, period): its latest delivery attempt.

    ``status`` is the latest attempt's (``loaded``, ``quarantined``, ``failed``; ``superseded`` cannot be
    latest) or ``missing`` when nothing was ever delivered; ``active_load_id`` is the delivery in force
    (an earlier good one stays in force when a correction is quarantined).

    Returns:
        One row per source code, in the given order, with the columns of ``SOURCE_STATUS_COLUMNS``.
    """
    frame = read_view(engine, "v_source_status", unit_code=str(unit_code), period=period)
    by_source = {r["source_code"]: r for r in frame.to_dict("records")}
    rows = []
    for code in source_codes:
        rec = by_source.get(code)
        if rec is None:
            rows.append({"source_code": code, "status": "missing", "latest_load_id": None, "active_load_id": None,
                         "file_name": None, "message": None, "rows_loaded": 0, "finished_at": None})
            continue
        rows.append({"source_code": code, "status": rec["latest_status"], "latest_load_id": rec["latest_load_id"],
                     "active_load_id": rec["active_load_id"], "file_name": rec["file_name"],
                     "message": rec["message"], "rows_loaded": rec["rows_loaded"],
                     "finished_at": rec["finished_at"]})
    return pd.DataFrame(rows, columns=SOURCE_STATUS_COLUMNS)
