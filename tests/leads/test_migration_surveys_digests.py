"""Migration 0008 on SQLite and PostgreSQL: ``leads.surveyed_at`` with its partial index, and
an outbox row about no single lead (an advisor's digest); back down to 0007 and up again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage import Database, NewOutboxItem
from tests.leads.test_migration_lead_states import alembic


async def shape(db: Database) -> tuple[set[str], set[str], bool]:
    def read(connection: Connection) -> tuple[set[str], set[str], bool]:
        schema = inspect(connection)
        columns = {str(c["name"]) for c in schema.get_columns("leads")}
        indexes = {str(i["name"]) for i in schema.get_indexes("leads")}
        lead_id = next(c for c in schema.get_columns("outbox") if c["name"] == "lead_id")
        return columns, indexes, bool(lead_id["nullable"])

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def test_surveyed_at_and_lead_less_outbox_rows_come_and_go(db: Database) -> None:
    columns, indexes, nullable = await shape(db)
    assert "surveyed_at" in columns
    assert "ix_leads_status_updated_at" in indexes
    assert nullable
    await alembic(db, "0007", down=True)
    columns, indexes, nullable = await shape(db)
    assert ("surveyed_at" in columns, "ix_leads_status_updated_at" in indexes, nullable) == (
        False, False, False)
    await alembic(db, "head")
    now = dt.datetime.now(dt.UTC)
    await db.outbox.add(item=NewOutboxItem(lead_id=None, kind="digest", notifier="slack",
                                           target="U0CAMILLE", idempotency_key="digest:k",
                                           next_attempt_at=now, payload={"kind": "digest"}))
    assert await db.outbox.due(now=now, limit=5)
    assert await db.leads.due_surveys(statuses=("closed_helped",), cutoff=now) == []
