"""Telling a desk without a Slack thread that the company answered: the company's words are
kept for the console (``bot.leads.relay.reply_item``, notifier ``console``), and nothing
would tell the advisors to look. Each such answer (a reply to an advisor's message, the
survey's comment) queues, in its own transaction, a ``company_answered`` to the desk's
e-mail, webhook and inbox targets (not Slack: a desk with a card's thread gets the words
there). It carries NO text: the lead's reference, the desk, and the link to the lead's page
of the console when ``RELOCBOT_CONSOLE_URL`` is set; the words stay in the console, read by
the advisors who may see the lead. One per answer and target (idempotency key
``<ref>:company_answered:<answer>:<notifier>:<digest>``, ``answer`` the reply's number or
``comment``): a retried transaction never tells a target twice.

Usage::

    tx.add_outbox(items=answered_items(service, lead, answer="3", now=now))
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import quote

from bot.leads.service import LeadService
from bot.storage import LeadRecord, NewOutboxItem

__all__ = ["ANSWERED", "answered_items", "lead_link"]

ANSWERED = "company_answered"
_SLACK = "slack"


def lead_link(service: LeadService, ref: str) -> str | None:
    """The console's page of the lead (``None`` without ``RELOCBOT_CONSOLE_URL``)."""
    base = (service.settings.console_url or "").strip().rstrip("/")
    return f"{base}/leads/{quote(ref, safe='')}" if base else None


def answered_items(service: LeadService, lead: LeadRecord, *, answer: str,
                   now: dt.datetime) -> list[NewOutboxItem]:
    """The ``company_answered`` rows of one answer kept for the console (see the module's
    docstring)."""
    desk = service.desks.desk(lead.desk_id)
    payload: dict[str, Any] = {"ref": lead.ref, "kind": ANSWERED, "desk_id": lead.desk_id,
                               "desk_name": service.desk_name(lead.desk_id)}
    link = lead_link(service, lead.ref)
    if link:
        payload["console_url"] = link
    items = []
    for target in desk.targets(service.settings.inbox_dir):
        if target.notifier == _SLACK:
            continue
        digest = hashlib.sha256(f"{target.notifier}\n{target.address}".encode()).hexdigest()
        items.append(NewOutboxItem(
            lead_id=lead.id, kind=ANSWERED, notifier=target.notifier, target=target.address,
            payload=payload, next_attempt_at=now, created_at=now,
            idempotency_key=f"{lead.ref}:{ANSWERED}:{answer}:{target.notifier}:{digest[:10]}"))
    return items
