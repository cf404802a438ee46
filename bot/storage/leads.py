"""The lead repository: transactions on the lead tables, lookups for the operators' CLI and
the SLA timers, and the erasure of a person's leads.

Usage::

    async with db.leads.transaction() as tx:           # see bot.storage.lead_tx
        lead = await tx.insert(values={...})
        tx.add_outbox(items=[...])
    first = await db.leads.by_submission(key=key)      # LeadRecord | None
    ids = await db.leads.overdue(cutoff=now - dt.timedelta(hours=48))
    due = await db.leads.due_reminders(cutoffs=[c3, c9, c21, c45])   # list[DueLead]
    history = await db.leads.history(ref="REL-2026-00042")   # lead, events, deliveries
    card = await db.leads.by_delivery(notifier="slack", remote_ref="C0DESK:1700000000.000100")
    erased = await db.leads.erase(user_key="telegram:42", actor="telegram:42", now=now,
                                  payload=service.payload)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.erasure import Payload, anonymise
from bot.storage.guard import reading, writing
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.lead_tx import LeadTransaction
from bot.storage.records import (
    LeadEventRecord,
    LeadRecord,
    OutboxRecord,
    event_record,
    lead_record,
    outbox_record,
)

__all__ = ["DueLead", "LeadHistory", "LeadRepository"]


@dataclass(frozen=True)
class DueLead:
    """A lead the reminder schedule must look at: its last step and when it reached its desk."""

    id: int
    step: int
    routed_at: dt.datetime


@dataclass(frozen=True)
class LeadHistory:
    """A lead with its audit trail and its deliveries, oldest first."""

    lead: LeadRecord
    events: list[LeadEventRecord]
    deliveries: list[OutboxRecord]


class LeadRepository:
    """The ``leads`` table and its audit trail (``lead_events``); reached as ``db.leads``.
    Database failures raise ``StorageError``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[LeadTransaction]:
        """One transaction: committed when the block ends, rolled back if it raises; a broken
        unique key raises ``ConstraintError``, any other failure ``StorageError``."""
        async with writing(self._sessions) as session:
            yield LeadTransaction(session)

    async def by_submission(self, *, key: str) -> LeadRecord | None:
        """The live (not anonymised) lead stored for this submission key."""
        async with reading(self._sessions) as session:
            row = (await session.scalars(select(Lead).where(
                Lead.submission_key == key, Lead.anonymised_at.is_(None)))).first()
            return None if row is None else lead_record(row)

    async def overdue(self, *, cutoff: dt.datetime) -> list[int]:
        """Ids of the leads still ``new``, unowned, not escalated nor anonymised, created at
        or before ``cutoff``; oldest first."""
        async with reading(self._sessions) as session:
            return list((await session.scalars(
                select(Lead.id).where(Lead.status == "new", Lead.owner.is_(None),
                                      Lead.escalated_at.is_(None), Lead.anonymised_at.is_(None),
                                      Lead.created_at <= cutoff)
                .order_by(Lead.created_at, Lead.id))).all())

    async def due_reminders(self, *, cutoffs: Sequence[dt.datetime]) -> list[DueLead]:
        """Live ``new`` leads behind their reminder schedule, oldest first, in ONE query on the
        ``(status, routed_at)`` index: step ``k`` (1-based) is due when the lead reached its
        desk at or before ``cutoffs[k-1]`` (cutoffs from the earliest step to the latest, so
        decreasing) and its ``reminder_step`` is below ``k``."""
        if not cutoffs:
            return []
        behind = or_(*(and_(Lead.reminder_step < k, Lead.routed_at <= cutoff)
                       for k, cutoff in enumerate(cutoffs, start=1)))
        query = (select(Lead.id, Lead.reminder_step, Lead.routed_at)
                 .where(Lead.status == "new", Lead.routed_at <= max(cutoffs),
                        Lead.anonymised_at.is_(None), behind)
                 .order_by(Lead.routed_at, Lead.id))
        async with reading(self._sessions) as session:
            return [DueLead(row.id, row.reminder_step, row.routed_at)
                    for row in (await session.execute(query)).all()]

    async def due_surveys(self, *, statuses: Sequence[str], cutoff: dt.datetime,
                          limit: int = 500) -> list[int]:
        """Ids of the live leads in ``statuses`` (closed) last changed at or before ``cutoff``
        whose company was not asked yet (``surveyed_at``), oldest first; on the
        ``(status, updated_at)`` index (migration 0008)."""
        query = (select(Lead.id).where(Lead.status.in_(list(statuses)),
                                       Lead.updated_at <= cutoff, Lead.surveyed_at.is_(None),
                                       Lead.anonymised_at.is_(None))
                 .order_by(Lead.updated_at, Lead.id).limit(limit))
        async with reading(self._sessions) as session:
            return list((await session.scalars(query)).all())

    async def by_delivery(self, *, notifier: str, remote_ref: str) -> LeadRecord | None:
        """The lead whose delivery through ``notifier`` left ``remote_ref`` (a Slack
        message's ``channel:ts``), or ``None``; on the ``(notifier, remote_ref)`` index."""
        async with reading(self._sessions) as session:
            lead_id = await session.scalar(
                select(OutboxItem.lead_id).where(OutboxItem.notifier == notifier,
                                                 OutboxItem.remote_ref == remote_ref).limit(1))
            row = None if lead_id is None else await session.get(Lead, lead_id)
            return None if row is None else lead_record(row)

    async def all(self, *, status: str | None = None, desk_id: str | None = None,
                  newest_first: bool = False) -> list[LeadRecord]:
        """Every lead (or those with this status / desk), by id."""
        query = select(Lead).order_by(Lead.id.desc() if newest_first else Lead.id)
        if status:
            query = query.where(Lead.status == status)
        if desk_id:
            query = query.where(Lead.desk_id == desk_id)
        async with reading(self._sessions) as session:
            return [lead_record(row) for row in (await session.scalars(query)).all()]

    async def count(self) -> int:
        """How many leads are stored (anonymised ones included)."""
        async with reading(self._sessions) as session:
            return int(await session.scalar(select(func.count()).select_from(Lead)) or 0)

    async def history(self, *, ref: str | None = None,
                      lead_id: int | None = None) -> LeadHistory | None:
        """The lead with this reference (or id), its events and deliveries; ``None`` if none."""
        key = Lead.id == lead_id if lead_id is not None else Lead.ref == ref
        async with reading(self._sessions) as session:
            lead = (await session.scalars(select(Lead).where(key))).first()
            if lead is None:
                return None
            events = (await session.scalars(select(LeadEvent).where(
                LeadEvent.lead_id == lead.id).order_by(LeadEvent.id))).all()
            items = (await session.scalars(select(OutboxItem).where(
                OutboxItem.lead_id == lead.id).order_by(OutboxItem.id))).all()
            return LeadHistory(lead=lead_record(lead), events=[event_record(e) for e in events],
                               deliveries=[outbox_record(i) for i in items])

    async def erase(self, *, user_key: str, actor: str, now: dt.datetime,
                    payload: Payload) -> int:
        """Anonymise the live leads of ``user_key`` in one transaction (``bot.storage.erasure``:
        ``payload(record, kind=...)`` re-renders their notifications); returns how many."""
        async with writing(self._sessions) as session:
            leads = (await session.scalars(select(Lead).where(
                Lead.user_key == user_key, Lead.anonymised_at.is_(None)))).all()
            return await anonymise(session, list(leads), actor=actor, action="erased", now=now,
                                   payload=payload)

    async def purge(self, *, before: dt.datetime, actor: str, now: dt.datetime,
                    payload: Payload) -> int:
        """Anonymise every live lead created before ``before`` (retention); returns how many."""
        async with writing(self._sessions) as session:
            leads = (await session.scalars(select(Lead).where(
                Lead.created_at < before, Lead.anonymised_at.is_(None)))).all()
            return await anonymise(session, list(leads), actor=actor, action="purged", now=now,
                                   payload=payload)
