"""Read-only queries for the operators' reports and the metrics gauges.

Usage::

    sources = await db.reports.gap_questions()     # declined questions, thumbs-down questions
    usage = await db.reports.usage()               # one row per question and per lead
    counts = await db.reports.pipeline_counts()    # leads by (desk, status), outbox by status
    answers = await db.reports.survey_events()     # [SurveyEvent("cci-aisne", ...), ...]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.guard import reading
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.tables import Feedback, QuestionLog

__all__ = ["GapQuestions", "LeadUse", "PipelineCounts", "QuestionUse", "ReportRepository",
           "SurveyEvent", "Usage"]


@dataclass(frozen=True)
class GapQuestions:
    """The (scrubbed) questions the bot declined, and those rated thumbs down."""

    declined: list[str]
    thumbs_down: list[str]


@dataclass(frozen=True)
class QuestionUse:
    channel: str
    created_at: dt.datetime
    declined: bool


@dataclass(frozen=True)
class LeadUse:
    desk_id: str
    tier: str
    created_at: dt.datetime
    claimed_at: dt.datetime | None


@dataclass(frozen=True)
class Usage:
    """One row per logged question and per lead (no personal data)."""

    questions: list[QuestionUse]
    leads: list[LeadUse]


@dataclass(frozen=True)
class SurveyEvent:
    """One satisfaction survey event of a lead (``bot.leads.survey``), by the lead's desk."""

    desk_id: str
    action: str          # survey_sent | survey_contacted | survey_useful | survey_comment
    answer: str | None   # "yes" | "no" for the two questions


@dataclass(frozen=True)
class PipelineCounts:
    """Leads by (desk id, status) and outbox items by status (statuses with none are absent)."""

    leads: dict[tuple[str, str], int]
    outbox: dict[str, int]


class ReportRepository:
    """Aggregates over the question log, the feedback, the leads and the outbox; reached as
    ``db.reports``. Failures raise ``StorageError``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def gap_questions(self) -> GapQuestions:
        async with reading(self._sessions) as session:
            declined = (await session.scalars(select(QuestionLog.question).where(
                QuestionLog.declined.is_(True)))).all()
            down = (await session.scalars(select(Feedback.question).where(
                Feedback.rating < 0))).all()
        return GapQuestions(declined=list(declined), thumbs_down=list(down))

    async def usage(self) -> Usage:
        async with reading(self._sessions) as session:
            questions = (await session.execute(select(
                QuestionLog.channel, QuestionLog.created_at, QuestionLog.declined))).all()
            leads = (await session.execute(select(
                Lead.desk_id, Lead.tier, Lead.created_at, Lead.claimed_at))).all()
        return Usage(
            questions=[QuestionUse(channel=channel, created_at=created, declined=bool(declined))
                       for channel, created, declined in questions],
            leads=[LeadUse(desk_id=desk, tier=tier, created_at=created, claimed_at=claimed)
                   for desk, tier, created, claimed in leads])

    async def pipeline_counts(self) -> PipelineCounts:
        async with reading(self._sessions) as session:
            leads = (await session.execute(select(Lead.desk_id, Lead.status, func.count())
                                           .group_by(Lead.desk_id, Lead.status))).all()
            outbox = (await session.execute(select(OutboxItem.status, func.count())
                                            .group_by(OutboxItem.status))).all()
        return PipelineCounts(leads={(desk, status): int(n) for desk, status, n in leads},
                              outbox={status: int(n) for status, n in outbox})

    async def survey_events(self) -> list[SurveyEvent]:
        """Every satisfaction survey event, with its lead's current desk."""
        actions = ("survey_sent", "survey_contacted", "survey_useful", "survey_comment")
        async with reading(self._sessions) as session:
            rows = (await session.execute(
                select(Lead.desk_id, LeadEvent.action, LeadEvent.detail)
                .join(Lead, Lead.id == LeadEvent.lead_id)
                .where(LeadEvent.action.in_(actions)).order_by(LeadEvent.id))).all()
        return [SurveyEvent(desk_id=desk, action=action,
                            answer=str((detail or {}).get("answer")) if (detail or {}).get(
                                "answer") else None)
                for desk, action, detail in rows]
