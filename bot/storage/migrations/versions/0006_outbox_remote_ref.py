"""Outbox lookups by remote reference (issue #15, part 2): an advisor's reply in the thread of
a lead card (Slack ``channel:ts``) is relayed to the company; the card is found by the
``remote_ref`` its delivery stored, through this index (SQLite and PostgreSQL alike).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_notifier_remote_ref", "outbox", ["notifier", "remote_ref"])


def downgrade() -> None:
    op.drop_index("ix_outbox_notifier_remote_ref", "outbox")
