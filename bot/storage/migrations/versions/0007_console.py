"""The advisor console (issue #15, part 5): one-time sign-in links and sessions (SHA-256
digests only) and the console's access log; an index on ``leads (desk_id, created_at)`` for the
console's lists and statistics. SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("advisor", sa.String(128), nullable=False),
        _when("created_at"), _when("expires_at"), _when("used_at", nullable=True))
    op.create_index("ix_console_links_advisor", "console_links", ["advisor"])
    op.create_table(
        "console_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("advisor", sa.String(128), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _when("created_at"), _when("expires_at"))
    op.create_index("ix_console_sessions_advisor", "console_sessions", ["advisor"])
    op.create_table(
        "console_access",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _when("at"),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("status", sa.Integer, nullable=False))
    op.create_index("ix_console_access_at", "console_access", ["at"])
    op.create_index("ix_leads_desk_created", "leads", ["desk_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_desk_created", "leads")
    op.drop_index("ix_console_access_at", "console_access")
    op.drop_table("console_access")
    op.drop_index("ix_console_sessions_advisor", "console_sessions")
    op.drop_table("console_sessions")
    op.drop_index("ix_console_links_advisor", "console_links")
    op.drop_table("console_links")
