"""Leads, lead events (audit trail) and the delivery outbox.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("submission_key", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("desk_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_key", sa.String(255), nullable=True, index=True),
        sa.Column("user_key", sa.String(255), nullable=True, index=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("size", sa.String(8), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("sector", sa.String(128), nullable=True),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("timeline", sa.String(32), nullable=True),
        sa.Column("company", sa.String(255), nullable=True),
        sa.Column("siren", sa.String(9), nullable=True, index=True),
        sa.Column("postal_code", sa.String(5), nullable=True),
        sa.Column("commune", sa.String(128), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(255), nullable=True),
        sa.Column("contact_name", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True, index=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("consent_at", TZ, nullable=True),
        sa.Column("consent_version", sa.String(32), nullable=True),
        sa.Column("consent_purpose", sa.String(255), nullable=True),
        sa.Column("anonymised_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("escalated_at", TZ, nullable=True),
    )
    op.create_table(
        "lead_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("notifier", sa.String(24), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_ref", sa.String(255), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("dead", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    for table in ("outbox", "lead_events", "leads"):
        op.drop_table(table)
