"""Channel store: a key-value table of the channel adapters' own (Slack thread marks, shared
answers), with an optional expiry, instead of fake conversation states.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_store",
        sa.Column("namespace", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_store_expires_at", "channel_store", ["expires_at"])
    op.create_index("ix_channel_store_updated_at", "channel_store", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_channel_store_updated_at", "channel_store")
    op.drop_index("ix_channel_store_expires_at", "channel_store")
    op.drop_table("channel_store")
