"""Retention: what the conversation store keeps, and for how long (the worker sweeps it).

- conversation states idle for ``conversations`` (abandoned lead forms with names, e-mails
  and phones; finder profiles; Slack thread marks and shareable answers) are deleted;
- the question log and the feedback (scrubbed when written) are deleted after ``questions``;
- processed event ids are deleted after ``events`` (Telegram reuses update ids after a week
  of silence: an old id kept forever would drop a new message as a duplicate);
- the channel adapters' entries (``bot.storage.channel_store``) go once expired, or when not
  written for ``conversations``, like the conversation states they replace;
- the advisor console's sign-in links and sessions go once expired; its access log after
  ``console_access`` (a year by default: long enough to answer "who looked at this lead?").

Leads follow their own rule (``LeadService.purge``), applied by the same sweep.

Usage::

    retention = Retention.from_days(conversations=30, questions=90, events=7)
    removed = await prune(db, retention, now=utcnow())   # {"conversations": 3, ...}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_

from bot.storage import Database
from bot.storage.console_tables import ConsoleAccess, ConsoleLink, ConsoleSession
from bot.storage.guard import writing
from bot.storage.tables import ChannelEntry, Conversation, Feedback, ProcessedEvent, QuestionLog

__all__ = ["Retention", "prune"]


@dataclass(frozen=True)
class Retention:
    conversations: dt.timedelta
    questions: dt.timedelta
    events: dt.timedelta
    console_access: dt.timedelta = dt.timedelta(days=365)

    @classmethod
    def from_days(cls, *, conversations: float, questions: float, events: float,
                  console_access: float = 365) -> Retention:
        return cls(dt.timedelta(days=conversations), dt.timedelta(days=questions),
                   dt.timedelta(days=events), dt.timedelta(days=console_access))


async def prune(db: Database, retention: Retention, *, now: dt.datetime) -> dict[str, int]:
    """Delete what is older than its retention period; returns the rows removed per table.
    Raises ``StorageError`` when the database fails."""
    plan = (
        ("conversations", delete(Conversation).where(
            Conversation.updated_at < now - retention.conversations)),
        ("question_log", delete(QuestionLog).where(
            QuestionLog.created_at < now - retention.questions)),
        ("feedback", delete(Feedback).where(Feedback.created_at < now - retention.questions)),
        ("processed_events", delete(ProcessedEvent).where(
            ProcessedEvent.created_at < now - retention.events)),
        ("channel_store", delete(ChannelEntry).where(or_(
            ChannelEntry.expires_at <= now,
            ChannelEntry.updated_at < now - retention.conversations))),
        ("console_links", delete(ConsoleLink).where(ConsoleLink.expires_at <= now)),
        ("console_sessions", delete(ConsoleSession).where(ConsoleSession.expires_at <= now)),
        ("console_access", delete(ConsoleAccess).where(
            ConsoleAccess.at < now - retention.console_access)),
    )
    removed: dict[str, int] = {}
    async with writing(db.sessions) as session:
        for table, statement in plan:
            result = await session.execute(statement)
            removed[table] = int(getattr(result, "rowcount", 0) or 0)
    return removed
