"""Security review (issue #13): event claims that expire unless their handling finished, and
indexes for the retention sweeps.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
    # Events recorded before this revision were handled: they stay duplicates.
    op.execute("UPDATE processed_events SET done_at = created_at")
    op.create_index("ix_processed_events_created_at", "processed_events", ["created_at"])
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_leads_created_at", "leads", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_created_at", "leads")
    op.drop_index("ix_feedback_created_at", "feedback")
    op.drop_index("ix_conversations_updated_at", "conversations")
    op.drop_index("ix_processed_events_created_at", "processed_events")
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("done_at")
