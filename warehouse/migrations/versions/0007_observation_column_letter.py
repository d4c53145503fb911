"""The spreadsheet column letter of every observation's cell (issue 18: "ô G14"), and the two views that show
an observation's cell with it: ``v_observations_lineage`` (0003) and ``v_judgement_figures`` (0006) gain
``column_letter`` and ``cell`` (``G14``: the letter and the row, NULL when either is unknown).

``observations.column_letter`` is a nullable column added in place (``ALTER TABLE … ADD COLUMN`` on both
engines; no SQLite table rebuild, so the views on ``observations`` stay valid). Observations loaded before
this migration keep NULL (the figure's cell is then named by its row and header, as before). The two views
are dropped and created again with the new columns last, and granted again to ``thidua_analyst`` on
PostgreSQL (a dropped view loses its grants); the other views of 0003 and 0006 are untouched.

The SQL is frozen here: the views' SELECTs are 0003's and 0006's with the two columns appended (0006's
engine-specific fragments are reused from that migration's module, whose text never changes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ANALYST_ROLE = "thidua_analyst"
VIEWS = ["v_observations_lineage", "v_judgement_figures"]

# 'G' || '14' -> 'G14'; NULL when the letter or the row is unknown (|| with NULL is NULL on both engines)
_CELL = "o.column_letter || CAST(o.row_number AS TEXT)"

_LINEAGE_0003 = """
        SELECT o.observation_id, o.load_id, l.source_code, l.status AS load_status,
               (l.status = 'loaded') AS is_active, l.period AS load_period, l.file_name, l.fingerprint,
               l.finished_at AS loaded_at,
               o.indicator_code, o.unit_code, o.period, o.member_code, o.value, o.numerator, o.denominator,
               o.text_value, o.source_file, o.sheet, o.row_number, o.column_name, o.raw_text{extra}
        FROM observations o
        JOIN loads l ON l.load_id = o.load_id
"""
_JUDGEMENT_TAIL_0006 = "o.column_name AS column_name, o.raw_text AS raw_text"


def _migration_0006():
    """Migration 0006's module (its file name starts with a digit: not importable by name)."""
    path = Path(__file__).with_name("0006_analyst_views_by_question.py")
    spec = importlib.util.spec_from_file_location("thidua_migration_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def view_sql(dialect_name: str, *, with_letter: bool = True) -> dict[str, str]:
    """The SELECT of each replaced view for one engine: with ``column_letter`` and ``cell`` (upgrade), or as
    0003 and 0006 made them (downgrade)."""
    extra = f", o.column_letter AS column_letter, {_CELL} AS cell" if with_letter else ""
    judgement = _migration_0006().view_sql(dialect_name)["v_judgement_figures"]
    if _JUDGEMENT_TAIL_0006 not in judgement:  # 0006 is frozen; this guards a careless edit of it
        raise RuntimeError("migration 0006's v_judgement_figures no longer ends with its lineage columns")
    return {"v_observations_lineage": _LINEAGE_0003.format(extra=extra),
            "v_judgement_figures": judgement.replace(_JUDGEMENT_TAIL_0006, _JUDGEMENT_TAIL_0006 + extra)}


_PG_GRANTS = f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
        EXECUTE 'GRANT SELECT ON {", ".join(VIEWS)} TO {ANALYST_ROLE}';
    END IF;
END $$;
"""


def _drop_views() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _create_views(with_letter: bool) -> None:
    dialect = op.get_bind().dialect.name
    sql = view_sql(dialect, with_letter=with_letter)
    for name in VIEWS:
        op.execute(f"CREATE VIEW {name} AS {sql[name].strip()}")
    if dialect == "postgresql":
        op.execute(_PG_GRANTS)


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("observations", sa.Column("column_letter", sa.String(length=8), nullable=True))
    _drop_views()
    _create_views(with_letter=True)


def downgrade() -> None:
    """Downgrade schema: the two views go first (they read the column; SQLite's check of the schema after a
    DROP COLUMN also trips over v_judgement_figures' nested join), then come back as 0003/0006 made them."""
    _drop_views()
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place; batch mode would rebuild the table under the other views
        op.execute("ALTER TABLE observations DROP COLUMN column_letter")
    else:
        op.drop_column("observations", "column_letter")
    _create_views(with_letter=False)
