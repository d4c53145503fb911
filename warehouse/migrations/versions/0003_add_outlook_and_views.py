"""Add the outlook columns and the restatement flag to attainment_evaluations; create the analyst views;
on PostgreSQL, the read-only group role ``thidua_analyst`` that may read the views and nothing else.

The view definitions are frozen here (a later change is a new migration that replaces them);
warehouse/README.md documents every view. Both engines run the same SQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ANALYST_ROLE = "thidua_analyst"

_SNAPSHOT_KEY = "a.plan_id, a.target_code, a.unit_code, a.period"

VIEWS = {
    # every snapshot of every judgement, numbered per (plan, target, unit, period)
    "v_attainment_history": f"""
        SELECT a.evaluation_id, p.plan_code, a.plan_id, a.target_code, t.plan_item, t.name_vi, t.display_unit,
               a.unit_code, a.period, a.evaluated_at, a.flow_run_id,
               a.value, a.numerator, a.denominator, a.bound_low, a.bound_high, a.comparison, a.status,
               a.outlook_value, a.outlook_status, a.outlook_method, a.gap_value, a.gap_text,
               a.detail, a.outlook_detail, a.inputs_json, a.is_restatement,
               ROW_NUMBER() OVER (PARTITION BY {_SNAPSHOT_KEY}
                                  ORDER BY a.evaluated_at, a.evaluation_id) AS revision,
               (ROW_NUMBER() OVER (PARTITION BY {_SNAPSHOT_KEY}
                                   ORDER BY a.evaluated_at DESC, a.evaluation_id DESC) = 1) AS is_latest
        FROM attainment_evaluations a
        JOIN plans p ON p.plan_id = a.plan_id
        LEFT JOIN targets t ON t.plan_id = a.plan_id AND t.target_code = a.target_code
    """,
    # the current judgement of every target and month (its latest snapshot)
    "v_attainment_latest": """
        SELECT h.evaluation_id, h.plan_code, h.plan_id, h.target_code, h.plan_item, h.name_vi, h.display_unit,
               h.unit_code, h.period, h.evaluated_at, h.value, h.numerator, h.denominator, h.bound_low,
               h.bound_high, h.comparison, h.status, h.outlook_value, h.outlook_status, h.outlook_method,
               h.gap_value, h.gap_text, h.detail, h.inputs_json, h.is_restatement, h.revision
        FROM v_attainment_history h
        WHERE h.is_latest
    """,
    # every figure with the cell it came from and the delivery it belongs to
    "v_observations_lineage": """
        SELECT o.observation_id, o.load_id, l.source_code, l.status AS load_status,
               (l.status = 'loaded') AS is_active, l.period AS load_period, l.file_name, l.fingerprint,
               l.finished_at AS loaded_at,
               o.indicator_code, o.unit_code, o.period, o.member_code, o.value, o.numerator, o.denominator,
               o.text_value, o.source_file, o.sheet, o.row_number, o.column_name, o.raw_text
        FROM observations o
        JOIN loads l ON l.load_id = o.load_id
    """,
    # every delivery attempt with the outcome of its latest validation
    "v_loads": """
        SELECT l.load_id, l.source_code, l.unit_code, l.period, l.status, l.file_name, l.fingerprint,
               l.rows_read, l.rows_loaded, l.message, l.started_at, l.finished_at, l.superseded_by_load_id,
               l.flow_run_id, v.suite_name, v.is_success AS is_validation_success, v.evaluated_count,
               v.failed_count
        FROM loads l
        LEFT JOIN validation_results v ON v.validation_id = (
            SELECT MAX(v2.validation_id) FROM validation_results v2 WHERE v2.load_id = l.load_id)
    """,
    # every expectation-suite run with the delivery it judged
    "v_validation_results": """
        SELECT v.validation_id, v.load_id, l.source_code, l.unit_code, l.period, l.status AS load_status,
               l.file_name, v.suite_name, v.is_success, v.evaluated_count, v.failed_count, v.result_json,
               v.created_at
        FROM validation_results v
        JOIN loads l ON l.load_id = v.load_id
    """,
    # the latest delivery attempt per (source, unit, period), and the delivery in force
    "v_source_status": """
        SELECT l.source_code, l.unit_code, l.period, l.load_id AS latest_load_id, l.status AS latest_status,
               l.file_name, l.message, l.rows_loaded, l.finished_at,
               (SELECT l3.load_id FROM loads l3
                 WHERE l3.source_code = l.source_code AND l3.unit_code = l.unit_code
                   AND l3.period = l.period AND l3.status = 'loaded') AS active_load_id
        FROM loads l
        WHERE l.load_id = (SELECT MAX(l2.load_id) FROM loads l2
                            WHERE l2.source_code = l.source_code AND l2.unit_code = l.unit_code
                              AND l2.period = l.period)
    """,
}
# created in this order (v_attainment_latest reads v_attainment_history), dropped in reverse
VIEW_ORDER = ["v_attainment_history", "v_attainment_latest", "v_observations_lineage", "v_loads",
              "v_validation_results", "v_source_status"]

# Idempotent; tolerates a migrating user without CREATEROLE (then `thidua db analyst-role` is run by an
# administrator) and a concurrent creation by another database's migration on the same server.
_PG_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
        CREATE ROLE {ANALYST_ROLE} NOLOGIN;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create role {ANALYST_ROLE}: run `thidua db analyst-role` as an administrator';
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END $$;
"""
_PG_GRANTS = f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ANALYST_ROLE}', current_schema());
        EXECUTE 'GRANT SELECT ON {", ".join(VIEW_ORDER)} TO {ANALYST_ROLE}';
    END IF;
END $$;
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("attainment_evaluations", sa.Column("outlook_value", sa.Double(), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("outlook_status", sa.String(length=16), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("outlook_method", sa.String(length=16), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("outlook_detail", sa.Text(), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("gap_value", sa.Double(), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("gap_text", sa.Text(), nullable=True))
    op.add_column("attainment_evaluations", sa.Column("is_restatement", sa.Boolean(), nullable=False,
                                                      server_default=sa.false()))
    for name in VIEW_ORDER:
        op.execute(f"CREATE VIEW {name} AS {VIEWS[name].strip()}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_ROLE)
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Downgrade schema (the role is left in place: it is shared by every database of the server)."""
    for name in reversed(VIEW_ORDER):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("attainment_evaluations") as batch:
        for column in ("is_restatement", "gap_text", "gap_value", "outlook_detail", "outlook_method",
                       "outlook_status", "outlook_value"):
            batch.drop_column(column)
