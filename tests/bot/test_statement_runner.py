"""The per-message statements' runner: one hop each on SQLite, with the fsync left to the
leads' engine; the same operations through the async pool on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.errors import StorageError
from bot.storage import Database


async def test_sqlite_operations_run_whole_on_the_runner_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.migrate()
    try:
        seen: list[str] = []

        def operation(conn: Connection) -> int:
            seen.append(threading.current_thread().name)
            conn.execute(text("SELECT 1"))
            seen.append(threading.current_thread().name)
            return 7

        assert await db.statements.run(operation) == 7
        assert seen[0].startswith("relocbot-sqlite")
        assert seen[0] == seen[1]
    finally:
        await db.close()


async def test_sqlite_bookkeeping_skips_the_fsync_but_leads_keep_it(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.migrate()
    try:
        relaxed = await db.statements.run(
            lambda conn: conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
        async with db.engine.connect() as conn:
            full = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        assert (relaxed, full, journal) == (1, 2, "wal")   # NORMAL, FULL
    finally:
        await db.close()


async def test_a_failing_statement_is_a_storage_error_and_commits_nothing(db: Database) -> None:
    def half_then_fail(conn: Connection) -> None:
        conn.execute(text("INSERT INTO processed_events (event_id, created_at) "
                          "VALUES ('half', CURRENT_TIMESTAMP)"))
        conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(StorageError):
        await db.statements.run(half_then_fail, write=True)
    assert await db.claim_event("half")   # the first insert was rolled back


async def test_writes_are_visible_to_the_sessions_of_the_store(db: Database) -> None:
    assert await db.claim_event("tg:9")
    await db.finish_event("tg:9")
    async with db.sessions() as session:
        done = (await session.execute(text(
            "SELECT done_at FROM processed_events WHERE event_id = 'tg:9'"))).scalar_one()
    assert done is not None
    assert not await db.claim_event("tg:9")


async def test_many_statements_at_once_each_get_their_own_result_in_order(
        tmp_path: Path) -> None:
    """Results come back in batches (one wake-up of the loop for several): none is lost or
    given to another caller, errors reach their own caller, and the order is the order given."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.migrate()
    order: list[int] = []
    try:
        def operation(n: int) -> Callable[[Connection], int]:
            def run(conn: Connection) -> int:
                order.append(n)
                if n % 7 == 3:
                    conn.execute(text("SELECT * FROM no_such_table"))
                return int(conn.execute(text(f"SELECT {n} * 2")).scalar_one())
            return run

        outcomes = await asyncio.gather(*(db.statements.run(operation(n)) for n in range(200)),
                                        return_exceptions=True)
        for n, outcome in enumerate(outcomes):
            if n % 7 == 3:
                assert isinstance(outcome, StorageError)
            else:
                assert outcome == n * 2
        assert order == list(range(200))
    finally:
        await db.close()


async def test_a_statement_whose_caller_gave_up_before_it_started_does_not_run(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.migrate()
    ran: list[str] = []
    gate = threading.Event()
    try:
        first = asyncio.create_task(db.statements.run(lambda conn: gate.wait(5)))
        second = asyncio.create_task(db.statements.run(lambda conn: ran.append("second")))
        await asyncio.sleep(0.05)   # both queued, the first one holds the thread
        second.cancel()
        gate.set()
        assert await first is True
        with pytest.raises(asyncio.CancelledError):
            await second
        assert await db.statements.run(lambda conn: "after") == "after"
        assert ran == []
    finally:
        await db.close()
