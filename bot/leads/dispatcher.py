"""The outbox dispatcher: delivers lead notifications at least once, with retries and backoff.

Each due item is claimed by a conditional UPDATE (``pending`` and due, or ``sending`` with an
expired lease -> ``sending``, ``locked_until = now + lease``, ``attempts + 1``) that succeeds
for exactly one dispatcher (rowcount 1), on SQLite as on PostgreSQL with several processes.
The notifier is called outside any transaction; then, in one transaction, the item becomes
``sent``, ``pending`` again (transient failure: ``next_attempt_at = now + backoff * 2**(n-1)``,
capped) or ``dead`` (permanent failure, or ``max_attempts`` reached), and a ``LeadEvent``
(``delivered`` / ``delivery_failed`` / ``dead_letter``, actor ``dispatcher``) is written.
A dispatcher killed between sending and committing leaves the item ``sending``: once the lease
expires another run sends it again, with the same idempotency key.

Usage::

    dispatcher = Dispatcher(db, build_notifiers(settings),
                            max_attempts=settings.outbox_max_attempts,
                            backoff_seconds=settings.outbox_backoff_seconds)
    report = await dispatcher.run_once()            # DispatchReport(sent=2, retried=0, dead=0)
    await dispatcher.run_forever(interval=2.0, stop=stop_event)
    await retry_dead(db)                             # operator: dead letters back to pending
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import DeliveryError, StorageError
from bot.leads.notifiers import Delivery, Notifier
from bot.leads.states import FINAL
from bot.leads.updates import BUTTON_KINDS, SLACK
from bot.storage import ConstraintError, Database, NewOutboxItem, OutboxRecord, utcnow

__all__ = ["DispatchReport", "Dispatcher", "dead_letters", "retry_dead"]

log = logging.getLogger(__name__)
ACTOR = "dispatcher"
MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(self.sent + other.sent, self.retried + other.retried,
                              self.dead + other.dead)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.dead


def _error_text(exc: BaseException) -> str:
    """Class and our own short reason; foreign exception messages may quote personal data."""
    if isinstance(exc, DeliveryError):
        return f"DeliveryError: {str(exc)[:MAX_ERROR_CHARS]}"
    return type(exc).__name__


class Dispatcher:
    def __init__(
        self, db: Database, notifiers: Mapping[str, Notifier], *, max_attempts: int,
        backoff_seconds: float, lease_seconds: float = 60.0, max_backoff_seconds: float = 3600.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.notifiers = dict(notifiers)
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.max_backoff_seconds = max_backoff_seconds
        self.clock = clock

    def backoff(self, attempts: int) -> dt.timedelta:
        """Delay before the next try after ``attempts`` tries: doubling, capped."""
        seconds = self.backoff_seconds * 2 ** max(0, min(attempts - 1, 30))
        return dt.timedelta(seconds=min(seconds, self.max_backoff_seconds))

    async def run_once(self, *, limit: int = 50) -> DispatchReport:
        """Deliver up to ``limit`` due items, one after the other; returns what happened."""
        report = DispatchReport()
        for item_id in await self._candidates(limit):
            delivery = await self._claim(item_id)
            if delivery is not None:
                report += await self._deliver(item_id, *delivery)
        return report

    async def run_forever(self, *, interval: float = 2.0, stop: asyncio.Event,
                          limit: int = 50) -> None:
        """Run until ``stop`` is set; a full batch loops at once, otherwise waits ``interval``."""
        while not stop.is_set():
            try:
                report = await self.run_once(limit=limit)
            except (StorageError, OSError) as exc:
                log.warning("outbox dispatch failed: %s", type(exc).__name__)
                report = DispatchReport()
            if report.total >= limit:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def _candidates(self, limit: int) -> list[int]:
        return await self.db.outbox.due(now=self.clock(), limit=limit)

    async def _claim(self, item_id: int) -> tuple[Delivery, int | None, str] | None:
        """Take the item for one lease; ``None`` when another dispatcher was first."""
        claim = await self.db.outbox.claim(item_id=item_id, now=self.clock(), lease=self.lease)
        if claim is None:
            return None
        item = claim.item
        delivery = Delivery(idempotency_key=item.idempotency_key, kind=item.kind,
                            target=item.target, payload=dict(item.payload),
                            attempt=item.attempts or 1, previous_ref=claim.previous_ref,
                            cards=claim.cards)
        return delivery, item.lead_id, item.notifier

    async def _deliver(self, item_id: int, delivery: Delivery, lead_id: int | None,
                       notifier_name: str) -> DispatchReport:
        attempt = delivery.attempt
        notifier = self.notifiers.get(notifier_name)
        remote_ref: str | None = None
        error: BaseException | None = None
        if notifier is None:
            error = DeliveryError(f"notifier {notifier_name!r} is not configured",
                                  transient=False)
        else:
            try:
                remote_ref = await notifier.send(item=delivery)
            except Exception as exc:   # a notifier bug must not stop the other deliveries
                error = exc
        now = self.clock()
        detail: dict[str, Any] = {"notifier": notifier_name, "kind": delivery.kind,
                                  "outbox_id": item_id, "attempt": attempt, "error": None}
        where: dict[str, Any] = {"item_id": item_id, "lead_id": lead_id, "attempt": attempt,
                                 "now": now, "actor": ACTOR, "detail": detail}
        if error is None:
            action, outcome = "delivered", DispatchReport(sent=1)
            recorded = await self.db.outbox.mark_sent(remote_ref=remote_ref, **where)
        else:
            detail["error"] = _error_text(error)
            transient = getattr(error, "transient", True)
            if transient and attempt < self.max_attempts:
                action, outcome = "delivery_failed", DispatchReport(retried=1)
                recorded = await self.db.outbox.mark_failed(
                    error=detail["error"], retry_at=now + self.backoff(attempt), **where)
            else:
                action, outcome = "dead_letter", DispatchReport(dead=1)
                recorded = await self.db.outbox.mark_dead(error=detail["error"], **where)
        if not recorded:   # lease lost: another run owns it now
            log.warning("outbox item %s (%s): lease lost before %s", item_id, delivery.ref,
                        action)
            return DispatchReport()
        log.log(logging.INFO if error is None else logging.WARNING,
                "lead %s: %s via %s (attempt %d)%s", delivery.ref, action, notifier_name,
                attempt, f": {detail['error']}" if error is not None else "")
        if error is None and remote_ref and notifier_name == SLACK \
                and delivery.kind in BUTTON_KINDS:
            await self._redraw_if_ended(delivery, remote_ref, now)
        return outcome

    async def _redraw_if_ended(self, delivery: Delivery, remote_ref: str,
                               now: dt.datetime) -> None:
        """A Slack message with the lead's buttons that went out while (or after) the lead
        ended (closed, abandoned): queue its ``redraw`` without buttons, once per message."""
        if delivery.payload.get("status") in FINAL:
            return
        digest = hashlib.sha256(remote_ref.encode()).hexdigest()[:16]
        try:
            async with self.db.leads.transaction() as tx:
                lead = await tx.get(ref=delivery.ref)
                if lead is None or lead.status not in FINAL or lead.anonymised_at is not None:
                    return
                payload = {**delivery.payload, "kind": "update", "status": lead.status,
                           "owner": lead.owner, "transition": {"to": lead.status}}
                tx.add_outbox(items=[NewOutboxItem(
                    lead_id=lead.id, kind="redraw", notifier=SLACK, target=delivery.target,
                    payload=payload, idempotency_key=f"{lead.ref}:redraw:{digest}",
                    next_attempt_at=now, created_at=now)])
        except ConstraintError:    # queued already (the same message delivered twice)
            return
        except StorageError as exc:
            log.warning("lead %s: no redraw queued (%s)", delivery.ref, type(exc).__name__)


async def retry_dead(db: Database, *, ids: list[int] | None = None,
                     now: dt.datetime | None = None) -> int:
    """Put dead letters (all, or ``ids``) back to pending with zero attempts; returns how many."""
    return await db.outbox.retry_dead(ids=ids, now=now or utcnow(), actor="operator")


async def dead_letters(db: Database) -> list[OutboxRecord]:
    """The dead outbox items, oldest first (for ``relocbot leads dead``)."""
    return await db.outbox.dead()
