"""The conversation side of the store: per-conversation state, delivery ids already handled,
feedback and the question log. ``Database`` inherits these methods (``db.load_state(...)``).

Every method translates database failures into ``StorageError``.

Usage::

    state = await db.load_state("telegram:42:42", channel="telegram")
    state.lang = "en"; await db.save_state(state)
    if await db.claim_event("telegram:update:1001"): ...   # False for a duplicate delivery
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.guard import reading, writing
from bot.storage.runner import StatementRunner
from bot.storage.scrub import scrub
from bot.storage.tables import Conversation, Feedback, ProcessedEvent, QuestionLog, utcnow
from bot.storage.upsert import insert_ignoring, upsert_statement

__all__ = ["CLAIM_LEASE", "ConversationState", "ConversationStore", "FeedbackRecord",
           "QuestionRecord"]

CLAIM_LEASE = dt.timedelta(minutes=2)  # an unfinished claim older than this may be taken again


@dataclass
class ConversationState:
    key: str
    channel: str
    lang: str | None = None
    lang_locked: bool = False
    flow: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    channel: str
    rating: int
    question: str
    sources: list[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    channel: str
    lang: str
    question: str
    declined: bool
    reason: str
    top_source: str | None
    latency_ms: float
    created_at: dt.datetime


_STATE = select(*Conversation.__table__.c).where(Conversation.key == bindparam("k"))
_RECLAIM = (update(ProcessedEvent)
            .where(ProcessedEvent.event_id == bindparam("id"), ProcessedEvent.done_at.is_(None),
                   ProcessedEvent.created_at < bindparam("expired"))
            .values(created_at=bindparam("now")))
_FINISH = update(ProcessedEvent).where(ProcessedEvent.event_id == bindparam("id")).values(
    done_at=bindparam("at"))
_RELEASE = delete(ProcessedEvent).where(ProcessedEvent.event_id == bindparam("id"),
                                        ProcessedEvent.done_at.is_(None))
_LOG_QUESTION = insert(QuestionLog)


class ConversationStore:
    """Conversation states, processed events, feedback and questions (see the module)."""

    sessions: async_sessionmaker[AsyncSession]
    statements: StatementRunner  # the per-message statements, one hop each

    async def load_state(self, key: str, *, channel: str) -> ConversationState:
        row = await self.statements.run(lambda conn: conn.execute(_STATE, {"k": key}).first())
        if row is None:
            return ConversationState(key=key, channel=channel)
        return ConversationState(key=row.key, channel=row.channel, lang=row.lang,
                                 lang_locked=row.lang_locked, flow=row.flow,
                                 data=dict(row.data or {}))

    async def save_state(self, state: ConversationState) -> None:
        """One statement, whether the conversation is new or not (an upsert)."""
        row = {"key": state.key, "channel": state.channel, "lang": state.lang,
               "lang_locked": state.lang_locked, "flow": state.flow, "data": dict(state.data),
               "updated_at": utcnow()}
        await self.statements.run(lambda conn: conn.execute(upsert_statement(
            conn.dialect.name, Conversation, list(row), keys=("key",)), row), write=True)

    async def delete_state(self, key: str) -> bool:
        async with writing(self.sessions) as session:
            result = await session.execute(delete(Conversation).where(Conversation.key == key))
            return bool(getattr(result, "rowcount", 0))

    async def claim_event(self, event_id: str, *, lease: dt.timedelta = CLAIM_LEASE) -> bool:
        """Claim a delivery id for handling; ``False`` for a duplicate: handled already
        (``finish_event``), or being handled (claimed less than ``lease`` ago). A claim whose
        handling never finished (process killed) is taken again once ``lease`` has passed."""
        now = utcnow()

        def claim(conn: Connection) -> bool:
            inserted = conn.execute(
                insert_ignoring(conn.dialect.name, ProcessedEvent, keys=("event_id",)),
                {"event_id": event_id, "created_at": now})
            if inserted.rowcount == 1:
                return True
            taken = conn.execute(_RECLAIM, {"id": event_id, "now": now,
                                            "expired": now - lease})
            return taken.rowcount == 1

        return await self.statements.run(claim, write=True)

    async def finish_event(self, event_id: str) -> None:
        """The claimed delivery was handled: from now on a copy of it is a duplicate."""
        await self.statements.run(
            lambda conn: conn.execute(_FINISH, {"id": event_id, "at": utcnow()}), write=True)

    async def release_event(self, event_id: str) -> None:
        """The claimed delivery was not handled (error, request timed out): its retry is not
        a duplicate."""
        await self.statements.run(lambda conn: conn.execute(_RELEASE, {"id": event_id}),
                                  write=True)

    async def delete_user_states(self, channel: str, user_id: str) -> int:
        """Delete every conversation state of one person in ``channel`` (their private chat,
        groups, threads): keys ``<channel>:...:<user_id>``."""
        escaped = re.sub(r"([\\%_])", r"\\\1", user_id)
        async with writing(self.sessions) as session:
            result = await session.execute(delete(Conversation).where(
                Conversation.key.like(f"{channel}:%:{escaped}", escape="\\"),
                Conversation.channel == channel))
            return int(getattr(result, "rowcount", 0) or 0)

    async def prune_events(self, older_than: dt.timedelta) -> int:
        async with writing(self.sessions) as session:
            cutoff = utcnow() - older_than
            result = await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.created_at < cutoff)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def add_feedback(
        self, *, channel: str, rating: int, question: str, sources: list[str]
    ) -> None:
        async with writing(self.sessions) as session:
            session.add(Feedback(channel=channel, rating=rating, question=scrub(question),
                                 sources=sources))

    async def log_question(
        self, *, channel: str, lang: str, question: str, declined: bool, reason: str,
        top_source: str | None, latency_ms: float,
    ) -> None:
        row = {"channel": channel, "lang": lang, "question": scrub(question),
               "declined": declined, "reason": reason, "top_source": top_source,
               "latency_ms": latency_ms, "created_at": utcnow()}
        await self.statements.run(lambda conn: conn.execute(_LOG_QUESTION, row), write=True)

    async def feedback(self) -> list[FeedbackRecord]:
        """Every feedback, oldest first."""
        async with reading(self.sessions) as session:
            rows = (await session.scalars(select(Feedback).order_by(Feedback.id))).all()
            return [FeedbackRecord(id=r.id, channel=r.channel, rating=r.rating,
                                   question=r.question, sources=list(r.sources or []),
                                   created_at=r.created_at) for r in rows]

    async def questions(self) -> list[QuestionRecord]:
        """Every logged question, oldest first."""
        async with reading(self.sessions) as session:
            rows = (await session.scalars(select(QuestionLog).order_by(QuestionLog.id))).all()
            return [QuestionRecord(id=r.id, channel=r.channel, lang=r.lang, question=r.question,
                                   declined=r.declined, reason=r.reason,
                                   top_source=r.top_source, latency_ms=r.latency_ms,
                                   created_at=r.created_at) for r in rows]
