"""The satisfaction survey: some days after a lead is closed, its company is asked whether an
advisor contacted it and whether that was useful, and may leave a comment for the advisor.

- :func:`run_surveys` (the worker's schedule): every live lead closed (``CLOSED``) and unchanged
  for ``settings.satisfaction_days`` days is marked ``surveyed_at`` (a conditional UPDATE: two
  workers ask once) and gets one ``company_survey`` for its company (``bot.leads.company``;
  idempotency key ``<ref>:company_survey``), with the audit event ``survey_sent`` (or
  ``survey_skipped`` when the company cannot be reached). Erased leads are never asked.
- :func:`record_answer`: a button press (``bot.actions.survey_answer``) from the lead's own
  person, once per question: the audit event ``survey_contacted`` / ``survey_useful`` with
  ``{"answer": "yes"|"no"}``.
- :func:`record_comment`: the optional comment (``bot.flows.survey``), audited by its length
  only (``survey_comment``); the words go to the advisor in the thread of the lead's Slack card
  (a ``company_reply`` with ``survey: true``), or, for a lead without a card, are kept for the
  console's lead page (``bot.leads.relay.reply_item``; the desk's e-mail, webhook and inbox
  targets told, without the words: ``bot.leads.answered``); erased with the rest on ``/oublier``.

Usage::

    done = await run_surveys(db, settings=settings, now=utcnow())        # leads asked
    step = await record_answer(service, ref=ref, user_key="telegram:42",
                               question="contacted", yes=True)          # "useful" next
    await record_comment(service, ref=ref, user_key="telegram:42", text="Merci !")
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.errors import InputError
from bot.leads.answered import answered_items
from bot.leads.company import SURVEY, company_item
from bot.leads.relay import CARD_NOTIFIER, reply_item
from bot.leads.service import LeadService
from bot.leads.states import CLOSED
from bot.settings import Settings
from bot.storage import ConstraintError, Database, LeadRecord

__all__ = ["ACTOR", "ANSWER_EVENTS", "QUESTIONS", "record_answer", "record_comment",
           "run_surveys", "survey_key"]

log = logging.getLogger(__name__)
ACTOR = "survey"
QUESTIONS = ("contacted", "useful")          # in the order they are asked
ANSWER_EVENTS = {q: f"survey_{q}" for q in QUESTIONS}


def survey_key(lead: LeadRecord) -> str:
    """The idempotency key of a lead's survey: one per lead, ever."""
    return f"{lead.ref}:{SURVEY}"


async def run_surveys(db: Database, *, settings: Settings, now: dt.datetime) -> int:
    """Queue the survey of every lead closed ``satisfaction_days`` ago; how many were asked."""
    if settings.satisfaction_days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=settings.satisfaction_days)
    asked = 0
    for lead_id in await db.leads.due_surveys(statuses=CLOSED, cutoff=cutoff):
        try:
            async with db.leads.transaction() as tx:
                lead = await tx.mark_surveyed(lead_id=lead_id, now=now)
                if lead is None or lead.anonymised_at is not None:
                    continue
                item = company_item(lead, kind=SURVEY, key=survey_key(lead), now=now,
                                    desk_name=None)
                if item is not None:
                    tx.add_outbox(items=[item])
                tx.add_event(lead_id=lead.id, action="survey_sent" if item else "survey_skipped",
                             actor=ACTOR, at=now, detail={"status": lead.status,
                                                          "desk_id": lead.desk_id})
        except ConstraintError:      # queued by another worker meanwhile
            continue
        if item is not None:
            asked += 1
            log.info("lead %s: satisfaction survey queued", lead.ref)
    return asked


async def _open(service: LeadService, ref: str, user_key: str) -> LeadRecord:
    """The lead whose survey ``user_key`` may answer: theirs, asked, closed, not erased."""
    async with service.db.leads.transaction() as tx:
        lead = await tx.get(ref=ref)
    if (lead is None or lead.user_key != user_key or lead.anonymised_at is not None
            or lead.surveyed_at is None or lead.status not in CLOSED):
        raise InputError("survey_closed")
    return lead


async def record_answer(service: LeadService, *, ref: str, user_key: str, question: str,
                        yes: bool) -> str | None:
    """Store the answer (the first one per question counts); the next question, or ``None``
    when both are answered. Raises ``InputError("survey_closed")``."""
    if question not in QUESTIONS:
        raise InputError("survey_closed")
    lead = await _open(service, ref, user_key)
    action = ANSWER_EVENTS[question]
    async with service.db.leads.transaction() as tx:
        if not await tx.count_events(lead_id=lead.id, action=action):
            tx.add_event(lead_id=lead.id, action=action, actor=user_key, at=service.clock(),
                         detail={"answer": "yes" if yes else "no", "desk_id": lead.desk_id})
    later = QUESTIONS[QUESTIONS.index(question) + 1:]
    return later[0] if later else None


async def record_comment(service: LeadService, *, ref: str, user_key: str, text: str) -> bool:
    """Store the company's comment (once) and pass it on to the thread of the lead's Slack
    card (else to the console); whether it went to a thread. Raises
    ``InputError("survey_closed")`` (not theirs, erased, already commented) or
    ``InputError("survey_empty")``."""
    text = text.strip()
    if not text:
        raise InputError("survey_empty")
    lead = await _open(service, ref, user_key)
    now = service.clock()
    async with service.db.leads.transaction() as tx:
        if await tx.count_events(lead_id=lead.id, action="survey_comment"):
            raise InputError("survey_closed")
        card = await tx.card_ref(lead_id=lead.id, notifier=CARD_NOTIFIER)
        item = reply_item(lead, thread=card, text=text, now=now, survey=True,
                          key=f"{lead.ref}:{SURVEY}:comment")
        tx.add_outbox(items=[item])
        if not card:                              # kept for the console: tell the desk
            tx.add_outbox(items=answered_items(service, lead, answer="comment", now=now))
        tx.add_event(lead_id=lead.id, action="survey_comment", actor=user_key, at=now,
                     detail={"chars": len(text), "desk_id": lead.desk_id,
                             "to": "slack_thread" if item.notifier == CARD_NOTIFIER
                             else "console"})
    return bool(card)
