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

The hop itself is a queue to that thread and ``call_soon_threadsafe`` back: through a
``ThreadPoolExecutor`` (a concurrent future per call, chained to an asyncio one, a lock and a
condition) the event loop's thread spent about as much on each hop as on the statement's
own Python, and that thread is what limits a busy process.

Usage::

    runner = StatementRunner(engine)
    row = await runner.run(lambda conn: conn.execute(query).first())
    await runner.run(lambda conn: conn.execute(insert(table), row), write=True)
    await runner.close()
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.guard import guarded

__all__ = ["StatementRunner", "sqlite_pragmas"]

T = TypeVar("T")


class StatementRunner:
    """Runs short Core operations in one hop each (see the module)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite on a file: its own synchronous engine and the one thread that uses it
        self._local: tuple[Engine, _Lane] | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            sync = create_engine(url.set(drivername="sqlite"), pool_size=1, max_overflow=0,
                                 pool_reset_on_return=None, hide_parameters=True)
            event.listen(sync, "connect", functools.partial(sqlite_pragmas, relaxed=True))
            self._local = sync, _Lane("relocbot-sqlite")

    async def run(self, operation: Callable[[Connection], T], *, write: bool = False) -> T:
        """``operation(conn)`` in a transaction committed on return when ``write``; database
        errors leave as ``StorageError`` (``bot.storage.guard``)."""
        if self._local is None:
            async with guarded(), (self.engine.begin() if write
                                   else self.engine.connect()) as conn:
                return await conn.run_sync(operation)
        sync, lane = self._local

        def run_here() -> T:
            with sync.begin() if write else sync.connect() as conn:
                return operation(conn)

        try:
            return await lane.run(run_here)
        except (SQLAlchemyError, ConnectionError):
            async with guarded():   # translated as everywhere else (only on this rare path)
                raise

    async def close(self) -> None:
        if self._local is not None:
            sync, lane = self._local
            await lane.run(sync.dispose)
            lane.stop()


class _Lane:
    """One thread of our own running functions for the event loop, one after the other, in
    the order given (started on first use; a daemon, so a runner never closed does not hold
    the process at exit). Results go back in batches: one wake-up of the loop settles every
    result finished since the last one (each wake-up is a write to the loop's self-pipe, about
    as dear as a short statement)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._results: _Results | None = None

    async def run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        results = self._results
        if results is None or results.loop is not loop:
            results = self._results = _Results(loop)
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
            self._thread.start()
        self._queue.put((results, future, fn))
        return await future

    def stop(self) -> None:
        """Let the jobs already queued finish, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (job := self._queue.get()) is not None:
            results, future, fn = job
            if future.cancelled():   # its caller gave up before it started: skipped
                continue
            try:
                outcome: tuple[Any, BaseException | None] = fn(), None
            except BaseException as exc:  # handed to the caller, whatever it is
                outcome = None, exc
            results.add(future, *outcome)


class _Results:
    """Finished jobs waiting for their loop: added on the lane's thread, settled on the
    loop's. ``armed`` is set by the thread when it asks for a wake-up and cleared by the loop
    before it settles, so a result added meanwhile is settled by this wake-up or asks for
    the next one (the deque's and the flag's operations are atomic)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.done: collections.deque[tuple[asyncio.Future[Any], Any, BaseException | None]] = \
            collections.deque()
        self.armed = False

    def add(self, future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        self.done.append((future, result, error))
        if not self.armed:
            self.armed = True
            with contextlib.suppress(RuntimeError):   # a closed loop: nobody is waiting
                self.loop.call_soon_threadsafe(self.settle)

    def settle(self) -> None:
        self.armed = False
        while self.done:
            future, result, error = self.done.popleft()
            if future.done():   # cancelled meanwhile
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


_Job = tuple[_Results, "asyncio.Future[Any]", Callable[[], Any]]


def sqlite_pragmas(dbapi_connection: Any, _record: Any, *, relaxed: bool = False) -> None:
    """Every SQLite connection: WAL (readers never wait for the writer), five seconds of
    patience for a lock; ``relaxed``: commits without the fsync."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    if relaxed:
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
