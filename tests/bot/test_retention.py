"""Retention (issue #13, item 8): the worker deletes idle conversation states (abandoned forms
with names, e-mails and phones) after 30 days, the question log and feedback after 90 days,
processed event ids after 7 days, and anonymises leads after 36 months; what is younger stays.
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.notifiers import core_notifiers
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead
from bot.storage.tables import Conversation, Feedback, ProcessedEvent, QuestionLog, utcnow
from bot.worker import run_worker

ANSWERS = {"company": "Ateliers du Nord", "siren": "732829320", "postal_code": "59300",
           "commune": "Valenciennes", "department": "59", "desk": "cci-grand-hainaut",
           "headcount": 40, "size": "PME", "contact_name": "Marie Curie",
           "email": "marie@example.fr"}


def _frozen(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


async def _seed(db: Database, settings: Settings, now: dt.datetime) -> None:
    def ago(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    form = {"lead": {"step": "phone", "answers": {"contact_name": "Marie Curie",
                                                  "email": "marie@example.fr"}}}
    async with db.sessions.begin() as session:
        session.add_all([
            Conversation(key="telegram:1:1", channel="telegram", flow="lead", data=form,
                         updated_at=ago(31)),
            Conversation(key="telegram:2:2", channel="telegram", flow="lead", data=form,
                         updated_at=ago(29)),
            QuestionLog(channel="t", lang="fr", question="old", declined=False, reason="",
                        latency_ms=1.0, created_at=ago(91)),
            QuestionLog(channel="t", lang="fr", question="new", declined=False, reason="",
                        latency_ms=1.0, created_at=ago(89)),
            Feedback(channel="t", rating=1, question="old", sources=[], created_at=ago(91)),
            Feedback(channel="t", rating=1, question="new", sources=[], created_at=ago(89)),
            ProcessedEvent(event_id="telegram:update:1", created_at=ago(8), done_at=ago(8)),
            ProcessedEvent(event_id="telegram:update:2", created_at=ago(6), done_at=ago(6)),
        ])
    for months, user in ((37, "old"), (35, "recent")):
        created = now - dt.timedelta(days=30 * months + 1)
        service = LeadService(db=db, settings=settings, desks=Desks(), catalog=Catalog.load(),
                              desk_names={}, clock=_frozen(created))
        await service.submit({**ANSWERS, "email": f"{user}@example.fr"}, channel="telegram",
                             conversation_key=f"telegram:{user}", user_key=f"telegram:{user}",
                             consent_at=created.isoformat(), consent_version="2026-11")


async def test_the_worker_applies_the_retention_periods(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    assert (settings.retain_conversations_days, settings.retain_questions_days,
            settings.retain_event_ids_days, settings.retain_leads_months) == (30, 90, 7, 36)
    await _seed(db, settings, utcnow())
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(db, settings, stop=stop, interval=0.05,
                                            notifiers=core_notifiers(settings)))
    try:
        for _ in range(400):                       # the first sweep runs at start
            async with db.sessions() as session:
                if await session.get(Conversation, "telegram:1:1") is None:
                    break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await worker
    async with db.sessions() as session:
        conversations = (await session.scalars(select(Conversation.key))).all()
        questions = (await session.scalars(select(QuestionLog.question))).all()
        feedback = (await session.scalars(select(Feedback.question))).all()
        events = (await session.scalars(select(ProcessedEvent.event_id))).all()
        leads = {lead.user_key or "erased": lead for lead in
                 (await session.scalars(select(Lead))).all()}
    assert list(conversations) == ["telegram:2:2"]
    assert (list(questions), list(feedback)) == (["new"], ["new"])
    assert list(events) == ["telegram:update:2"]
    assert leads["telegram:recent"].email == "recent@example.fr"
    erased = leads["erased"]
    assert (erased.email, erased.contact_name, erased.anonymised_at is not None) == (
        None, None, True)
