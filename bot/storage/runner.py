"""``StatementRunner``: the per-message statements (delivery claims, conversation states, the
question log) as one hop each.

Through SQLAlchemy's asyncio layer a statement on SQLite costs four or five hops to the
driver's thread (cursor, execute, fetch, close, commit) plus the session's unit of work,
about 2 ms apiece on two cores; a message runs five of them. Here an operation is a plain
function of a synchronous ``Connection``:

- on SQLite it runs whole on one thread of our own with the standard ``sqlite3`` driver (one
  hop; writes are serialised there, so they never wait on each other's locks), its commits
  without the fsync (``synchronous=NORMAL`` in WAL: safe against a crash of the process, a
  power cut may lose the last few; leads and the outbox keep the full fsync);
- on PostgreSQL it runs through ``AsyncConnection.run_sync`` on the async pool, as before.

Usage::

    runner = StatementRunner(engine)
    row = await runner.run(lambda conn: conn.execute(query).first())
    await runner.run(lambda conn: conn.execute(insert(table), row), write=True)
    await runner.close()
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.guard import guarded

__all__ = ["StatementRunner", "sqlite_pragmas"]

T = TypeVar("T")


class StatementRunner:
    """Runs short Core operations in one hop each (see the module)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite on a file: its own synchronous engine and the one thread that uses it
        self._local: tuple[Engine, ThreadPoolExecutor] | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            sync = create_engine(url.set(drivername="sqlite"), pool_size=1, max_overflow=0,
                                 pool_reset_on_return=None, hide_parameters=True)
            event.listen(sync, "connect", functools.partial(sqlite_pragmas, relaxed=True))
            self._local = sync, ThreadPoolExecutor(1, thread_name_prefix="relocbot-sqlite")

    async def run(self, operation: Callable[[Connection], T], *, write: bool = False) -> T:
        """``operation(conn)`` in a transaction committed on return when ``write``; database
        errors leave as ``StorageError`` (``bot.storage.guard``)."""
        if self._local is None:
            async with guarded(), (self.engine.begin() if write
                                   else self.engine.connect()) as conn:
                return await conn.run_sync(operation)
        sync, thread = self._local

        def run_here() -> T:
            with sync.begin() if write else sync.connect() as conn:
                return operation(conn)

        async with guarded():
            return await asyncio.get_running_loop().run_in_executor(thread, run_here)

    async def close(self) -> None:
        if self._local is not None:
            sync, thread = self._local
            await asyncio.get_running_loop().run_in_executor(thread, sync.dispose)
            thread.shutdown(wait=True)


def sqlite_pragmas(dbapi_connection: Any, _record: Any, *, relaxed: bool = False) -> None:
    """Every SQLite connection: WAL (readers never wait for the writer), five seconds of
    patience for a lock; ``relaxed``: commits without the fsync."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    if relaxed:
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
