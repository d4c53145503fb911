"""Create the warehouse: units, sources, plans, targets, loads, observations, validation results,
attainment evaluations.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "loads",
        sa.Column("load_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=True),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_load_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('loaded', 'superseded', 'quarantined', 'failed')", name=op.f("ck_loads_status")),
        sa.ForeignKeyConstraint(
            ["superseded_by_load_id"], ["loads.load_id"], name=op.f("fk_loads_superseded_by_load_id_loads")
        ),
        sa.PrimaryKeyConstraint("load_id", name=op.f("pk_loads")),
    )
    op.create_index(
        "ix_loads_active",
        "loads",
        ["source_code", "unit_code", "period"],
        unique=True,
        sqlite_where=sa.text("status = 'loaded'"),
        postgresql_where=sa.text("status = 'loaded'"),
    )
    op.create_index(
        "ix_loads_fingerprint", "loads", ["source_code", "unit_code", "period", "fingerprint"], unique=False
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title_vi", sa.Text(), nullable=False),
        sa.Column("issued_by_vi", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("catalogue_sha256", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plans")),
        sa.UniqueConstraint("plan_code", name=op.f("uq_plans_plan_code")),
    )
    op.create_table(
        "sources",
        sa.Column("source_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("expected_day", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source_code", name=op.f("pk_sources")),
    )
    op.create_table(
        "units",
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("area_km2", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("unit_code", name=op.f("pk_units")),
    )
    op.create_table(
        "attainment_evaluations",
        sa.Column("evaluation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("numerator", sa.Double(), nullable=True),
        sa.Column("denominator", sa.Double(), nullable=True),
        sa.Column("bound_low", sa.Double(), nullable=True),
        sa.Column("bound_high", sa.Double(), nullable=True),
        sa.Column("comparison", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('met', 'exceeded', 'on_track', 'behind', 'not_met', 'no_data')",
            name=op.f("ck_attainment_evaluations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.plan_id"], name=op.f("fk_attainment_evaluations_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("evaluation_id", name=op.f("pk_attainment_evaluations")),
        sa.UniqueConstraint(
            "plan_id",
            "target_code",
            "unit_code",
            "period",
            "inputs_fingerprint",
            name="uq_attainment_evaluations_snapshot",
        ),
    )
    op.create_index(
        "ix_attainment_evaluations_unit_period", "attainment_evaluations", ["unit_code", "period"], unique=False
    )
    op.create_table(
        "observations",
        sa.Column("observation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("member_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("numerator", sa.Double(), nullable=True),
        sa.Column("denominator", sa.Double(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("sheet", sa.Text(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("column_name", sa.Text(), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"], ["loads.load_id"], name=op.f("fk_observations_load_id_loads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("observation_id", name=op.f("pk_observations")),
        sa.UniqueConstraint(
            "load_id", "indicator_code", "unit_code", "period", "member_code", name="uq_observations_natural_key"
        ),
    )
    op.create_index(
        "ix_observations_unit_period", "observations", ["unit_code", "period", "indicator_code"], unique=False
    )
    op.create_table(
        "targets",
        sa.Column("target_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_code", sa.String(length=64), nullable=False),
        sa.Column("plan_item", sa.Integer(), nullable=True),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("measure_vi", sa.Text(), nullable=True),
        sa.Column("source_code", sa.String(length=64), nullable=False),
        sa.Column("display_unit", sa.String(length=32), nullable=True),
        sa.Column("comparison", sa.String(length=32), nullable=False),
        sa.Column("bound_low", sa.Double(), nullable=True),
        sa.Column("bound_high", sa.Double(), nullable=True),
        sa.Column("is_accumulating", sa.Boolean(), nullable=False),
        sa.Column("measure_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.plan_id"], name=op.f("fk_targets_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("target_id", name=op.f("pk_targets")),
        sa.UniqueConstraint("plan_id", "target_code", name=op.f("uq_targets_plan_id_target_code")),
    )
    op.create_table(
        "validation_results",
        sa.Column("validation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("suite_name", sa.Text(), nullable=True),
        sa.Column("is_success", sa.Boolean(), nullable=False),
        sa.Column("evaluated_count", sa.Integer(), nullable=True),
        sa.Column("failed_count", sa.Integer(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["loads.load_id"], name=op.f("fk_validation_results_load_id_loads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("validation_id", name=op.f("pk_validation_results")),
    )
    op.create_index(op.f("ix_validation_results_load_id"), "validation_results", ["load_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_validation_results_load_id"), table_name="validation_results")
    op.drop_table("validation_results")
    op.drop_table("targets")
    op.drop_index("ix_observations_unit_period", table_name="observations")
    op.drop_table("observations")
    op.drop_index("ix_attainment_evaluations_unit_period", table_name="attainment_evaluations")
    op.drop_table("attainment_evaluations")
    op.drop_table("units")
    op.drop_table("sources")
    op.drop_table("plans")
    op.drop_index("ix_loads_fingerprint", table_name="loads")
    op.drop_index(
        "ix_loads_active",
        table_name="loads",
        sqlite_where=sa.text("status = 'loaded'"),
        postgresql_where=sa.text("status = 'loaded'"),
    )
    op.drop_table("loads")
