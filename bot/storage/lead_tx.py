"""One transaction on the lead tables: what a submission, an advisor action or an SLA
escalation reads and writes together (the lead, its audit events, its outbox rows), committed
as a whole or not at all.

Reads return detached ``LeadRecord`` copies; ``update`` changes the lead in this transaction
and returns its new copy; ``add_event`` and ``add_outbox`` are written at commit (or at the
next read). Open it with ``LeadRepository.transaction()``.

Usage::

    async with db.leads.transaction() as tx:
        lead = await tx.get(ref="REL-2026-00042")
        if lead is not None:
            lead = await tx.move(lead_id=lead.id, status="new", changes={"status": "taken"})
            tx.add_event(lead_id=lead.id, action="claim", actor="U01", detail={}, at=now)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.records import LeadRecord, NewOutboxItem, lead_record, outbox_row

__all__ = ["LeadTransaction"]

_COLUMNS = frozenset(c.name for c in Lead.__table__.columns)


def _checked(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _COLUMNS
    if unknown:
        raise ValueError(f"not lead columns: {sorted(unknown)}")
    return dict(values)


class LeadTransaction:
    """The lead tables inside one open transaction (see the module's docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _row(self, lead_id: int) -> Lead:
        row = await self._session.get(Lead, lead_id)
        if row is None:
            raise LookupError(f"no lead {lead_id}")
        return row

    async def get(self, *, ref: str) -> LeadRecord | None:
        """The lead with this reference, or ``None``."""
        row = (await self._session.scalars(select(Lead).where(Lead.ref == ref))).first()
        return None if row is None else lead_record(row)

    async def recent(self, *, siren: str | None, email: str | None,
                     since: dt.datetime) -> list[LeadRecord]:
        """Live (not anonymised) leads created since ``since`` with this SIREN or this e-mail,
        oldest first; none when both are empty."""
        keys = [c for c in (Lead.siren == siren if siren else None,
                            Lead.email == email if email else None) if c is not None]
        if not keys:
            return []
        query = select(Lead).where(or_(*keys), Lead.created_at >= since,
                                   Lead.anonymised_at.is_(None)).order_by(Lead.id)
        return [lead_record(row) for row in (await self._session.scalars(query)).all()]

    async def insert(self, *, values: Mapping[str, Any]) -> LeadRecord:
        """Write a new lead (``values``: column -> value) and return it with its id; raises
        ``ConstraintError`` (from the transaction) when its ``submission_key`` is taken."""
        values = _checked(values)
        values.setdefault("routed_at", values.get("created_at"))
        row = Lead(**values)
        self._session.add(row)
        await self._session.flush()
        return lead_record(row)

    async def update(self, *, lead_id: int, changes: Mapping[str, Any]) -> LeadRecord:
        """Change columns of a lead (``changes``: column -> value); returns the new copy."""
        row = await self._row(lead_id)
        for column, value in _checked(changes).items():
            setattr(row, column, value)
        return lead_record(row)

    async def escalate(self, *, lead_id: int, now: dt.datetime) -> LeadRecord | None:
        """Mark the lead escalated at ``now`` if it is still ``new``, unowned and not escalated
        (a conditional UPDATE: of two concurrent checks, one wins); ``None`` otherwise."""
        taken = await self._session.execute(
            update(Lead)
            .where(Lead.id == lead_id, Lead.status == "new", Lead.owner.is_(None),
                   Lead.escalated_at.is_(None))
            .values(escalated_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:   # claimed or escalated meanwhile
            return None
        row = (await self._session.scalars(select(Lead).where(Lead.id == lead_id)
                                           .execution_options(populate_existing=True))).one()
        return lead_record(row)

    async def move(self, *, lead_id: int, status: str,
                   changes: Mapping[str, Any]) -> LeadRecord | None:
        """Apply ``changes`` if the lead's status is still ``status`` (a conditional UPDATE: of
        two concurrent clicks, one wins); the new copy, or ``None`` when the status changed."""
        return await self._conditional(lead_id, (Lead.status == status,), _checked(changes))

    async def advance(self, *, lead_id: int, step: int,
                      changes: Mapping[str, Any]) -> LeadRecord | None:
        """Record reminder step ``step`` (with ``changes``) if the lead is still ``new`` and
        behind that step: each step happens once, whoever runs the schedule; ``None`` if not."""
        return await self._conditional(
            lead_id, (Lead.status == "new", Lead.reminder_step < step),
            {**_checked(changes), "reminder_step": step})

    async def mark_surveyed(self, *, lead_id: int, now: dt.datetime) -> LeadRecord | None:
        """Record that the company was asked (once: ``None`` when it already was)."""
        return await self._conditional(lead_id, (Lead.surveyed_at.is_(None),),
                                       {"surveyed_at": now})

    async def card_ref(self, *, lead_id: int, notifier: str) -> str | None:
        """The remote reference of the lead's first delivery through ``notifier`` that left
        one (its Slack card: ``channel:ts``), or ``None``."""
        ref = await self._session.scalar(
            select(OutboxItem.remote_ref).where(OutboxItem.lead_id == lead_id,
                                                OutboxItem.notifier == notifier,
                                                OutboxItem.kind == "new",
                                                OutboxItem.remote_ref.is_not(None))
            .order_by(OutboxItem.id).limit(1))
        return str(ref) if ref else None

    async def _conditional(self, lead_id: int, where: tuple[Any, ...],
                           values: dict[str, Any]) -> LeadRecord | None:
        done = await self._session.execute(
            update(Lead).where(Lead.id == lead_id, *where).values(**values)
            .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) != 1:
            return None
        row = (await self._session.scalars(select(Lead).where(Lead.id == lead_id)
                                           .execution_options(populate_existing=True))).one()
        return lead_record(row)

    async def count_events(self, *, lead_id: int, action: str) -> int:
        """How many audit events ``action`` the lead has."""
        return int(await self._session.scalar(select(func.count(LeadEvent.id)).where(
            LeadEvent.lead_id == lead_id, LeadEvent.action == action)) or 0)

    async def count_outbox(self, *, lead_id: int) -> int:
        """How many outbox rows the lead has (any kind, any status)."""
        return int(await self._session.scalar(select(func.count(OutboxItem.id)).where(
            OutboxItem.lead_id == lead_id)) or 0)

    async def first_payload(self, *, lead_id: int, kind: str) -> dict[str, Any] | None:
        """The payload of the lead's first outbox row of ``kind``; ``None`` when it has none."""
        first = (await self._session.scalars(
            select(OutboxItem).where(OutboxItem.lead_id == lead_id, OutboxItem.kind == kind)
            .order_by(OutboxItem.id).limit(1))).first()
        return None if first is None else dict(first.payload or {})

    async def by_delivery(self, *, notifier: str, remote_ref: str) -> LeadRecord | None:
        """The lead whose delivery through ``notifier`` left ``remote_ref`` (a Slack message's
        ``channel:ts``: a card, or a note in its thread), or ``None``."""
        lead_id = await self._session.scalar(
            select(OutboxItem.lead_id).where(OutboxItem.notifier == notifier,
                                             OutboxItem.remote_ref == remote_ref).limit(1))
        if lead_id is None:
            return None
        row = await self._session.get(Lead, lead_id)
        return None if row is None else lead_record(row)

    async def notified_targets(self, *, lead_id: int,
                               kinds: Iterable[str]) -> list[tuple[str, str]]:
        """Every ``(notifier, target)`` the lead's deliveries of ``kinds`` went to (sent or
        not), once each, in the order they were first queued."""
        rows = (await self._session.execute(
            select(OutboxItem.notifier, OutboxItem.target)
            .where(OutboxItem.lead_id == lead_id, OutboxItem.kind.in_(list(kinds)))
            .order_by(OutboxItem.id))).all()
        return list(dict.fromkeys((str(n), str(t)) for n, t in rows))

    async def cancel_pending(self, *, lead_id: int, kinds: Iterable[str], reason: str) -> int:
        """Cancel the lead's deliveries of ``kinds`` not sent yet (``pending``; one being
        sent ends as it does); ``last_error`` says why. Returns how many. Rows another
        transaction holds (an erasure locks the outbox before the lead, this caller holds the
        lead) are left alone rather than waited for: no deadlock, and what they are is
        settled by whoever holds them."""
        ids = list((await self._session.scalars(
            select(OutboxItem.id).where(OutboxItem.lead_id == lead_id,
                                        OutboxItem.kind.in_(list(kinds)),
                                        OutboxItem.status == "pending")
            .with_for_update(skip_locked=True))).all())
        if not ids:
            return 0
        done = await self._session.execute(
            update(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.status == "pending")
            .values(status="cancelled", last_error=reason[:200])
            .execution_options(synchronize_session=False))
        return int(getattr(done, "rowcount", 0) or 0)

    def add_event(self, *, lead_id: int, action: str, actor: str, detail: dict[str, Any],
                  at: dt.datetime) -> None:
        """Append an audit event."""
        self._session.add(LeadEvent(lead_id=lead_id, action=action, actor=actor, detail=detail,
                                    at=at))

    def add_outbox(self, *, items: Iterable[NewOutboxItem]) -> None:
        """Queue deliveries (``pending``, delivered by the dispatcher after commit)."""
        self._session.add_all(outbox_row(item) for item in items)
