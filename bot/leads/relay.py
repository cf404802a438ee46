"""The relay between an advisor and the company, through Relocbot, recorded on the lead.

- An advisor replies in the Slack thread of a lead card. :func:`relay_to_company` finds the
  lead by the message the reply hangs under (the ``channel:ts`` its delivery stored), checks
  the advisor may act on it (the buttons' rule, ``bot.leads.actions.access_error``), and in one
  transaction queues a ``company_message`` for the company (``bot.leads.company``), opens the
  relay on the lead (``details["relay"]``: the thread the company's replies go to) and writes
  the audit event ``relay_to_company`` (who, how long; never the text). The same Slack message
  delivered twice is relayed once (its idempotency key names it).
- An advisor writes from the console (``bot.leads.console``): the relay opens on the lead's
  Slack card when it has one, else in the console alone (``details["relay"]["thread"]``
  ``None``, ``"console": True``): a desk without Slack gets its answers too.
- The company presses "Répondre" under that message and writes (``bot.flows.relay``):
  :func:`reply_to_desk` checks the request is this person's and a relay is open, queues a
  ``company_reply`` to the card's thread (notifier ``slack``), or, without a thread, keeps it
  for the console (notifier ``console``, target the desk, written ``sent``: nothing to
  deliver) and tells the desk's e-mail, webhook and inbox targets that it answered, without
  its words (``bot.leads.answered``), and writes ``relay_from_company`` (its length, never
  its text). The console's
  lead page shows both directions' words (``bot.leads.exchange``) from these rows only.
- ``/oublier`` stops it: an erased lead has no ``user_key`` any more, so nothing is relayed
  either way (``InputError("relay_erased")`` / ``"relay_closed"``), and what was queued and
  not sent is cancelled (``bot.storage.erasure``).

Usage::

    relayed = await relay_to_company(service, card="C0DESK:1700000000.000100",
                                     message="1700000100.000200", actor="U0ADVISOR",
                                     text="Bonjour, ...", channel="C0DESK")
    opened = await relay_open(service, ref="REL-2026-00042", user_key="telegram:42")
    await reply_to_desk(service, ref="REL-2026-00042", user_key="telegram:42", text="Merci")
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from bot.errors import AccessDenied, InputError
from bot.leads.actions import access_error
from bot.leads.answered import answered_items
from bot.leads.company import MESSAGE, company_item, lead_lang, reachable
from bot.leads.service import LeadService
from bot.storage import ConstraintError, LeadRecord, NewOutboxItem

__all__ = ["CARD_NOTIFIER", "CONSOLE_NOTIFIER", "MAX_RELAY_CHARS", "REPLY", "OpenRelay",
           "Relayed", "is_card", "relay_open", "relay_to_company", "reply_item",
           "reply_to_desk"]

CARD_NOTIFIER = "slack"       # where lead cards (and their threads) live
CONSOLE_NOTIFIER = "console"  # a reply kept for the console alone (no thread to post it in)
REPLY = "company_reply"       # the outbox kind of the company's answer, into the thread
MAX_RELAY_CHARS = 3000        # a Slack section, well under a Telegram message


@dataclass(frozen=True)
class Relayed:
    """An advisor's message queued for the company (``queued`` False: already relayed)."""

    ref: str
    queued: bool


@dataclass(frozen=True)
class OpenRelay:
    """A relay the company may answer: its request, the desk and the advisor's first name
    (when the advisor allows it)."""

    ref: str
    desk_name: str
    advisor: str | None


