"""Add the unit crosswalk (predecessor -> successor units, with allocation shares) and dossier facts.

`unit_crosswalk` lets a merged ward's "same period last year" be built from its predecessors (the
01/07/2025 reorganisation); `dossiers` keeps the one-stop dossiers of a load (no personal data: codes,
channel, dates, fee), so analysts can drill from CT08a/b/c down to the dossiers behind them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "unit_crosswalk",
        sa.Column("predecessor_code", sa.String(length=64), nullable=False),
        sa.Column("successor_code", sa.String(length=64), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("is_whole", sa.Boolean(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("share_basis", sa.String(length=32), nullable=False),
        sa.Column("legal_basis_vi", sa.Text(), nullable=True),
        sa.CheckConstraint("share > 0 AND share <= 1", name=op.f("ck_unit_crosswalk_share")),
        sa.PrimaryKeyConstraint("predecessor_code", "successor_code", "effective_date",
                                name=op.f("pk_unit_crosswalk")),
    )
    op.create_index("ix_unit_crosswalk_successor", "unit_crosswalk", ["successor_code", "effective_date"])
    op.create_table(
        "dossiers",
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("field_code", sa.String(length=64), nullable=True),
        sa.Column("service_level", sa.Integer(), nullable=True),
        sa.Column("channel", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("status_code", sa.String(length=16), nullable=True),
        sa.Column("is_paid_online", sa.Boolean(), nullable=True),
        sa.Column("fee_vnd", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["loads.load_id"], name=op.f("fk_dossiers_load_id_loads"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("load_id", "dossier_code", name=op.f("pk_dossiers")),
    )
    op.create_index("ix_dossiers_unit_period", "dossiers", ["unit_code", "period"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_dossiers_unit_period", table_name="dossiers")
    op.drop_table("dossiers")
    op.drop_index("ix_unit_crosswalk_successor", table_name="unit_crosswalk")
    op.drop_table("unit_crosswalk")
