"""Drop the foreign key from dossiers to loads: a bulk load of 1 M dossiers paid one RI trigger per row.

Measured on PostgreSQL 15 with 1,000,000 dossiers in one COPY: 3.3 s into the bare table, 4.7 s with the
primary key, 8.1 s with the foreign key alone and 11.7 s with everything; the key's checks cost as much
as the COPY itself. Dossiers are written only by `warehouse.load`, in the same transaction as their
`loads` row (its id comes from that INSERT … RETURNING), and no code deletes loads (a replaced load is
superseded, never removed), so the key guarded nothing the loader does not. The primary key and the
(unit, period) index stay.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.drop_constraint("fk_dossiers_load_id_loads", type_="foreignkey")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.create_foreign_key("fk_dossiers_load_id_loads", "loads", ["load_id"], ["load_id"],
                                    ondelete="CASCADE")