def _clipped(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_RELAY_CHARS else text[: MAX_RELAY_CHARS - 1] + "…"


async def relay_to_company(service: LeadService, *, card: str, message: str, actor: str,
                           text: str, channel: str | None,
                           channel_restricted: bool = False) -> Relayed | None:
    """Relay ``text`` (an advisor's reply, ``message`` its Slack ts, under ``card``) to the
    company; ``None`` when ``card`` is no lead's message (an ordinary thread). Raises
    ``AccessDenied`` (not the lead's advisors; audited), ``InputError("relay_erased")``,
    ``InputError("relay_unreachable")`` or ``InputError("relay_empty")``."""
    now = service.clock()
    digest = hashlib.sha256(f"{card}\n{message}".encode()).hexdigest()[:16]
    ref, error = "", None
    try:
        async with service.db.leads.transaction() as tx:
            lead = await tx.by_delivery(notifier=CARD_NOTIFIER, remote_ref=card)
            if lead is None:
                return None
            ref = lead.ref
            error = _refusal(service, lead, actor=actor, channel=channel,
                             restricted=channel_restricted, text=text)
            if isinstance(error, AccessDenied):   # audited, like a refused button
                tx.add_event(lead_id=lead.id, action="action_refused", actor=actor, at=now,
                             detail={"action": "relay_to_company"})
            if error is None:
                advisor = service.desks.first_name(actor)
                item = company_item(lead, kind=MESSAGE, key=f"{lead.ref}:{MESSAGE}:{digest}",
                                    now=now, desk_name=service.desk_name(lead.desk_id),
                                    advisor=advisor, text=_clipped(text))
                if item is None:
                    error = InputError("relay_unreachable")
                else:
                    relay = {"thread": card, "advisor": advisor,
                             "opened_at": now.isoformat()}
                    await tx.update(lead_id=lead.id, changes={
                        "details": {**lead.details, "relay": relay}})
                    tx.add_outbox(items=[item])
                    tx.add_event(lead_id=lead.id, action="relay_to_company", actor=actor,
                                 at=now, detail={"chars": len(text.strip()),
                                                 "via": "slack_thread", "desk": lead.desk_id,
                                                 "message": digest})
    except ConstraintError:      # the same Slack message again (a retry): relayed already
        return Relayed(ref, queued=False)
    if error is not None:
        raise error
    return Relayed(ref, queued=True)


def _refusal(service: LeadService, lead: LeadRecord, *, actor: str, channel: str | None,
             restricted: bool, text: str) -> Exception | None:
    """Why an advisor's reply cannot be relayed, or ``None``."""
    denied = access_error(service, lead, actor=actor, channel=channel, restricted=restricted)
    if denied is not None:
        return denied
    if lead.anonymised_at is not None or lead.user_key is None:
        return InputError("relay_erased")
    if not reachable(lead):
        return InputError("relay_unreachable")
    if not text.strip():
        return InputError("relay_empty")
    return None


async def is_card(service: LeadService, *, card: str) -> bool:
    """Whether ``card`` (a Slack ``channel:ts``) is one of Relocbot's messages about a lead
    (a card, a note or a reply in its thread): a reply under it is for the company."""
    return await service.db.leads.by_delivery(notifier=CARD_NOTIFIER,
                                              remote_ref=card) is not None


def _relay(lead: LeadRecord | None, user_key: str) -> dict[str, Any] | None:
    """The lead's open relay (a card's thread, or the console), if this person may answer."""
    if lead is None or lead.anonymised_at is not None or lead.user_key != user_key:
        return None
    relay = lead.details.get("relay")
    if isinstance(relay, dict) and (relay.get("thread") or relay.get("console")):
        return relay
    return None


def reply_item(lead: LeadRecord, *, thread: str | None, text: str, key: str,
               now: dt.datetime, survey: bool = False) -> NewOutboxItem:
    """The outbox row carrying the company's words to the desk: into ``thread`` (a Slack
    ``channel:ts``) when there is one, else kept for the console (``sent`` at once)."""
    channel, _, thread_ts = (thread or "").partition(":")
    payload: dict[str, Any] = {"ref": lead.ref, "kind": REPLY, "text": _clipped(text),
                               "lang": lead_lang(lead)}
    if survey:
        payload["survey"] = True
    if channel and thread_ts:
        return NewOutboxItem(lead_id=lead.id, kind=REPLY, notifier=CARD_NOTIFIER,
                             target=channel, payload=payload | {"thread_ts": thread_ts},
                             idempotency_key=key, next_attempt_at=now, created_at=now)
    return NewOutboxItem(lead_id=lead.id, kind=REPLY, notifier=CONSOLE_NOTIFIER,
                         target=lead.desk_id, payload=payload, idempotency_key=key,
                         next_attempt_at=now, created_at=now, status="sent")


async def relay_open(service: LeadService, *, ref: str, user_key: str) -> OpenRelay | None:
    """The relay of ``ref`` that ``user_key`` may answer, or ``None`` (not theirs, erased,
    no advisor ever wrote)."""
    async with service.db.leads.transaction() as tx:
        lead = await tx.get(ref=ref)
        relay = _relay(lead, user_key)
    if lead is None or relay is None:
        return None
    advisor = relay.get("advisor")
    return OpenRelay(lead.ref, service.desk_name(lead.desk_id),
                     str(advisor) if advisor else None)


async def reply_to_desk(service: LeadService, *, ref: str, user_key: str, text: str) -> str:
    """Queue the company's ``text`` for the thread of the relay; returns the lead's ref.
    Raises ``InputError("relay_closed")`` when there is no open relay for this person, and
    ``InputError("relay_empty")`` for an empty text."""
    if not text.strip():
        raise InputError("relay_empty")
    now = service.clock()
    async with service.db.leads.transaction() as tx:
        lead = await tx.get(ref=ref)
        relay = _relay(lead, user_key)
        if lead is None or relay is None:
            raise InputError("relay_closed")
        count = await tx.count_events(lead_id=lead.id, action="relay_from_company")
        item = reply_item(lead, thread=relay.get("thread"), text=text, now=now,
                          key=f"{lead.ref}:{REPLY}:{count + 1}")
        tx.add_outbox(items=[item])
        if item.notifier == CONSOLE_NOTIFIER:     # nothing posted: tell the desk to look
            tx.add_outbox(items=answered_items(service, lead, answer=str(count + 1), now=now))
        tx.add_event(lead_id=lead.id, action="relay_from_company", actor=user_key, at=now,
                     detail={"chars": len(text.strip()), "to": "slack_thread"
                             if item.notifier == CARD_NOTIFIER else "console"})
        return lead.ref
