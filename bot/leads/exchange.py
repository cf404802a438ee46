"""The words exchanged between a lead's desk and its company, as the advisor console's lead
page shows them: the advisors' messages (``company_message``, from a card's Slack thread or
the console) and the company's answers and survey comment (``company_reply``, posted in the
card's thread or kept for the console), oldest first.

The words are read from the outbox rows carrying them, and nowhere else: the audit trail
holds their length only. ``/oublier`` blanks those rows (``bot.storage.erasure``): an erased
message has ``text`` ``None`` and is shown as erased. Only the console's lead page uses this,
for an advisor who may see the lead (``bot.leads.console.Console.lead``).

Usage::

    for said in exchanges(history):          # history: Console.lead(scope, ref=...)
        said.at, said.author, said.text      # author: COMPANY or the advisor's id
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.leads.company import MESSAGE
from bot.leads.relay import REPLY
from bot.storage import LeadHistory, OutboxRecord

__all__ = ["COMPANY", "Exchange", "exchanges"]

COMPANY = "company"     # the author of what the company wrote


@dataclass(frozen=True, slots=True)
class Exchange:
    """One message: when, who (``COMPANY`` or an advisor's id, ``""`` when unknown), its words
    (``None`` once erased), whether it is the company's survey comment."""

    at: dt.datetime
    author: str
    text: str | None
    survey: bool = False


def _words(item: OutboxRecord) -> str | None:
    text = item.payload.get("text")
    if item.payload.get("erased") or not isinstance(text, str) or not text.strip():
        return None
    return text


def exchanges(history: LeadHistory) -> list[Exchange]:
    """The lead's messages both ways, oldest first (see the module's docstring)."""
    # an advisor's message is named by the digest ending its key, and its audit event
    authors = {str(e.detail.get("message")): e.actor for e in history.events
               if e.action == "relay_to_company" and e.detail.get("message")}
    said: list[Exchange] = []
    for item in history.deliveries:
        if item.kind == MESSAGE:
            digest = item.idempotency_key.rsplit(":", 1)[-1]
            said.append(Exchange(item.created_at, authors.get(digest, ""), _words(item)))
        elif item.kind == REPLY:
            said.append(Exchange(item.created_at, COMPANY, _words(item),
                                 survey=bool(item.payload.get("survey"))))
    return said
