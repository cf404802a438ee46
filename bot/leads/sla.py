"""The advisor SLA: a lead nobody has claimed within ``RELOCBOT_LEAD_SLA_HOURS`` is chased.

For each such lead (status ``new``, no owner, not yet escalated, not anonymised), in ONE
transaction: a ``reminder`` outbox item to each target of its desk, an ``escalation`` item to
each target of the regional desk ``cci-hauts-de-france`` (only the escalation when the lead is
already routed there), ``lead.escalated_at = now`` and a ``LeadEvent`` ``escalated``. The lead
row is taken by a conditional UPDATE (``escalated_at IS NULL``), so running the check twice, or
from two processes at once, never chases a lead twice. Payloads copy the lead's first ``new``
notification with ``kind`` changed (and ``sla_hours``, current ``status`` / ``owner``).

Usage::

    count = await check_sla(db, desks=Desks.load(settings.desks_file), settings=settings,
                            now=utcnow())
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from bot.leads.desks import Desks, DeskTarget
from bot.settings import Settings
from bot.storage import Database, LeadRecord, LeadTransaction, NewOutboxItem

__all__ = ["REGIONAL_DESK", "check_sla", "outbox_key"]

log = logging.getLogger(__name__)
REGIONAL_DESK = "cci-hauts-de-france"
ACTOR = "sla"


def outbox_key(ref: str, kind: str, target: DeskTarget) -> str:
    """A stable, unique idempotency key for one notification of a lead to one target."""
    digest = hashlib.sha256(f"{target.notifier}\n{target.address}".encode()).hexdigest()[:16]
    return f"{ref}:{kind}:{target.notifier}:{digest}"


def _lead_payload(lead: LeadRecord) -> dict[str, Any]:
    """A payload from the lead row, when no ``new`` notification exists to copy."""
    return {
        "ref": lead.ref, "desk_id": lead.desk_id, "rule": lead.rule, "score": lead.score,
        "tier": lead.tier, "company": lead.company, "siren": lead.siren,
        "postal_code": lead.postal_code, "commune": lead.commune,
        "department": lead.department, "headcount": lead.headcount, "size": lead.size,
        "sector": lead.sector, "product": lead.product, "origin": lead.origin,
        "stage": lead.stage, "timeline": lead.timeline, "contact_name": lead.contact_name,
        "email": lead.email, "phone": lead.phone, "channel": lead.channel,
        "created_at": lead.created_at.isoformat() if lead.created_at else None,
    }


async def check_sla(db: Database, *, desks: Desks, settings: Settings, now: dt.datetime) -> int:
    """Remind and escalate every overdue unclaimed lead once; returns how many were escalated."""
    now = now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)
    cutoff = now - dt.timedelta(hours=settings.lead_sla_hours)
    overdue = await db.leads.overdue(cutoff=cutoff)
    escalated = 0
    for lead_id in overdue:
        async with db.leads.transaction() as tx:
            if await _escalate(tx, lead_id, desks=desks, settings=settings, now=now):
                escalated += 1
    return escalated


async def _escalate(tx: LeadTransaction, lead_id: int, *, desks: Desks, settings: Settings,
                    now: dt.datetime) -> bool:
    lead = await tx.escalate(lead_id=lead_id, now=now)
    if lead is None:   # claimed or escalated meanwhile
        return False
    first = await tx.first_payload(lead_id=lead_id, kind="new")
    base = dict(first) if first else _lead_payload(lead)
    base |= {"status": lead.status, "owner": lead.owner, "sla_hours": settings.lead_sla_hours}
    plan: list[tuple[str, list[DeskTarget]]] = []
    if lead.desk_id != REGIONAL_DESK:
        plan.append(("reminder", desks.desk(lead.desk_id).targets(settings.inbox_dir)))
    plan.append(("escalation", desks.desk(REGIONAL_DESK).targets(settings.inbox_dir)))
    items = [NewOutboxItem(lead_id=lead_id, kind=kind, notifier=target.notifier,
                           target=target.address, payload={**base, "kind": kind},
                           idempotency_key=outbox_key(lead.ref, kind, target),
                           next_attempt_at=now, created_at=now)
             for kind, targets in plan for target in dict.fromkeys(targets)]
    tx.add_outbox(items=items)
    tx.add_event(lead_id=lead_id, action="escalated", actor=ACTOR, at=now, detail={
        "sla_hours": settings.lead_sla_hours, "desk_id": lead.desk_id,
        "regional_desk": REGIONAL_DESK, "notifications": len(items),
    })
    log.info("lead %s: unclaimed after %g h, reminder and escalation queued", lead.ref,
             settings.lead_sla_hours)
    return True
