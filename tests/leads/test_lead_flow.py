"""The lead form through the Assistant (terminal channel), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

ANSWERS = ["Ateliers du Nord", "732 829 320", "Valenciennes", "40 salariés", "textile",
           "Confection de chemises en lin, 20 emplois", "Chine"]


def make(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path) -> Assistant:
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=1000, _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)


@pytest.fixture
async def bot(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path) -> Assistant:
    return make(kb, db, catalog, tmp_path)


def say(value: str, user: str = "u") -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:{user}", user_id=user,
                    text=value)


def press(action: str, user: str = "u", event: str | None = None) -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:{user}", user_id=user,
                    action=action, kind="action", event_id=event)


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def fill(bot: Assistant, *, user: str = "u", answers: list[str] = ANSWERS) -> list[Reply]:
    await bot.handle(say("/conseiller", user))
    await bot.handle(press("lf:consent:yes", user))
    for answer in answers:
        await bot.handle(say(answer, user))
    await bot.handle(press("lf:choice:pret", user))
    await bot.handle(press("lf:choice:moins-6-mois", user))
    await bot.handle(say("Marie Curie", user))
    await bot.handle(say("marie@example.fr", user))
    return await bot.handle(say("06 12 34 56 78", user))


async def count(db: Database, model: type) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_happy_path_stores_lead_event_and_outbox_in_one_go(
    bot: Assistant, db: Database, catalog: Catalog
) -> None:
    summary = await fill(bot)
    text = joined(summary)
    assert catalog.t("lead_summary_title", "fr") in text
    assert "SIREN : 732829320" in text
    assert "Téléphone : +33612345678" in text
    assert "CCI : CCI Grand Hainaut" in text
    done = await bot.handle(press("lf:confirm"))
    assert "REL-" in joined(done)
    assert "CCI Grand Hainaut" in joined(done)
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        assert (lead.desk_id, lead.company, lead.siren, lead.email, lead.tier) == (
            "cci-grand-hainaut", "Ateliers du Nord", "732829320", "marie@example.fr", "chaud")
        assert lead.consent_at is not None
        assert lead.consent_version
        assert "Valenciennes" in lead.rule
        assert lead.details["aids"]
        assert lead.details["score_reasons"]
        events = (await session.scalars(select(LeadEvent))).all()
        assert [e.action for e in events] == ["created"]
        [item] = (await session.scalars(select(OutboxItem))).all()
        assert item.notifier == "inbox"
        assert item.status == "pending"
        assert item.payload["ref"] == lead.ref
        assert item.payload["email"] == "marie@example.fr"
    state = await db.load_state("terminal:u", channel="terminal")
    assert state.flow is None
    assert "lead" not in state.data


async def test_consent_refused_stores_nothing(bot: Assistant, db: Database,
                                              catalog: Catalog) -> None:
    await bot.handle(say("/conseiller"))
    replies = await bot.handle(press("lf:consent:no"))
    assert joined(replies) == catalog.t("lead_consent_refused", "fr")
    assert await count(db, Lead) == 0
    state = await db.load_state("terminal:u", channel="terminal")
    assert "lead" not in state.data
    assert state.flow is None


async def test_invalid_answers_are_explained_and_asked_again(bot: Assistant,
                                                             catalog: Catalog) -> None:
    await bot.handle(say("/conseiller"))
    await bot.handle(press("lf:consent:yes"))
    await bot.handle(say("Ateliers du Nord"))
    bad = await bot.handle(say("123456789"))
    assert catalog.t("lead_invalid_siren", "fr") in joined(bad)
    assert catalog.t("lead_q_siren", "fr") in joined(bad)
    await bot.handle(press("lf:skip"))                                 # optional
    place = await bot.handle(say("Trifouilly-les-Oies"))
    assert catalog.t("lead_invalid_place", "fr") in joined(place)
    desk = await bot.handle(say("62500"))                              # Saint-Omer: choose
    assert catalog.t("lead_q_desk", "fr") in joined(desk)
    assert await bot.handle(press("lf:choice:cci-oise"))               # not a candidate
    await bot.handle(press("lf:choice:cci-artois"))
    headcount = await bot.handle(say("beaucoup"))
    assert catalog.t("lead_invalid_headcount", "fr") in joined(headcount)
    not_optional = await bot.handle(press("lf:skip"))
    assert catalog.t("lead_not_optional", "fr") in joined(not_optional)
    for answer in ("12", "", "Des cartables", ""):
        await bot.handle(say(answer) if answer else press("lf:skip"))
    await bot.handle(press("lf:choice:idee"))
    await bot.handle(press("lf:choice:inconnu"))
    await bot.handle(say("Jean"))
    assert catalog.t("lead_invalid_email", "fr") in joined(await bot.handle(say("jean@")))
    await bot.handle(press("lf:skip"))
    assert catalog.t("lead_invalid_phone", "fr") in joined(await bot.handle(say("12")))
    need = await bot.handle(press("lf:skip"))                          # neither e-mail nor phone
    assert catalog.t("lead_need_contact", "fr") in joined(need)
    summary = await bot.handle(say("jean@example.org"))
    assert catalog.t("lead_summary_title", "fr") in joined(summary)
    assert "CCI : CCI Artois" in joined(summary)


async def test_back_and_correct(bot: Assistant, db: Database, catalog: Catalog) -> None:
    await bot.handle(say("/conseiller"))
    await bot.handle(press("lf:consent:yes"))
    await bot.handle(say("Mauvais nom"))
    back = await bot.handle(press("lf:back"))
    assert catalog.t("lead_q_company", "fr") in joined(back)
    await bot.handle(say("Bon nom"))
    state = await db.load_state("terminal:u", channel="terminal")
    assert state.data["lead"]["answers"]["company"] == "Bon nom"
    await fill(bot, user="v")
    fields = await bot.handle(press("lf:correct", user="v"))
    assert "lf:edit:email" in [b.action for r in fields for b in r.buttons]
    await bot.handle(press("lf:edit:email", user="v"))
    summary = await bot.handle(say("autre@example.fr", user="v"))
    assert "E-mail : autre@example.fr" in joined(summary)


async def test_cancel_erases_the_answers(bot: Assistant, db: Database, catalog: Catalog) -> None:
    await bot.handle(say("/conseiller"))
    await bot.handle(press("lf:consent:yes"))
    await bot.handle(say("Ateliers du Nord"))
    assert joined(await bot.handle(say("/annuler"))) == catalog.t("lead_cancelled", "fr")
    state = await db.load_state("terminal:u", channel="terminal")
    assert "lead" not in state.data
    assert state.flow is None


async def test_resume_after_a_restart(kb: KnowledgeBase, db: Database, catalog: Catalog,
                                      tmp_path: Path) -> None:
    first = make(kb, db, catalog, tmp_path)
    await first.handle(say("/conseiller"))
    await first.handle(press("lf:consent:yes"))
    await first.handle(say("Ateliers du Nord"))
    restarted = make(kb, db, catalog, tmp_path)            # new process, same database
    resumed = await restarted.handle(press("menu:advisor"))
    assert catalog.t("lead_q_siren", "fr") in joined(resumed)
    await restarted.handle(press("lf:skip"))
    state = await db.load_state("terminal:u", channel="terminal")
    assert state.data["lead"]["answers"]["company"] == "Ateliers du Nord"


async def test_double_tap_on_confirm_gives_one_lead(bot: Assistant, db: Database) -> None:
    await fill(bot)
    first = await bot.handle(press("lf:confirm", event="tap-1"))
    again = await bot.handle(press("lf:confirm", event="tap-2"))     # second tap: flow is over
    retry = await bot.handle(press("lf:confirm", event="tap-1"))     # channel retry: deduped
    assert "REL-" in joined(first)
    assert "REL-" not in joined(again)
    assert retry == []
    assert await count(db, Lead) == 1


async def test_same_siren_within_30_days_updates_the_lead(bot: Assistant, db: Database,
                                                          catalog: Catalog) -> None:
    """The same person again (across people: tests/leads/test_lead_privacy.py)."""
    await fill(bot)
    await bot.handle(press("lf:confirm"))
    await fill(bot)
    updated = await bot.handle(press("lf:confirm"))
    assert catalog.t("lead_updated", "fr").split("{")[0][:12] in joined(updated)
    assert await count(db, Lead) == 1
    async with db.sessions() as session:
        kinds = [i.kind for i in (await session.scalars(select(OutboxItem))).all()]
        actions = [e.action for e in (await session.scalars(select(LeadEvent))).all()]
    assert kinds == ["new", "update"]
    assert actions == ["created", "updated"]


async def test_forget_erases_personal_data_of_sent_leads(bot: Assistant, db: Database,
                                                         catalog: Catalog) -> None:
    await fill(bot)
    await bot.handle(press("lf:confirm"))
    replies = await bot.handle(say("/oublier"))
    assert catalog.t("forgotten_leads", "fr", count=1) in joined(replies)
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        assert lead.anonymised_at is not None
        assert (lead.company, lead.siren, lead.email, lead.phone, lead.contact_name) == (
            None, None, None, None, None)
        assert (lead.department, lead.size, lead.tier) == ("59", "PME", "chaud")
        [item] = (await session.scalars(select(OutboxItem))).all()
        assert item.payload["email"] is None
        assert item.payload["company"] is None
        assert "erased" in [e.action for e in (await session.scalars(select(LeadEvent))).all()]


async def test_finder_profile_prefills_the_form(bot: Assistant, db: Database,
                                                catalog: Catalog) -> None:
    await bot.handle(press("menu:aid"))
    await bot.handle(say("PME de 40 salariés à Valenciennes qui veut relocaliser du textile"))
    await bot.handle(press("menu:advisor"))
    await bot.handle(press("lf:consent:yes"))
    await bot.handle(say("Ateliers du Nord"))
    after_siren = await bot.handle(press("lf:skip"))
    # place and headcount are known from the finder: the next question is the product
    assert catalog.t("lead_q_product", "fr") in joined(after_siren)
    state = await db.load_state("terminal:u", channel="terminal")
    assert state.data["lead"]["answers"]["desk"] == "cci-grand-hainaut"
