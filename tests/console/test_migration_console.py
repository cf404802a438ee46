"""Migration 0007 on SQLite and PostgreSQL: the console's tables (links, sessions, access log)
and the ``leads (desk_id, created_at)`` index, and back down to 0006."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage import Database
from tests.leads.test_migration_lead_states import alembic

TABLES = {"console_links", "console_sessions", "console_access"}


async def schema(db: Database) -> tuple[set[str], set[str]]:
    def read(connection: Connection) -> tuple[set[str], set[str]]:
        found = inspect(connection)
        return (set(found.get_table_names()),
                {str(i["name"]) for i in found.get_indexes("leads")})

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def test_the_console_tables_come_and_go(db: Database) -> None:
    tables, indexes = await schema(db)
    assert tables >= TABLES
    assert "ix_leads_desk_created" in indexes
    await alembic(db, "0006", down=True)
    tables, indexes = await schema(db)
    assert not TABLES & tables
    assert "ix_leads_desk_created" not in indexes
    await alembic(db, "head")
    now = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    await db.console.add_link(digest="d" * 64, advisor="U0A", now=now, ttl_seconds=60)
    assert await db.console.redeem_link(digest="d" * 64, now=now) == "U0A"
    assert await db.console.redeem_link(digest="d" * 64, now=now) is None
