"""The satisfaction survey and the weekly digest (issue #15, parts 4 and 3):
``leads.surveyed_at`` (when the company was asked, once per closed lead); a partial index on
``leads (status, updated_at)`` of the leads not asked yet, for the worker's scan of the leads
closed long enough ago; ``outbox.lead_id`` nullable (an advisor's weekly digest is about no
single lead). SQLite and PostgreSQL alike.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("surveyed_at", sa.DateTime(timezone=True), nullable=True))
    unsurveyed = sa.text("surveyed_at IS NULL")    # partial: only the leads not asked yet
    op.create_index("ix_leads_status_updated_at", "leads", ["status", "updated_at"],
                    postgresql_where=unsurveyed, sqlite_where=unsurveyed)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("lead_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE lead_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("lead_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_leads_status_updated_at", "leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("surveyed_at")
