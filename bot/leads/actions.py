"""Advisor actions on a lead (Slack card buttons, later the console): take, refuse with a
reason, close with an outcome, reassign. Each one is checked against the state machine
(``bot.leads.states``), applied and audited in one transaction.

Who may act: the advisors listed for the lead's desk (or the regional desk) in the desks
file; when a desk lists none, whoever clicks in the desk's own Slack channel, and only if that
channel is private and not shared outside the workspace (``channel_restricted``, checked with
the Slack API by the caller: ``adapters.slack.channel_check``). Anyone else gets ``AccessDenied``
(``OpenChannel`` when the channel is the reason) and an ``action_refused`` event. A move the
state machine does not allow raises ``InputError("lead_transition_refused")`` and is audited as
``transition_refused``.

Every move is an audit event ``transition`` (actor, time, ``from``, ``to``, ``reason``,
``via`` the action id, ``desk``, ``company_told``, ``desks_told``). Every move queues an
``update`` for the desk's e-mail, webhook and inbox targets (and, once closed, for every
target that had the lead, Slack included: ``bot.leads.updates``); a move made from the
console (``redraw=True``) also queues that ``update`` to the desk's Slack channel, which
redraws the card for everyone as the click on it would (same payload: "Pris en charge par
…", the buttons of the new state, the desk a lead was handed on to). Taking a lead in charge
and each closing also queue, in the same transaction, a ``company_notice`` telling the
company in its own chat and language (``bot.leads.company``: the desk, and the advisor's
first name only if the advisor allows it), once per move. "Pas pour nous" (``refused``)
re-routes the lead at once to the next candidate desk its routing gave
(``details["desk_candidates"]``) not yet refused, or else the regional desk, with new outbox
rows for that desk; refused by the regional desk too, it stays ``refused`` there (the region
may still take or close it): never dropped.

Usage::

    payload = await apply_action(service, ref="REL-2026-00042", action="lead_claim",
                                 actor="U01ADVISOR", channel="C0123", channel_restricted=True)
    payload = await apply_action(service, ref="REL-2026-00042", action="lead_claim",
                                 actor="U01ADVISOR", redraw=True)       # the console
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.errors import AccessDenied, InputError
from bot.leads.company import NOTICE, company_item, notice_key
from bot.leads.service import LeadService
from bot.leads.states import ACTIONS, CLOSED, NEW, REFUSED, TAKEN, Action, allowed
from bot.leads.updates import transition_updates
from bot.storage import LeadRecord, LeadTransaction
from bot.storage.limits import RULE_CHARS

__all__ = ["ACTIONS", "REGIONAL_DESK", "OpenChannel", "access_error", "apply_action",
           "next_desk"]

REGIONAL_DESK = "cci-hauts-de-france"


class OpenChannel(AccessDenied):
    """Refused because the desk lists no advisors and its channel is public or shared."""


def access_error(service: LeadService, lead: LeadRecord, *, actor: str, channel: str | None,
                 restricted: bool) -> AccessDenied | None:
    """Why ``actor`` may not act on ``lead`` (a button, a reply relayed to the company), or
    ``None`` when they may (see the module's docstring)."""
    desk = service.desks.desk(lead.desk_id)
    regional = service.desks.desk(REGIONAL_DESK)
    if actor in desk.advisors or actor in regional.advisors:
        return None
    if desk.advisors or channel is None or channel != desk.slack_channel:
        return AccessDenied(f"{actor} may not act on {lead.ref}")
    if not restricted:
        return OpenChannel(f"{lead.ref}: desk without advisors, channel not private")
    return None


def next_desk(lead: LeadRecord) -> str | None:
    """Where a refused lead goes: the first candidate desk of its routing that has not
    refused it, else the regional desk; ``None`` once the regional desk refused it too."""
    refused = {str(d) for d in lead.details.get("refused_by", [])} | {lead.desk_id}
    candidates = [str(d) for d in lead.details.get("desk_candidates", [])]
    for desk in (*candidates, REGIONAL_DESK):
        if desk not in refused:
            return desk
    return None


async def apply_action(service: LeadService, *, ref: str, action: str, actor: str,
                       channel: str | None = None,
                       channel_restricted: bool = False, redraw: bool = False) -> dict[str, Any]:
    """Apply ``action`` and return the lead's new payload (to redraw the card it was clicked
    on: a lead re-routed away from the clicker's desk comes back with ``rerouted_to``);
    ``redraw``: no card was clicked (the console), the outbox redraws the desk's card."""
    move = ACTIONS.get(action)
    if move is None:
        raise InputError("unknown_action")
    now = service.clock()
    error: Exception | None = None
    async with service.db.leads.transaction() as tx:
        lead = await tx.get(ref=ref)
        if lead is None:
            raise InputError("unknown_action")
        desk_id = lead.desk_id
        error = access_error(service, lead, actor=actor, channel=channel,
                             restricted=channel_restricted)
        if error is not None:
            tx.add_event(lead_id=lead.id, action="action_refused", actor=actor,
                         detail={"action": action}, at=now)
        elif not allowed(lead.status, move.to):
            error = InputError("lead_transition_refused")
            tx.add_event(lead_id=lead.id, action="transition_refused", actor=actor, at=now,
                         detail={"from": lead.status, "to": move.to, "via": action})
        else:
            moved = await _move(service, tx, lead, move, action, actor, now, redraw=redraw)
            if moved is None:   # someone else moved it meanwhile
                error = InputError("lead_transition_refused")
            else:
                lead = moved
        payload = service.payload(lead, kind="update") | _extra(lead)
        if error is None and lead.desk_id != desk_id:   # the clicker's card: handed on
            payload |= {"rerouted_to": service.desk_name(lead.desk_id),
                        "status": move.to if move.to == REFUSED else lead.status}
    if error is not None:
        raise error
    return payload


def _extra(lead: LeadRecord) -> dict[str, Any]:
    """What the card shows beyond ``LeadService.payload``: the last refusal's reason."""
    reason = lead.details.get("status_reason")
    return {"status_reason": reason} if reason else {}


def _card(service: LeadService, before: LeadRecord, moved: LeadRecord) -> dict[str, Any]:
    """What ``apply_action`` returns for the clicked card beyond the lead's payload: the
    desk the lead is handed on to (a refusal re-routes it at once, a reassignment moves it)
    and the status shown there, and a refusal's reason."""
    extra = _extra(moved)
    handed = next_desk(moved) if moved.status == REFUSED else moved.desk_id
    if handed is not None and handed != before.desk_id:
        extra |= {"rerouted_to": service.desk_name(handed), "status": moved.status}
    return extra


def _changes(lead: LeadRecord, move: Action, actor: str, now: dt.datetime) -> dict[str, Any]:
    """The columns a move by ``actor`` changes."""
    changes: dict[str, Any] = {"status": move.to, "updated_at": now}
    if move.to == TAKEN:
        changes |= {"owner": actor, "claimed_at": lead.claimed_at or now}
    elif move.to == REFUSED:
        changes["details"] = {**lead.details, "status_reason": move.reason,
                              "refused_by": [*lead.details.get("refused_by", []),
                                             lead.desk_id]}
    elif move.reassign:   # back to the pool; from a local desk, forwarded to the region
        changes |= {"owner": None, "claimed_at": None, "routed_at": now, "reminder_step": 0}
        if lead.desk_id != REGIONAL_DESK:
            changes |= {"desk_id": REGIONAL_DESK,
                        "rule": f"{lead.rule} ; réaffecté par {actor}"[:RULE_CHARS]}
    return changes


async def _move(service: LeadService, tx: LeadTransaction, lead: LeadRecord, move: Action,
                action: str, actor: str, now: dt.datetime, *,
                redraw: bool = False) -> LeadRecord | None:
    before = lead
    moved = await tx.move(lead_id=lead.id, status=lead.status,
                          changes=_changes(lead, move, actor, now))
    if moved is None:
        return None
    told = False
    stamp = await tx.count_events(lead_id=moved.id, action="transition") + 1
    updates = await transition_updates(service, tx, before=before, moved=moved, actor=actor,
                                       via=action, stamp=stamp, now=now,
                                       card=_card(service, before, moved) if redraw else None)
    if moved.status == TAKEN or moved.status in CLOSED:
        item = company_item(moved, kind=NOTICE, key=notice_key(moved, moved.status, stamp),
                            now=now, notice=moved.status,
                            desk_name=service.desk_name(moved.desk_id),
                            advisor=service.desks.first_name(actor))
        if item is not None:
            tx.add_outbox(items=[item])
            told = True
    tx.add_event(lead_id=moved.id, action="transition", actor=actor, at=now, detail={
        "from": before.status, "to": moved.status, "reason": move.reason, "via": action,
        "desk": before.desk_id, "company_told": told, "desks_told": updates})
    if move.reassign and moved.desk_id != before.desk_id:
        await _notify(service, tx, moved)
    if move.to == REFUSED:
        return await _reroute(service, tx, moved, now)
    return moved


async def _reroute(service: LeadService, tx: LeadTransaction, lead: LeadRecord,
                   now: dt.datetime) -> LeadRecord:
    """A refused lead to the next desk (a ``system`` transition ``refused`` -> ``new``)."""
    desk = next_desk(lead)
    if desk is None:   # the regional desk refused it too: it stays there, refused
        return lead
    moved = await tx.update(lead_id=lead.id, changes={
        "status": NEW, "desk_id": desk, "owner": None, "claimed_at": None, "routed_at": now,
        "reminder_step": 0, "updated_at": now,
        "rule": f"{lead.rule} ; pas pour {lead.desk_id} -> {desk}"[:RULE_CHARS]})
    tx.add_event(lead_id=lead.id, action="transition", actor="routing", at=now, detail={
        "from": REFUSED, "to": NEW, "reason": lead.details.get("status_reason"),
        "via": "reroute", "desk": lead.desk_id, "to_desk": desk})
    await _notify(service, tx, moved)
    return moved


async def _notify(service: LeadService, tx: LeadTransaction, lead: LeadRecord) -> None:
    """New outbox rows so the lead's (new) desk is notified."""
    count = await tx.count_outbox(lead_id=lead.id)
    tx.add_outbox(items=service.outbox(lead, kind="new", stamp=f"r{count}"))
