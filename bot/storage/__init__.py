"""The conversation store on SQLAlchemy 2 (async): SQLite by default, PostgreSQL in production.

Usage::

    db = Database(settings.sqlalchemy_url)
    await db.migrate()                                  # Alembic upgrade head
    state = await db.load_state("telegram:42:42", channel="telegram")
    state.lang = "en"; await db.save_state(state)
    if await db.claim_event("telegram:update:1001"): ...   # False for a duplicate delivery
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import logging
import re
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.errors import StorageError
from bot.storage.scrub import scrub
from bot.storage.tables import Conversation, Feedback, ProcessedEvent, QuestionLog, utcnow

__all__ = ["ConversationState", "Database", "scrub"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_306_512_026  # advisory lock key: one migrating process at a time
# PostgreSQL pool: a conversation being handled holds one connection for its advisory lock and
# uses one more for its queries, so at most HANDLING_SLOTS conversations are handled at once
# (the others wait their turn without holding a connection); the rest of the pool stays free
# for the worker, readiness checks and the adapters.
POOL_SIZE, MAX_OVERFLOW = 20, 20
HANDLING_SLOTS = (POOL_SIZE + MAX_OVERFLOW - 10) // 2
CLAIM_LEASE = dt.timedelta(minutes=2)  # an unfinished claim older than this may be taken again


@dataclass
class ConversationState:
    key: str
    channel: str
    lang: str | None = None
    lang_locked: bool = False
    flow: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _quiet_driver_logs() -> None:
    """aiosqlite logs every statement with its parameters (personal data) at DEBUG; our
    storage keeps its drivers at WARNING even when RELOCBOT_LOG_LEVEL=DEBUG."""
    for name in ("aiosqlite", "sqlalchemy.engine", "asyncpg"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        _quiet_driver_logs()
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool = {} if url.startswith("sqlite") else {"pool_size": POOL_SIZE,
                                                    "max_overflow": MAX_OVERFLOW}
        # hide_parameters: a failed statement's error (logged with its traceback) must not
        # quote the values it carried: e-mails, phone numbers, messages.
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, pool_pre_ping=True,
                                                       hide_parameters=True, **pool)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
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
        with open(f"{path}.migrate.lock", "a+b") as handle:
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    async def close(self) -> None:
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
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"),
                               {"k": key})
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"),
                                   {"k": key})

    async def load_state(self, key: str, *, channel: str) -> ConversationState:
        async with self.sessions() as session:
            row = await session.get(Conversation, key)
            if row is None:
                return ConversationState(key=key, channel=channel)
            return ConversationState(key=row.key, channel=row.channel, lang=row.lang,
                                     lang_locked=row.lang_locked, flow=row.flow,
                                     data=dict(row.data or {}))

    async def save_state(self, state: ConversationState) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(Conversation, state.key)
            if row is None:
                row = Conversation(key=state.key, channel=state.channel)
                session.add(row)
            row.lang, row.lang_locked, row.flow = state.lang, state.lang_locked, state.flow
            row.data, row.updated_at = dict(state.data), utcnow()

    async def delete_state(self, key: str) -> bool:
        async with self.sessions.begin() as session:
            result = await session.execute(delete(Conversation).where(Conversation.key == key))
            return bool(getattr(result, "rowcount", 0))

    async def claim_event(self, event_id: str, *, lease: dt.timedelta = CLAIM_LEASE) -> bool:
        """Claim a delivery id for handling; ``False`` for a duplicate: handled already
        (``finish_event``), or being handled (claimed less than ``lease`` ago). A claim whose
        handling never finished (process killed) is taken again once ``lease`` has passed."""
        now = utcnow()
        try:
            async with self.sessions.begin() as session:
                session.add(ProcessedEvent(event_id=event_id, created_at=now))
            return True
        except IntegrityError:
            pass
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(ProcessedEvent)
                .where(ProcessedEvent.event_id == event_id, ProcessedEvent.done_at.is_(None),
                       ProcessedEvent.created_at < now - lease)
                .values(created_at=now).execution_options(synchronize_session=False))
            return getattr(result, "rowcount", 0) == 1

    async def finish_event(self, event_id: str) -> None:
        """The claimed delivery was handled: from now on a copy of it is a duplicate."""
        async with self.sessions.begin() as session:
            await session.execute(update(ProcessedEvent).where(
                ProcessedEvent.event_id == event_id).values(done_at=utcnow())
                .execution_options(synchronize_session=False))

    async def release_event(self, event_id: str) -> None:
        """The claimed delivery was not handled (error, request timed out): its retry is not
        a duplicate."""
        async with self.sessions.begin() as session:
            await session.execute(delete(ProcessedEvent).where(
                ProcessedEvent.event_id == event_id, ProcessedEvent.done_at.is_(None)))

    async def delete_user_states(self, channel: str, user_id: str) -> int:
        """Delete every conversation state of one person in ``channel`` (their private chat,
        groups, threads): keys ``<channel>:...:<user_id>``."""
        escaped = re.sub(r"([\\%_])", r"\\\1", user_id)
        async with self.sessions.begin() as session:
            result = await session.execute(delete(Conversation).where(
                Conversation.key.like(f"{channel}:%:{escaped}", escape="\\"),
                Conversation.channel == channel))
            return int(getattr(result, "rowcount", 0) or 0)

    async def prune_events(self, older_than: dt.timedelta) -> int:
        async with self.sessions.begin() as session:
            cutoff = utcnow() - older_than
            result = await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.created_at < cutoff)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def add_feedback(
        self, *, channel: str, rating: int, question: str, sources: list[str]
    ) -> None:
        async with self.sessions.begin() as session:
            session.add(Feedback(channel=channel, rating=rating, question=scrub(question),
                                 sources=sources))

    async def log_question(
        self, *, channel: str, lang: str, question: str, declined: bool, reason: str,
        top_source: str | None, latency_ms: float,
    ) -> None:
        async with self.sessions.begin() as session:
            session.add(QuestionLog(channel=channel, lang=lang, question=scrub(question),
                                    declined=declined, reason=reason, top_source=top_source,
                                    latency_ms=latency_ms))

    async def feedback(self) -> list[Feedback]:
        async with self.sessions() as session:
            return list((await session.scalars(select(Feedback).order_by(Feedback.id))).all())

    async def questions(self) -> list[QuestionLog]:
        async with self.sessions() as session:
            rows = await session.scalars(select(QuestionLog).order_by(QuestionLog.id))
            return list(rows.all())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
