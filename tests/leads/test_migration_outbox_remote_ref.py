"""Migration 0006 on SQLite and PostgreSQL: the ``(notifier, remote_ref)`` index that finds a
lead from a reply in its card's thread, and back down to 0005."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage import Database
from tests.leads.test_migration_lead_states import alembic


async def indexes(db: Database) -> set[str]:
    def names(connection: Connection) -> set[str]:
        return {str(i["name"]) for i in inspect(connection).get_indexes("outbox")}

    async with db.engine.connect() as conn:
        return await conn.run_sync(names)


async def test_the_remote_ref_index_comes_and_goes(db: Database) -> None:
    assert "ix_outbox_notifier_remote_ref" in await indexes(db)
    await alembic(db, "0005", down=True)
    assert "ix_outbox_notifier_remote_ref" not in await indexes(db)
    await alembic(db, "head")
    assert "ix_outbox_notifier_remote_ref" in await indexes(db)
    assert await db.leads.by_delivery(notifier="slack", remote_ref="C1:1.0") is None
