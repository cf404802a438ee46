"""Telling the desks' targets that an advisor moved a lead (from a Slack button or the
console), once per move.

Every move of ``bot.leads.actions`` queues, in its own transaction, an ``update`` (kind
``update``, ``payload["transition"]``: ``from``, ``to``, ``by`` the advisor, ``via`` the
action) to the targets of the desk the lead was at that are not Slack (e-mail, webhook, inbox:
Slack already redraws the card that was clicked). A move to a final status (closed) also
tells every target that had the lead (its first desk, the regional desk), Slack included:
there the update redraws every message of the lead that carries buttons (the card, its
reminders and escalations, ``adapters.slack.notifier``), and the reminders and escalations
not sent yet are cancelled (the abandonment does the same, ``bot.leads.schedule``). The
idempotency key names the lead, the number of the move and the target
(``<ref>:update:t<n>:<notifier>:<digest>``): a double click or a retried delivery never tells
a target twice.

A move made away from the card (the console: ``card`` is given) tells the desk's Slack
channel too, whatever the move: the update redraws the lead's card there for everyone as a
click on it would (``card``: what the clicked card's payload adds, ``rerouted_to`` and the
status shown once the lead left the desk, a refusal's reason), with the buttons of the new
state, and notes the move in the card's thread; the same key, so once per move.

Usage::

    count = await transition_updates(service, tx, before=lead, moved=moved, actor="U01",
                                     via="lead_close_helped", stamp=3, now=now)
    count = await transition_updates(..., card={"rerouted_to": "CCI Hauts-de-France"})
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from bot.leads.service import LeadService
from bot.leads.states import FINAL
from bot.storage import LeadRecord, LeadTransaction, NewOutboxItem

__all__ = ["BUTTON_KINDS", "DESK_KINDS", "SLACK", "UNSENT", "UPDATE", "transition_updates",
           "update_key"]

UPDATE = "update"
SLACK = "slack"
# What desks were sent about a lead (every target of these hears of its end).
DESK_KINDS = ("new", "update", "reminder", "escalation")
# The Slack messages that carry a lead's buttons; cancelled too while unsent, once it ends.
BUTTON_KINDS = ("new", "reminder", "escalation")
UNSENT = ("reminder", "escalation")


def update_key(lead: LeadRecord, stamp: int, notifier: str, address: str) -> str:
    """The idempotency key of the update about move ``stamp`` to one target."""
    digest = hashlib.sha256(f"{notifier}\n{address}".encode()).hexdigest()[:10]
    return f"{lead.ref}:{UPDATE}:t{stamp}:{notifier}:{digest}"


async def transition_updates(service: LeadService, tx: LeadTransaction, *,
                             before: LeadRecord, moved: LeadRecord, actor: str, via: str,
                             stamp: int, now: dt.datetime,
                             card: Mapping[str, Any] | None = None) -> int:
    """Queue the updates of one move (see the module's docstring); how many."""
    desk = service.desks.desk(before.desk_id)
    targets = [(t.notifier, t.address) for t in desk.targets(service.settings.inbox_dir)
               if t.notifier != SLACK or (card is not None and t.address == desk.slack_channel)]
    if moved.status in FINAL:
        targets += await tx.notified_targets(lead_id=moved.id, kinds=DESK_KINDS)
        await tx.cancel_pending(lead_id=moved.id, kinds=UNSENT, reason=moved.status)
    payload: dict[str, Any] = service.payload(moved, kind=UPDATE) | {"transition": {
        "from": before.status, "to": moved.status, "by": actor, "via": via}}
    reason = moved.details.get("status_reason")
    if reason:
        payload["status_reason"] = reason
    redrawn = payload | dict(card or {})   # the desk's own card, as a click would show it
    items = [NewOutboxItem(lead_id=moved.id, kind=UPDATE, notifier=notifier, target=address,
                           payload=redrawn if (notifier, address) == (SLACK, desk.slack_channel)
                           else payload, next_attempt_at=now, created_at=now,
                           idempotency_key=update_key(moved, stamp, notifier, address))
             for notifier, address in dict.fromkeys(targets)]
    tx.add_outbox(items=items)
    return len(items)
