"""Migration 0005 (lead states) on SQLite and PostgreSQL: old statuses mapped, a contacted
lead's fact kept as an event, the schedule columns filled; and back down to 0004."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage import Database
from bot.storage.database import MIGRATIONS

CREATED = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)
UPDATED = dt.datetime(2026, 2, 4, 15, 0, tzinfo=dt.UTC)


async def alembic(db: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(sql))).all()]


async def test_old_statuses_are_mapped_and_back(db: Database) -> None:
    await alembic(db, "0004", down=True)
    async with db.engine.begin() as conn:
        for i, (status, escalated) in enumerate([("new", None), ("new", UPDATED),
                                                 ("claimed", None), ("contacted", None),
                                                 ("not_relevant", None)], start=1):
            await conn.execute(text(
                "INSERT INTO leads (id, ref, submission_key, status, desk_id, rule, score, tier,"
                " channel, details, created_at, updated_at, escalated_at) VALUES (:id, :ref,"
                " :key, :status, 'cci-aisne', 'r', 10, 'froid', 'telegram', '{}', :created,"
                " :updated, :escalated)"),
                {"id": i, "ref": f"REL-2026-0000{i}", "key": f"k{i}", "status": status,
                 "created": CREATED, "updated": UPDATED, "escalated": escalated})
    await alembic(db, "head")
    assert await rows(db, "SELECT id, status, reminder_step FROM leads ORDER BY id") == [
        (1, "new", 0), (2, "new", 2), (3, "taken", 0), (4, "taken", 0), (5, "refused", 0)]
    [(routed,)] = await rows(db, "SELECT routed_at FROM leads WHERE id = 1")
    assert routed is not None
    [(lead_id, action, actor)] = await rows(db, "SELECT lead_id, action, actor FROM lead_events")
    assert (lead_id, action, actor) == (4, "contacted", "migration")
    history = await db.leads.history(lead_id=4)
    assert history is not None
    assert history.events[0].detail == {"status": "contacted"}
    assert await db.leads.due_reminders(cutoffs=[UPDATED]) != []   # the index query runs
    await alembic(db, "0004", down=True)
    assert await rows(db, "SELECT status FROM leads ORDER BY id") == [
        ("new",), ("new",), ("claimed",), ("claimed",), ("not_relevant",)]
    await alembic(db, "head")
