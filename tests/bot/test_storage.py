from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.storage import Database, scrub


async def test_state_roundtrip_and_delete(db: Database) -> None:
    state = await db.load_state("c:1", channel="test")
    assert state.lang is None
    assert state.data == {}
    state.lang, state.flow, state.data = "en", "finder", {"step": 2, "answers": {"dep": "59"}}
    await db.save_state(state)
    again = await db.load_state("c:1", channel="test")
    assert (again.lang, again.flow, again.data) == ("en", "finder", state.data)
    again.data["step"] = 3
    await db.save_state(again)
    assert (await db.load_state("c:1", channel="test")).data["step"] == 3
    assert await db.delete_state("c:1")
    assert not await db.delete_state("c:1")


async def test_claim_event_is_once_only_and_prunable(db: Database) -> None:
    assert await db.claim_event("tg:1")
    assert not await db.claim_event("tg:1")
    assert await db.claim_event("tg:2")
    assert await db.prune_events(dt.timedelta(seconds=-1)) == 2
    assert await db.claim_event("tg:1")


async def test_migrations_are_idempotent(db: Database) -> None:
    await db.migrate()
    assert await db.ping()


async def test_question_log_is_scrubbed(db: Database) -> None:
    await db.log_question(channel="t", lang="fr", question="Mon mail a@b.fr, tel 06 12 34 56 78",
                          declined=False, reason="", top_source="x", latency_ms=3.0)
    [row] = await db.questions()
    assert "a@b.fr" not in row.question
    assert "06 12" not in row.question


def test_scrub_keeps_ordinary_numbers() -> None:
    assert scrub("PME de 40 salariés en 2026") == "PME de 40 salariés en 2026"


async def test_conversation_lock_serialises_one_conversation(db: Database) -> None:
    import asyncio

    order: list[str] = []

    async def hold(name: str, key: str, delay: float) -> None:
        async with db.conversation_lock(key):
            order.append(f"{name}+")
            await asyncio.sleep(delay)
            order.append(f"{name}-")

    await asyncio.gather(hold("a", "conv:1", 0.2), hold("b", "conv:1", 0.0),
                         hold("c", "conv:2", 0.0))
    # a and b never overlap (same conversation) whatever the backend
    a_start, a_end = order.index("a+"), order.index("a-")
    b_start, b_end = order.index("b+"), order.index("b-")
    assert a_end < b_start or b_end < a_start


async def test_concurrent_migrations_of_a_fresh_database(db: Database) -> None:
    """Replicas starting together each migrate; the advisory lock keeps them apart."""
    import asyncio

    from sqlalchemy import text

    from bot.storage.admin import TABLES

    async with db.engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    others = [Database(db.url) for _ in range(3)]
    try:
        await asyncio.gather(*(other.migrate() for other in others))
    finally:
        for other in others:
            await other.close()
    assert await db.claim_event("after-migrations")


async def test_database_errors_never_quote_the_values(db: Database) -> None:
    """Errors are logged with their traceback; the statement's values (personal data) must
    not be in them."""
    secret = "camille.secret@example.fr"

    async def insert_twice() -> None:
        async with db.sessions.begin() as session:
            await session.execute(text("INSERT INTO conversations (key) VALUES (:v)"),
                                  {"v": secret})
            await session.execute(text("INSERT INTO conversations (key) VALUES (:v)"),
                                  {"v": secret})

    with pytest.raises(SQLAlchemyError) as caught:
        await insert_twice()
    assert secret not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


async def test_database_failures_are_storage_errors(tmp_path: Path) -> None:
    """Above ``bot.storage`` nobody catches SQLAlchemy's exceptions: a failing database (here,
    one never migrated) raises ``StorageError``, the SQLAlchemy exception chained."""
    from bot.errors import StorageError

    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        for call in (lambda: empty.load_state("c:1", channel="t"),
                     lambda: empty.claim_event("e:1"), empty.feedback,
                     lambda: empty.leads.overdue(cutoff=dt.datetime.now(dt.UTC)),
                     lambda: empty.outbox.due(now=dt.datetime.now(dt.UTC), limit=1),
                     empty.reports.usage,
                     lambda: empty.channel_store.get(namespace="n", key="k")):
            with pytest.raises(StorageError) as caught:
                await call()
            assert isinstance(caught.value.__cause__, SQLAlchemyError)
    finally:
        await empty.close()


async def test_a_broken_unique_key_is_a_constraint_error(db: Database) -> None:
    from bot.storage import ConstraintError

    now = dt.datetime.now(dt.UTC)
    values = {"ref": "REL-X", "submission_key": "same", "status": "new", "desk_id": "d",
              "rule": "r", "score": 1, "tier": "froid", "channel": "t", "details": {},
              "created_at": now, "updated_at": now}
    async with db.leads.transaction() as tx:
        first = await tx.insert(values=values)
    with pytest.raises(ConstraintError):
        async with db.leads.transaction() as tx:
            await tx.insert(values={**values, "ref": "REL-Y"})
    assert await db.leads.count() == 1
    found = await db.leads.by_submission(key="same")
    assert found is not None
    assert found.id == first.id
    assert found.ref == "REL-X"
    with pytest.raises(ValueError, match="not lead columns"):
        async with db.leads.transaction() as tx:
            await tx.update(lead_id=first.id, changes={"no_such_column": 1})


def test_records_follow_the_table_columns() -> None:
    """Records list their table's columns in order (``leads show`` and the CSV export print
    them so): a column added to a table is added to its record."""
    from dataclasses import fields

    from bot.storage import LeadRecord, OutboxRecord
    from bot.storage.lead_tables import Lead, OutboxItem

    for record, table in ((LeadRecord, Lead), (OutboxRecord, OutboxItem)):
        assert [f.name for f in fields(record)] == [c.name for c in table.__table__.columns]
