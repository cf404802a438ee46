"""The outbox repository: what the dispatcher claims, and what it records after a delivery.

An item is claimed by a conditional UPDATE (``pending`` and due, or ``sending`` with an
expired lease -> ``sending``, ``locked_until = now + lease``, ``attempts + 1``) that succeeds
for exactly one dispatcher (rowcount 1), on SQLite as on PostgreSQL with several processes.
Its outcome is recorded only while that claim still holds (``sending`` with the same
``attempts``), with its audit event, in one transaction.

Usage::

    for item_id in await db.outbox.due(now=now, limit=50):
        claim = await db.outbox.claim(item_id=item_id, now=now, lease=dt.timedelta(minutes=1))
        if claim is not None:
            ...   # deliver claim.item, then one of:
            await db.outbox.mark_sent(item_id=item_id, lead_id=claim.item.lead_id,
                                      attempt=claim.item.attempts, remote_ref="C1:17.5",
                                      now=now, actor="dispatcher", detail={...})
    await db.outbox.retry_dead(ids=None, now=now)     # operator: dead letters back to pending
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.erasure import erase_notice
from bot.storage.guard import reading, writing
from bot.storage.lead_tables import LeadEvent, OutboxItem
from bot.storage.records import NewOutboxItem, OutboxRecord, outbox_record, outbox_row

__all__ = ["BUTTON_KINDS", "CARD_KINDS", "REDRAW_KINDS", "Claim", "OutboxRepository"]

REMOTE_REF_CHARS = 255
# The kinds that post a lead's card to a target: the desk's first notification, and the
# regional desk's escalation (its first card of the lead).
CARD_KINDS = ("new", "escalation")
# The kinds that post a message with the lead's buttons (the card, reminders, escalations),
# and those that may redraw them all (a move to a final status, the abandonment).
BUTTON_KINDS = ("new", "reminder", "escalation")
REDRAW_KINDS = ("update", "abandoned", "redraw")


@dataclass(frozen=True)
class Claim:
    """A claimed item (``attempts`` already counts this attempt) and, for an update of a lead,
    what the same notifier returned for the lead's first card to the same target (``new``,
    or the regional desk's ``escalation``); for a kind of ``REDRAW_KINDS``, ``cards``: the
    ``(kind, remote_ref)`` of every message with buttons sent to that target, oldest first."""

    item: OutboxRecord
    previous_ref: str | None
    cards: tuple[tuple[str, str], ...] = ()


def _due(now: dt.datetime) -> Any:
    return or_(
        and_(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now),
        and_(OutboxItem.status == "sending", OutboxItem.locked_until < now),
    )


class OutboxRepository:
    """The ``outbox`` table; reached as ``db.outbox``. Failures raise ``StorageError``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, *, item: NewOutboxItem) -> None:
        """Queue one item about no single lead (an advisor's ``digest``); ``ConstraintError``
        when its idempotency key is already queued."""
        async with writing(self._sessions) as session:
            session.add(outbox_row(item))

    async def due(self, *, now: dt.datetime, limit: int) -> list[int]:
        """Ids of up to ``limit`` items due at ``now``, the longest waiting first."""
        query = (select(OutboxItem.id).where(_due(now))
                 .order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(limit))
        async with reading(self._sessions) as session:
            return list((await session.scalars(query)).all())

    async def claim(self, *, item_id: int, now: dt.datetime, lease: dt.timedelta) -> Claim | None:
        """Take the item for one lease; ``None`` when it is not due (another dispatcher was
        first)."""
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id, _due(now))
                .values(status="sending", locked_until=now + lease,
                        attempts=OutboxItem.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            item = (await session.scalars(
                select(OutboxItem).where(OutboxItem.id == item_id)
                .execution_options(populate_existing=True))).one()
            previous = None
            # where the first card went: updates edit or thread it (a digest has no card)
            if item.kind != "new" and item.lead_id is not None:
                previous = await session.scalar(
                    select(OutboxItem.remote_ref).where(
                        OutboxItem.lead_id == item.lead_id, OutboxItem.kind.in_(CARD_KINDS),
                        OutboxItem.notifier == item.notifier, OutboxItem.target == item.target,
                        OutboxItem.status == "sent").order_by(OutboxItem.id).limit(1))
            cards: tuple[tuple[str, str], ...] = ()
            if item.kind in REDRAW_KINDS and item.lead_id is not None:
                rows = (await session.execute(
                    select(OutboxItem.kind, OutboxItem.remote_ref).where(
                        OutboxItem.lead_id == item.lead_id,
                        OutboxItem.kind.in_(BUTTON_KINDS), OutboxItem.status == "sent",
                        OutboxItem.notifier == item.notifier, OutboxItem.target == item.target,
                        OutboxItem.remote_ref.is_not(None)).order_by(OutboxItem.id))).all()
                cards = tuple(dict.fromkeys((str(k), str(r)) for k, r in rows))
            return Claim(item=outbox_record(item), previous_ref=previous, cards=cards)

    async def _record(self, *, item_id: int, lead_id: int | None, attempt: int,
                      values: dict[str, Any], action: str, actor: str, detail: dict[str, Any],
                      now: dt.datetime) -> bool:
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id, OutboxItem.status == "sending",
                       OutboxItem.attempts == attempt)
                .values(**values).execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:   # lease lost: another run owns it now
                return False
            if lead_id is not None:   # a digest is about no single lead: no audit event
                session.add(LeadEvent(lead_id=lead_id, action=action, actor=actor,
                                      detail=detail, at=now))
            if values["status"] == "sent":   # erased while in flight: erase it there too
                item = await session.get(OutboxItem, item_id, populate_existing=True)
                if item is not None:
                    await erase_notice(session, item, now=now)
            return True

    async def mark_sent(self, *, item_id: int, lead_id: int | None, attempt: int,
                        remote_ref: str | None, now: dt.datetime, actor: str,
                        detail: dict[str, Any]) -> bool:
        """Delivered: ``sent`` with the remote reference, event ``delivered``; if the lead was
        erased meanwhile, its ``erased`` notice is queued. ``False`` when the lease was lost
        (nothing written)."""
        values = {"status": "sent", "sent_at": now, "locked_until": None, "last_error": None,
                  "remote_ref": (remote_ref or "")[:REMOTE_REF_CHARS] or None}
        return await self._record(item_id=item_id, lead_id=lead_id, attempt=attempt,
                                  values=values, action="delivered", actor=actor,
                                  detail=detail, now=now)

    async def mark_failed(self, *, item_id: int, lead_id: int | None, attempt: int, error: str,
                          retry_at: dt.datetime, now: dt.datetime, actor: str,
                          detail: dict[str, Any]) -> bool:
        """A transient failure: ``pending`` again from ``retry_at``, event ``delivery_failed``.
        ``False`` when the lease was lost."""
        values = {"status": "pending", "next_attempt_at": retry_at, "locked_until": None,
                  "last_error": error}
        return await self._record(item_id=item_id, lead_id=lead_id, attempt=attempt,
                                  values=values, action="delivery_failed", actor=actor,
                                  detail=detail, now=now)

    async def mark_dead(self, *, item_id: int, lead_id: int | None, attempt: int, error: str,
                        now: dt.datetime, actor: str, detail: dict[str, Any]) -> bool:
        """Given up: ``dead`` (a dead letter), event ``dead_letter``. ``False`` when the lease
        was lost."""
        values = {"status": "dead", "dead": True, "locked_until": None, "last_error": error}
        return await self._record(item_id=item_id, lead_id=lead_id, attempt=attempt,
                                  values=values, action="dead_letter", actor=actor,
                                  detail=detail, now=now)

    async def retry_dead(self, *, ids: list[int] | None = None, now: dt.datetime,
                         actor: str = "operator") -> int:
        """Put dead letters (all, or ``ids``) back to pending with zero attempts, each with a
        ``delivery_retried`` event; returns how many."""
        async with writing(self._sessions) as session:
            query = select(OutboxItem.id, OutboxItem.lead_id).where(OutboxItem.status == "dead")
            if ids is not None:
                query = query.where(OutboxItem.id.in_(ids))
            rows = list((await session.execute(query)).all())
            if not rows:
                return 0
            await session.execute(
                update(OutboxItem).where(OutboxItem.id.in_([r.id for r in rows]),
                                         OutboxItem.status == "dead")
                .values(status="pending", dead=False, attempts=0, next_attempt_at=now,
                        locked_until=None)
                .execution_options(synchronize_session=False)
            )
            session.add_all(LeadEvent(lead_id=r.lead_id, action="delivery_retried", actor=actor,
                                      detail={"outbox_id": r.id}, at=now) for r in rows
                            if r.lead_id is not None)
            return len(rows)

    async def dead(self) -> list[OutboxRecord]:
        """The dead letters, oldest first."""
        async with reading(self._sessions) as session:
            query = select(OutboxItem).where(OutboxItem.status == "dead").order_by(OutboxItem.id)
            return [outbox_record(row) for row in (await session.scalars(query)).all()]

    async def count(self, *, status: str | None = None) -> int:
        """How many items (with this status)."""
        query = select(func.count()).select_from(OutboxItem)
        if status is not None:
            query = query.where(OutboxItem.status == status)
        async with reading(self._sessions) as session:
            return int(await session.scalar(query) or 0)

    async def count_keys(self) -> int:
        """How many distinct idempotency keys (each delivery is one key)."""
        async with reading(self._sessions) as session:
            return int(await session.scalar(
                select(func.count(OutboxItem.idempotency_key.distinct()))) or 0)

    async def delivery_times(self) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """(created_at, sent_at) of every item, for latency figures."""
        async with reading(self._sessions) as session:
            rows = (await session.execute(select(OutboxItem.created_at,
                                                 OutboxItem.sent_at))).all()
            return [(created, sent) for created, sent in rows]
