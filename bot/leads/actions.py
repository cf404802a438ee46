"""Advisor actions on a lead (from Slack buttons or the CLI): claim, contacted, not relevant,
reassign. Each one is checked, applied and audited in one transaction.

Who may act: the advisors listed for the lead's desk (or the regional desk) in the desks
file; when a desk lists none, whoever clicks in the desk's own Slack channel, and only if that
channel is private and not shared outside the workspace (``channel_restricted``, checked with
the Slack API by the caller: ``bot.leads.channel_check``). Anyone else gets ``AccessDenied``
(``OpenChannel`` when the channel is the reason) and an ``action_refused`` event.

Usage::

    payload = await apply_action(service, ref="REL-2026-00042", action="lead_claim",
                                 actor="U01ADVISOR", channel="C0123", channel_restricted=True)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.errors import AccessDenied, InputError
from bot.leads.service import LeadService
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.limits import RULE_CHARS

__all__ = ["ACTIONS", "REGIONAL_DESK", "OpenChannel", "apply_action"]

ACTIONS = ("lead_claim", "lead_contacted", "lead_not_relevant", "lead_reassign")
REGIONAL_DESK = "cci-hauts-de-france"


class OpenChannel(AccessDenied):
    """Refused because the desk lists no advisors and its channel is public or shared."""


def _refusal(service: LeadService, lead: Lead, actor: str, channel: str | None,
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
    async with service.db.sessions.begin() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).first()
        if lead is None:
            raise InputError("unknown_action")
        refused = _refusal(service, lead, actor, channel, channel_restricted)
        if refused is not None:
            session.add(LeadEvent(lead_id=lead.id, action="action_refused", actor=actor,
                                  detail={"action": action}, at=now))
        else:
            _apply(lead, action, actor, now, service)
            session.add(LeadEvent(lead_id=lead.id, action=action.removeprefix("lead_"),
                                  actor=actor, detail={"status": lead.status,
                                                       "desk": lead.desk_id}, at=now))
            if action == "lead_reassign" and lead.desk_id == REGIONAL_DESK:
                count = len((await session.scalars(select(OutboxItem.id).where(
                    OutboxItem.lead_id == lead.id))).all())
                session.add_all(service.outbox(lead, kind="new", stamp=f"r{count}"))
        payload = service.payload(lead, kind="update")
    if refused is not None:
        raise refused
    return payload


def _apply(lead: Lead, action: str, actor: str, now: Any, service: LeadService) -> None:
    lead.updated_at = now
    if action == "lead_claim":
        lead.status, lead.owner, lead.claimed_at = "claimed", actor, lead.claimed_at or now
    elif action == "lead_contacted":
        lead.status = "contacted"
        lead.owner = lead.owner or actor
        lead.claimed_at = lead.claimed_at or now
    elif action == "lead_not_relevant":
        lead.status = "not_relevant"
    else:  # reassign: back to the pool; from a local desk, forwarded to the regional desk
        lead.status, lead.owner, lead.claimed_at = "new", None, None
        if lead.desk_id != REGIONAL_DESK:
            lead.desk_id = REGIONAL_DESK
            lead.rule = f"{lead.rule} ; réaffecté par {actor}"[:RULE_CHARS]
