"""The reminder schedule (``bot.leads.schedule``) with an injected clock: 3, 9, 21 and 45
working days, each step once, even with two workers; and French working days."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.i18n import Catalog
from bot.leads.actions import apply_action
from bot.leads.company import company_text
from bot.leads.desks import Desk, Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery, core_notifiers
from bot.leads.schedule import REGIONAL_DESK, run_schedule, schedule_days
from bot.leads.service import LeadService
from bot.leads.states import ABANDONED, NEW
from bot.leads.workdays import easter, is_working_day, working_cutoff
from bot.settings import Settings
from bot.storage import Database

HAINAUT = "cci-grand-hainaut"
DESKS = Desks(desks={HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0HAINAUT"]),
                     REGIONAL_DESK: Desk(webhooks=["https://crm.region.example/hook"])})
MONDAY = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)      # 09:00 in Paris
# 3, 9, 21 and 45 working days later, 09:00 in Paris (summer time from 29 March; Easter
# Monday 6 April and 1 May are holidays).
DAY_3 = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
DAY_9 = dt.datetime(2026, 3, 13, 8, 0, tzinfo=dt.UTC)
DAY_21 = dt.datetime(2026, 3, 31, 7, 0, tzinfo=dt.UTC)
DAY_45 = dt.datetime(2026, 5, 6, 7, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr"}


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None)


async def submit(db: Database, tmp_path: Path, catalog: Catalog, *, user: str = "1",
                 at: dt.datetime = MONDAY, desks: Desks = DESKS) -> tuple[LeadService, str]:
    service = LeadService(db=db, settings=settings_for(tmp_path), desks=desks, catalog=catalog,
                          desk_names={}, clock=lambda: at)
    result = await service.submit({**ANSWERS, "company": f"Ateliers {user}"},
                                  channel="telegram", conversation_key=f"telegram:{user}:{user}",
                                  user_key=f"telegram:{user}", consent_at=at.isoformat(),
                                  consent_version="2026-11")
    return service, result.ref


async def run(db: Database, tmp_path: Path, now: dt.datetime) -> dict[str, int]:
    done = await run_schedule(db, desks=DESKS, settings=settings_for(tmp_path), now=now)
    return {step: n for step, n in done.items() if n}


def test_working_days() -> None:
    assert easter(2026) == dt.date(2026, 4, 5)
    assert easter(2027) == dt.date(2027, 3, 28)
    assert not is_working_day(dt.date(2026, 4, 6))         # Easter Monday
    assert not is_working_day(dt.date(2027, 5, 6))         # Ascension 2027
    assert not is_working_day(dt.date(2026, 3, 7))         # a Saturday
    assert is_working_day(dt.date(2026, 3, 9))
    assert working_cutoff(DAY_3, 3) == MONDAY
    assert working_cutoff(DAY_45, 45) == MONDAY
    # A weekend stops the clock at Friday's end: on Saturday, 3 working days go back to
    # Wednesday 00:00 in Paris.
    saturday = dt.datetime(2026, 3, 7, 11, 0, tzinfo=dt.UTC)
    assert working_cutoff(saturday, 3) == dt.datetime(2026, 3, 3, 23, 0, tzinfo=dt.UTC)


def test_days_must_increase(tmp_path: Path) -> None:
    assert schedule_days(settings_for(tmp_path)) == (3, 9, 21, 45)
    with pytest.raises(ConfigError):
        schedule_days(Settings(data_dir=tmp_path, lead_regional_days=2, _env_file=None))


async def test_each_step_happens_once_on_its_working_day(db: Database, tmp_path: Path,
                                                         catalog: Catalog) -> None:
    _, ref = await submit(db, tmp_path, catalog)
    assert await run(db, tmp_path, DAY_3 - MINUTE) == {}
    assert await run(db, tmp_path, DAY_3) == {"remind": 1}
    assert await run(db, tmp_path, DAY_3 + MINUTE) == {}
    assert await run(db, tmp_path, DAY_9 - MINUTE) == {}
    assert await run(db, tmp_path, DAY_9) == {"regional": 1}
    assert await run(db, tmp_path, DAY_21 - MINUTE) == {}
    assert await run(db, tmp_path, DAY_21) == {"escalate": 1}
    assert await run(db, tmp_path, DAY_45 - MINUTE) == {}
    assert await run(db, tmp_path, DAY_45) == {"abandon": 1}
    assert await run(db, tmp_path, DAY_45 + dt.timedelta(days=90)) == {}
    history = await db.leads.history(ref=ref)
    assert history is not None
    lead = history.lead
    assert (lead.status, lead.desk_id, lead.reminder_step) == (ABANDONED, REGIONAL_DESK, 4)
    assert lead.escalated_at is not None
    assert [(d.kind, d.notifier) for d in history.deliveries] == [
        ("new", "slack"), ("reminder", "slack"), ("reminder", "slack"),
        ("escalation", "webhook"), ("escalation", "webhook"),
        ("abandoned", "slack"), ("abandoned", "webhook"),     # every desk that saw it is told
        ("company_notice", "company")]
    assert [d.target for d in history.deliveries if d.kind == "abandoned"] == [
        "C0HAINAUT", "https://crm.region.example/hook"]
    notice = history.deliveries[-1]
    assert notice.target == "telegram:1"
    assert notice.payload | {"notice": ABANDONED, "lang": "fr", "kind": "company_notice",
                             "email": "marie@example.fr"} == notice.payload
    assert len({d.idempotency_key for d in history.deliveries}) == 8
    steps = [(e.action, e.actor, e.detail.get("step")) for e in history.events[1:]]
    assert steps == [("reminded", "schedule", "remind"), ("reminded", "schedule", "regional"),
                     ("escalated", "schedule", "escalate"),
                     ("transition", "schedule", "abandon")]
    assert history.events[-1].detail | {"from": NEW, "to": ABANDONED} == history.events[-1].detail


async def test_a_late_scan_does_only_the_latest_step_and_taken_leads_rest(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    _, late = await submit(db, tmp_path, catalog, user="2")
    service, taken = await submit(db, tmp_path, catalog, user="3")
    await apply_action(service, ref=taken, action="lead_claim", actor="U0HAINAUT")
    assert await run(db, tmp_path, DAY_21 + dt.timedelta(days=1)) == {"escalate": 1}
    for ref, kinds in ((late, ["new", "escalation"]), (taken, ["new", "company_notice"])):
        history = await db.leads.history(ref=ref)
        assert history is not None
        assert [d.kind for d in history.deliveries] == kinds


async def test_a_rerouted_lead_starts_again(db: Database, tmp_path: Path,
                                            catalog: Catalog) -> None:
    service, ref = await submit(db, tmp_path, catalog)
    assert await run(db, tmp_path, DAY_3) == {"remind": 1}
    service.clock = lambda: DAY_3 + dt.timedelta(hours=1)
    await apply_action(service, ref=ref, action="lead_refuse_territory", actor="U0HAINAUT")
    tuesday = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)   # 3 working days at the region
    assert await run(db, tmp_path, tuesday - MINUTE) == {}
    assert await run(db, tmp_path, tuesday) == {"remind": 1}
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert history.deliveries[-1].kind == "reminder"
    assert history.deliveries[-1].target == "https://crm.region.example/hook"


async def test_two_workers_do_each_step_once(db: Database, tmp_path: Path,
                                             catalog: Catalog) -> None:
    refs = [(await submit(db, tmp_path, catalog, user=str(i)))[1] for i in range(10, 15)]
    other = Database(db.url)
    try:
        counts = await asyncio.gather(
            run_schedule(db, desks=DESKS, settings=settings_for(tmp_path), now=DAY_3),
            run_schedule(other, desks=DESKS, settings=settings_for(tmp_path), now=DAY_3))
    finally:
        await other.close()
    assert sum(c["remind"] for c in counts) == 5
    for ref in refs:
        history = await db.leads.history(ref=ref)
        assert history is not None
        assert [d.kind for d in history.deliveries].count("reminder") == 1


async def test_default_desks_get_rendered_reminders_in_the_inbox(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    await submit(db, tmp_path, catalog, desks=Desks())
    done = await run_schedule(db, desks=Desks(), settings=settings_for(tmp_path), now=DAY_9)
    assert done["regional"] == 1
    settings = settings_for(tmp_path)
    dispatcher = Dispatcher(db, core_notifiers(settings, catalog=catalog), max_attempts=3,
                            backoff_seconds=1, clock=lambda: DAY_9)
    report = await dispatcher.run_once()
    assert report.sent == 3          # the first card, the reminder, the region's escalation
    texts = [f.read_text(encoding="utf-8") for f in settings.inbox_dir.glob("*.json")]
    assert any("Rappel" in text for text in texts)
    assert any("Escalade" in text for text in texts)


async def test_an_abandonment_is_told_to_the_desk_and_to_the_company(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    _, ref = await submit(db, tmp_path, catalog, desks=Desks())
    told: list[Delivery] = []

    class Company:
        name = "company"

        async def send(self, *, item: Delivery) -> str | None:
            told.append(item)
            return "telegram:1:1"

    settings = settings_for(tmp_path)
    notifiers = {**core_notifiers(settings, catalog=catalog), "company": Company()}
    dispatcher = Dispatcher(db, notifiers, max_attempts=1, backoff_seconds=1,
                            clock=lambda: DAY_45)
    await dispatcher.run_once()                        # the card, in the inbox
    done = await run_schedule(db, desks=Desks(), settings=settings, now=DAY_45)
    assert done["abandon"] == 1                        # 45 working days late: straight there
    assert (await dispatcher.run_once()).sent == 2
    [abandoned] = [json.loads(f.read_text(encoding="utf-8"))
                   for f in settings.inbox_dir.glob("*.json") if ":abandoned4:" in f.read_text()]
    assert abandoned["subject"].startswith("[Relocbot] Abandon")
    assert "45 jours ouvrés" in abandoned["text"]
    [notice] = told
    text = company_text(notice.payload, catalog=catalog)
    assert text.paragraphs[0].startswith(f"Nous sommes désolés : aucun conseiller n'a pu "
                                         f"prendre en charge votre demande {ref}")
    assert "quelle CCI pour" in text.paragraphs[1]      # another way in
    assert (await dispatcher.run_once()).total == 0
