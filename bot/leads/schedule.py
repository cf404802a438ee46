"""The reminder schedule of unclaimed leads (replaces the single SLA timer).

A lead still ``new`` N working days (``bot.leads.workdays``) after it reached its desk
(``routed_at``) goes through four steps, each once (settings ``lead_*_days``, 3/9/21/45):

1. ``remind``   : a ``reminder`` to its desk's targets;
2. ``regional`` : a ``reminder`` to its desk and an ``escalation`` to the regional desk;
3. ``escalate`` : the regional desk takes it over (``desk_id``, ``escalated_at``), ``escalation``
   to the regional desk's targets;
4. ``abandon``  : status ``abandoned`` (``states.ABANDONED``); an ``abandoned`` notification to
   every desk target the lead was sent to (its Slack messages with buttons, the card and its
   reminders and escalations, are redrawn without them; reminders and escalations not sent
   yet are cancelled), and a
   ``company_notice`` for the company (``bot.leads.company``: notifier ``company``, target
   its ``user_key``, in its language) telling it and offering another way in; none once the
   person erased their data.

Only the latest due step is done (a lead found 25 working days late is escalated, not also
reminded twice). The scan is ONE query on the ``(status, routed_at)`` index
(``LeadRepository.due_reminders``); each step is taken by a conditional UPDATE
(``reminder_step < k``, status still ``new``) in the transaction that queues its outbox rows
(idempotency keys name the lead, the step and its routing) and writes its audit event, so two
workers never do a step twice. A re-routed lead (refused, reassigned) starts again at step 0.

Usage::

    done = await run_schedule(db, desks=Desks.load(settings.desks_file), settings=settings,
                              now=utcnow())      # {"remind": 2, "regional": 0, ...}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
from typing import Any

from bot.errors import ConfigError
from bot.leads.company import NOTICE, company_item, notice_key
from bot.leads.desks import Desks, DeskTarget
from bot.leads.states import ABANDONED, NEW, check_transition
from bot.leads.updates import DESK_KINDS, UNSENT
from bot.leads.workdays import working_cutoff
from bot.settings import Settings
from bot.storage import Database, LeadRecord, LeadTransaction, NewOutboxItem
from bot.storage.leads import DueLead
from bot.storage.limits import RULE_CHARS

__all__ = ["ACTOR", "DESK_KINDS", "REGIONAL_DESK", "STEPS", "outbox_key", "run_schedule",
           "schedule_days"]

log = logging.getLogger(__name__)
REGIONAL_DESK = "cci-hauts-de-france"
ACTOR = "schedule"
STEPS = ("remind", "regional", "escalate", "abandon")


def schedule_days(settings: Settings) -> tuple[int, int, int, int]:
    """The four steps' working days; ``ConfigError`` unless positive and increasing."""
    days = (settings.lead_remind_days, settings.lead_regional_days,
            settings.lead_escalate_days, settings.lead_abandon_days)
    if days[0] < 1 or any(b <= a for a, b in itertools.pairwise(days)):
        raise ConfigError(f"reminder days must be positive and increasing, not {days}")
    return days


def outbox_key(lead: LeadRecord, kind: str, step: int, target: DeskTarget) -> str:
    """A stable, unique idempotency key for one step's notification to one target."""
    digest = hashlib.sha256(f"{target.notifier}\n{target.address}".encode()).hexdigest()[:16]
    routed = f"{lead.routed_at:%Y%m%d%H%M%S}" if lead.routed_at else "0"
    return f"{lead.ref}:{kind}{step}:{routed}:{target.notifier}:{digest}"


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _lead_payload(lead: LeadRecord) -> dict[str, Any]:
    """A payload from the lead row, when no ``new`` notification exists to copy."""
    names = ("ref", "desk_id", "rule", "score", "tier", "company", "siren", "postal_code",
             "commune", "department", "headcount", "size", "sector", "product", "origin",
             "stage", "timeline", "contact_name", "email", "phone", "channel")
    return {name: getattr(lead, name) for name in names} | {
        "created_at": lead.created_at.isoformat() if lead.created_at else None}


