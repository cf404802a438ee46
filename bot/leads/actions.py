"""Advisor actions on a lead (from Slack buttons or the CLI): claim, contacted, not relevant,
reassign. Each one is checked, applied and audited in one transaction.

Who may act: the advisors listed for the lead's desk (or the regional desk) in the desks
file; when a desk lists none, whoever clicks in the desk's own Slack channel, and only if that
channel is private and not shared outside the workspace (``channel_restricted``, checked with
the Slack API by the caller: ``adapters.slack.channel_check``). Anyone else gets ``AccessDenied``
(``OpenChannel`` when the channel is the reason) and an ``action_refused`` event.

Usage::

    payload = await apply_action(service, ref="REL-2026-00042", action="lead_claim",
                                 actor="U01ADVISOR", channel="C0123", channel_restricted=True)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.errors import AccessDenied, InputError
from bot.leads.service import LeadService
from bot.storage import LeadRecord
from bot.storage.limits import RULE_CHARS

__all__ = ["ACTIONS", "REGIONAL_DESK", "OpenChannel", "apply_action"]

ACTIONS = ("lead_claim", "lead_contacted", "lead_not_relevant", "lead_reassign")
REGIONAL_DESK = "cci-hauts-de-france"


class OpenChannel(AccessDenied):
    """Refused because the desk lists no advisors and its channel is public or shared."""


def _refusal(service: LeadService, lead: LeadRecord, actor: str, channel: str | None,
             restricted: bool) -> AccessDenied | None:
    desk = service.desks.desk(lead.desk_id)
    regional = service.desks.desk(REGIONAL_DESK)
    if actor in desk.advisors or actor in regional.advisors:
        return None
    if desk.advisors or channel is None or channel != desk.slack_channel:
        return AccessDenied(f"{actor} may not act on {lead.ref}")
    if not restricted:
        return OpenChannel(f"{lead.ref}: desk without advisors, channel not private")
    return None


async def apply_action(service: LeadService, *, ref: str, action: str, actor: str,
                       channel: str | None = None,
                       channel_restricted: bool = False) -> dict[str, Any]:
    """Apply ``action`` and return the lead's new payload (to redraw the notification)."""
    if action not in ACTIONS:
        raise InputError("unknown_action")
    now = service.clock()
    async with service.db.leads.transaction() as tx:
        lead = await tx.get(ref=ref)
        if lead is None:
            raise InputError("unknown_action")
        refused = _refusal(service, lead, actor, channel, channel_restricted)
        if refused is not None:
            tx.add_event(lead_id=lead.id, action="action_refused", actor=actor,
                         detail={"action": action}, at=now)
        else:
            lead = await tx.update(lead_id=lead.id, changes=_changes(lead, action, actor, now))
            tx.add_event(lead_id=lead.id, action=action.removeprefix("lead_"), actor=actor,
                         detail={"status": lead.status, "desk": lead.desk_id}, at=now)
            if action == "lead_reassign" and lead.desk_id == REGIONAL_DESK:
                count = await tx.count_outbox(lead_id=lead.id)
                tx.add_outbox(items=service.outbox(lead, kind="new", stamp=f"r{count}"))
        payload = service.payload(lead, kind="update")
    if refused is not None:
        raise refused
    return payload


def _changes(lead: LeadRecord, action: str, actor: str, now: dt.datetime) -> dict[str, Any]:
    """The columns ``action`` by ``actor`` changes."""
    changes: dict[str, Any] = {"updated_at": now}
    if action == "lead_claim":
        changes |= {"status": "claimed", "owner": actor, "claimed_at": lead.claimed_at or now}
    elif action == "lead_contacted":
        changes |= {"status": "contacted", "owner": lead.owner or actor,
                    "claimed_at": lead.claimed_at or now}
    elif action == "lead_not_relevant":
        changes["status"] = "not_relevant"
    else:  # reassign: back to the pool; from a local desk, forwarded to the regional desk
        changes |= {"status": "new", "owner": None, "claimed_at": None}
        if lead.desk_id != REGIONAL_DESK:
            changes |= {"desk_id": REGIONAL_DESK,
                        "rule": f"{lead.rule} ; réaffecté par {actor}"[:RULE_CHARS]}
    return changes
