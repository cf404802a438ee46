"""``Database``: the engine (SQLite by default, PostgreSQL in production), its migrations, the
per-conversation locks, and the repositories built on it.

Usage::

    db = Database(settings.sqlalchemy_url)
    await db.migrate()                                  # Alembic upgrade head
    state = await db.load_state("telegram:42:42", channel="telegram")   # ConversationStore
    async with db.leads.transaction() as tx: ...        # LeadRepository
    claim = await db.outbox.claim(item_id=7, now=now, lease=lease)     # OutboxRepository
    counts = await db.reports.pipeline_counts()         # ReportRepository
    await db.channel_store.put(namespace="slack-thread", key="T1:C1:17.1", value={})
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.errors import StorageError
from bot.storage.channel_store import ChannelStore
from bot.storage.console import ConsoleRepository
from bot.storage.conversations import ConversationStore
from bot.storage.guard import guarded
from bot.storage.leads import LeadRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.reports import ReportRepository
from bot.storage.runner import StatementRunner, sqlite_pragmas

__all__ = ["HANDLING_SLOTS", "Database"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_306_512_026  # advisory lock key: one migrating process at a time
# PostgreSQL pool: a conversation being handled holds one connection for its advisory lock and
# uses one more for its queries, so at most HANDLING_SLOTS conversations are handled at once
# (the others wait their turn without holding a connection); the rest of the pool stays free
# for the worker, readiness checks and the adapters.
POOL_SIZE, MAX_OVERFLOW = 20, 20
HANDLING_SLOTS = (POOL_SIZE + MAX_OVERFLOW - 10) // 2


def _quiet_driver_logs() -> None:
    """aiosqlite logs every statement with its parameters (personal data) at DEBUG; our
    storage keeps its drivers at WARNING even when RELOCBOT_LOG_LEVEL=DEBUG."""
    for name in ("aiosqlite", "sqlalchemy.engine", "asyncpg"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class Database(ConversationStore):
    """The store. Its methods and repositories raise ``StorageError`` when the database
    fails; ``engine`` and ``sessions`` stay reachable for tests and the storage modules."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        _quiet_driver_logs()
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = _engine(url, echo=echo)
        self.statements = StatementRunner(self.engine)  # the per-message statements
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.leads = LeadRepository(self.sessions)
        self.outbox = OutboxRepository(self.sessions)
        self.reports = ReportRepository(self.sessions)
        self.channel_store = ChannelStore(self.sessions)
        self.console = ConsoleRepository(self.sessions)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._slots = asyncio.Semaphore(HANDLING_SLOTS)

    async def migrate(self) -> None:
        def upgrade(connection: Connection) -> None:
            if connection.dialect.name == "postgresql":  # replicas starting together
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        try:
            async with self._file_lock(), self.engine.begin() as conn:
                await conn.run_sync(upgrade)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot migrate the database: {exc}") from exc

    @asynccontextmanager
    async def _file_lock(self) -> AsyncIterator[None]:
        """SQLite: one migrating process (or task) at a time, through a lock file."""
        path = self.url.split("///", 1)[-1] if self.url.startswith("sqlite") else ""
        if not path or path == ":memory:":
            yield
            return
        lock_file = Path(f"{path}.migrate.lock")
        with await asyncio.to_thread(lock_file.open, "a+b") as handle:  # not on the event loop
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    async def close(self) -> None:
        await self.statements.close()
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[None]:
        """Serialise the handling of one conversation: in this process (an asyncio lock per
        key) and across processes on PostgreSQL (an advisory lock), so replicas keep order.

        On PostgreSQL the advisory lock holds a pooled connection while the handling needs
        another one: a handling slot is taken first (after the conversation's own lock, so a
        conversation waiting for itself takes none), and the pool is never exhausted."""
        local = self._locks.get(key)
        if local is None:
            local = self._locks[key] = asyncio.Lock()
        async with local:
            if not self.url.startswith("postgresql"):
                yield
                return
            async with self._slots, self._advisory(key):
                yield

    @asynccontextmanager
    async def _advisory(self, key: str) -> AsyncIterator[None]:
        async with guarded(), self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"),
                               {"k": key})
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"),
                                   {"k": key})


def _engine(url: str, *, echo: bool) -> AsyncEngine:
    """PostgreSQL: a sized pool whose connections are pinged before use. SQLite (a local file,
    each statement a hop to the driver's thread): no ping and no rollback on return, as every
    session ends its own transaction; WAL so readers never wait for the writer."""
    # hide_parameters: a failed statement's error (logged with its traceback) must not quote
    # the values it carried: e-mails, phone numbers, messages.
    if not url.startswith("sqlite"):
        return create_async_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True,
                                   pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    engine = create_async_engine(url, echo=echo, hide_parameters=True,
                                 pool_reset_on_return=None)
    event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    return engine