async def run_schedule(db: Database, *, desks: Desks, settings: Settings,
                       now: dt.datetime) -> dict[str, int]:
    """Do every due step once; returns how many leads went through each step."""
    now = now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)
    days = schedule_days(settings)
    cutoffs = [working_cutoff(now, n) for n in days]
    done = dict.fromkeys(STEPS, 0)
    for due in await db.leads.due_reminders(cutoffs=cutoffs):
        routed = _utc(due.routed_at)
        step = max(k for k, cutoff in enumerate(cutoffs, start=1) if routed <= cutoff)
        if step <= due.step:
            continue
        async with db.leads.transaction() as tx:
            if await _step(tx, due, step, desks=desks, settings=settings, now=now,
                           days=days[step - 1]):
                done[STEPS[step - 1]] += 1
    return done


async def _step(tx: LeadTransaction, due: DueLead, step: int, *, desks: Desks,
                settings: Settings, now: dt.datetime, days: int) -> bool:
    changes: dict[str, Any] = {"updated_at": now}
    if step == 4:
        check_transition(NEW, ABANDONED, by="system")
        changes["status"] = ABANDONED
    lead = await tx.advance(lead_id=due.id, step=step, changes=changes)
    if lead is None:   # taken, refused or stepped meanwhile
        return False
    desk_id = lead.desk_id
    if step == 3 and desk_id != REGIONAL_DESK:
        lead = await tx.update(lead_id=lead.id, changes={
            "desk_id": REGIONAL_DESK, "escalated_at": now,
            "rule": f"{lead.rule} ; escaladé après {days} jours ouvrés"[:RULE_CHARS]})
    elif step == 3:
        lead = await tx.update(lead_id=lead.id, changes={"escalated_at": now})
    first = await tx.first_payload(lead_id=lead.id, kind="new")
    base = dict(first) if first else _lead_payload(lead)
    hours = int((now - _utc(due.routed_at)).total_seconds() // 3600)
    base |= {"status": lead.status, "owner": lead.owner, "desk_id": lead.desk_id,
             "sla_hours": hours, "working_days": days}
    plan: list[tuple[str, DeskTarget]] = []
    if step in (1, 2):
        plan += [("reminder", t) for t in desks.desk(desk_id).targets(settings.inbox_dir)]
    if (step == 2 and desk_id != REGIONAL_DESK) or step == 3:
        plan += [("escalation", t) for t in desks.desk(REGIONAL_DESK).targets(
            settings.inbox_dir)]
    if step == 4:   # every desk that saw the lead: its cards lose their buttons
        await tx.cancel_pending(lead_id=lead.id, kinds=UNSENT, reason=ABANDONED)
        plan += [("abandoned", DeskTarget(notifier=notifier, address=address)) for
                 notifier, address in await tx.notified_targets(lead_id=lead.id,
                                                                kinds=DESK_KINDS)]
    items = [NewOutboxItem(lead_id=lead.id, kind=kind, notifier=target.notifier,
                           target=target.address, payload={**base, "kind": kind},
                           idempotency_key=outbox_key(lead, kind, step, target),
                           next_attempt_at=now, created_at=now)
             for kind, target in dict.fromkeys(plan)]
    told = company_item(lead, kind=NOTICE, key=notice_key(lead, ABANDONED, f"step{step}"),
                        now=now, notice=ABANDONED, desk_name=None) if step == 4 else None
    tx.add_outbox(items=[*items, *([told] if told else [])])
    detail = {"step": STEPS[step - 1], "working_days": days, "desk_id": desk_id,
              "notifications": len(items) + (told is not None)}
    if step == 3:
        tx.add_event(lead_id=lead.id, action="escalated", actor=ACTOR, at=now,
                     detail=detail | {"to": lead.desk_id})
    elif step == 4:
        tx.add_event(lead_id=lead.id, action="transition", actor=ACTOR, at=now,
                     detail=detail | {"from": NEW, "to": ABANDONED, "reason": "unclaimed",
                                      "company_told": told is not None})
    else:
        tx.add_event(lead_id=lead.id, action="reminded", actor=ACTOR, at=now, detail=detail)
    log.info("lead %s: %s after %d working days", lead.ref, STEPS[step - 1], days)
    return True
