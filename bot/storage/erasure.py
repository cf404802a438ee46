"""Erasing a person's leads (``/oublier``, ``leads purge``, the retention sweep).

Everything that carries the person's data goes or is anonymised, in the transaction that marks
the lead erased:

- the personal columns (company, SIREN, place, product, origin, name, e-mail, phone), the
  conversation and user keys, the routing rule (it quotes the postal code and commune), the
  submission key (a hash of the answers) and the details that locate the company (nearest
  partners, figures read from the project text);
- in the audit trail, the person's identifier as actor (it becomes ``personne``) and the
  details quoting the rule or the submission;
- the payload of every outbox row (pending deliveries now carry no personal data);
- what was already delivered: one ``erased`` outbox item per Slack card and inbox file (redrawn
  or overwritten without personal data) and per e-mail address and webhook (told to delete
  their copy). A delivery in flight at that moment is followed by its own ``erased`` item
  (``erase_notice``, called when the dispatcher records the delivery);
- the follow-up with the company (``COMPANY_KINDS``: notices and relayed messages to it, its
  replies to the desk): what waits to go out is ``cancelled`` (nothing more is said to or
  for a person who asked to be forgotten), the address of the company's chat is
  scrubbed from every row, and a reply already posted in a card's thread is redrawn as
  erased (its ``erased`` notice says ``erased_kind``); the company's own chat is left alone.
  A reply kept for the advisor console (notifier ``console``) is erased by blanking its row,
  which is all the console reads.

Internal to ``bot.storage`` (it works on ORM rows in an open session): callers go through
``LeadRepository.erase`` / ``purge`` and ``OutboxRepository.mark_sent``.

Usage::

    count = await anonymise(session, leads, actor="telegram:42", action="erased", now=now,
                            payload=service.payload)    # payload(LeadRecord, kind=...) -> dict
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.records import lead_record

__all__ = ["COMPANY_KINDS", "COMPANY_NOTIFIER", "CONSOLE_NOTIFIER", "ERASED_RULE", "PERSON",
           "PERSONAL_FIELDS", "anonymise", "erase_notice"]

PERSONAL_FIELDS = ("company", "siren", "postal_code", "commune", "product", "origin",
                   "contact_name", "email", "phone")
ERASED_RULE = "[effacé]"
PERSON = "personne"                   # the audit trail's name for an erased person
KEPT_DETAILS = ("aids", "score_reasons", "assigned_to")
DROPPED_EVENT_DETAILS = ("rule", "submission")
PER_DELIVERY = ("slack", "inbox")     # one card / one file per delivery; others per target
COMPANY_NOTIFIER = "company"          # to the company, in its own chat (target: its user key)
CONSOLE_NOTIFIER = "console"          # kept for the advisor console: blanking the row erases it
LOCAL = (COMPANY_NOTIFIER, CONSOLE_NOTIFIER)   # nothing elsewhere to follow up
COMPANY_KINDS = ("company_notice", "company_message", "company_reply", "company_survey",
                 "company_answered")
Payload = Callable[..., dict[str, Any]]


def _notice_key(ref: str, item: OutboxItem) -> str:
    where = item.target + ("\n" + (item.remote_ref or "") if item.notifier in PER_DELIVERY
                           else "")
    digest = hashlib.sha256(f"{item.notifier}\n{where}".encode()).hexdigest()[:16]
    return f"{ref}:erased:{item.notifier}:{digest}"


def _notice(lead: Lead, item: OutboxItem, payload: dict[str, Any],
            now: dt.datetime) -> OutboxItem:
    return OutboxItem(
        lead_id=lead.id, kind="erased", notifier=item.notifier, target=item.target,
        payload={**payload, "kind": "erased", "erased_ref": item.remote_ref,
                 "erased_kind": item.kind},
        idempotency_key=_notice_key(lead.ref, item), status="pending", attempts=0,
        next_attempt_at=now, created_at=now, dead=False)


async def erase_notice(session: AsyncSession, item: OutboxItem, *, now: dt.datetime) -> bool:
    """After ``item`` was delivered: if its lead was erased meanwhile (the delivery carried
    the data read before), queue the ``erased`` notice for what it delivered."""
    if item.kind == "erased" or item.notifier in LOCAL or item.lead_id is None:
        return False
    lead = await session.get(Lead, item.lead_id)
    if lead is None or lead.anonymised_at is None:
        return False
    key = _notice_key(lead.ref, item)
    if await session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)):
        return False
    latest = await session.scalar(select(OutboxItem.payload).where(
        OutboxItem.lead_id == lead.id).order_by(OutboxItem.id.desc()).limit(1))
    payload: dict[str, Any] = dict(latest or {})
    session.add(_notice(lead, item, {**payload, "erased": True}, now))
    return True


async def anonymise(session: AsyncSession, leads: Sequence[Lead], *, actor: str, action: str,
                    now: dt.datetime, payload: Payload) -> int:
    """Erase ``leads`` (see the module's docstring); ``payload(record, kind=...)`` renders a
    notification payload from the (now anonymised) lead's ``LeadRecord``. Returns how many
    were erased."""
    for lead in leads:
        # Lock order: the lead's outbox rows, then the lead (a delivery being recorded holds
        # its outbox row, then needs the lead for its audit event's foreign key).
        await session.execute(select(OutboxItem.id).where(OutboxItem.lead_id == lead.id)
                              .with_for_update())
        person = lead.user_key
        for column in PERSONAL_FIELDS:
            setattr(lead, column, None)
        lead.rule = ERASED_RULE
        lead.submission_key = f"erased:{uuid.uuid4().hex}"
        lead.details = {k: v for k, v in (lead.details or {}).items() if k in KEPT_DETAILS}
        lead.conversation_key = lead.user_key = None
        lead.anonymised_at = lead.updated_at = now
        for event in (await session.scalars(select(LeadEvent).where(
                LeadEvent.lead_id == lead.id))).all():
            if person and event.actor == person:
                event.actor = PERSON
            event.detail = {k: v for k, v in (event.detail or {}).items()
                            if k not in DROPPED_EVENT_DETAILS}
        session.add(LeadEvent(lead_id=lead.id, action=action,
                              actor=PERSON if actor == person else actor, detail={}, at=now))
        items = list((await session.scalars(select(OutboxItem).where(
            OutboxItem.lead_id == lead.id).order_by(OutboxItem.id))).all())
        record = lead_record(lead)
        for item in items:
            if item.kind in COMPANY_KINDS:
                _forget_relay(item, lead.ref)
            else:
                item.payload = payload(record, kind=item.kind)
        notices: dict[str, OutboxItem] = {}
        for item in items:
            if item.status == "sent" and item.kind != "erased" and item.notifier not in LOCAL:
                key = _notice_key(lead.ref, item)
                notices.setdefault(key, _notice(lead, item, payload(record, kind="erased"), now))
        session.add_all(notices.values())
    return len(leads)


def _forget_relay(item: OutboxItem, ref: str) -> None:
    """A message to or from the company: its text and address go; waiting, it never will
    be sent. One being sent right now ends as it does; its notifier sees an erased payload
    if it is tried again, and a reply that reached a thread gets its ``erased`` notice
    (``erase_notice``)."""
    item.payload = {"ref": ref, "kind": item.kind, "erased": True}
    if item.notifier == COMPANY_NOTIFIER:
        item.target = ERASED_RULE
    if item.status == "pending":
        item.status, item.last_error = "cancelled", "erased"
