"""Leads and the people behind them (issue #13): a stranger cannot overwrite or see a
company's request (item 1); /oublier leaves nothing personal in any table, file or Slack card
(item 4), even for a delivery in flight; a person who erased can ask again (item 5); every
answer the form accepts fits its column, on PostgreSQL too (item 7). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from adapters.notifiers import build_notifiers
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery, InboxNotifier
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.limits import form_max_chars
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.slack_api import FakeSlackAPI

DESK_CHANNEL = "C0DESK"
TABLES = ("leads", "lead_events", "outbox", "conversations", "question_log", "feedback",
          "processed_events")


class Person:
    def __init__(self, user: str, *, name: str, email: str, phone: str,
                 company: str = "Ateliers du Nord", siren: str = "732 829 320",
                 place: str = "Valenciennes") -> None:
        self.user, self.name, self.email, self.phone = user, name, email, phone
        self.company, self.siren, self.place = company, siren, place

    def say(self, value: str) -> Incoming:
        return Incoming(channel="terminal", conversation_key=f"terminal:{self.user}",
                        user_id=self.user, text=value)

    def press(self, action: str) -> Incoming:
        return Incoming(channel="terminal", conversation_key=f"terminal:{self.user}",
                        user_id=self.user, action=action, kind="action")

    async def submit(self, bot: Assistant) -> list[Reply]:
        await bot.handle(self.say("/conseiller"))
        await bot.handle(self.press("lf:consent:yes"))
        for answer in (self.company, self.siren, self.place, "40 salariés", "textile",
                       "Confection de chemises en lin, 20 emplois", "Chine"):
            await bot.handle(self.say(answer))
        await bot.handle(self.press("lf:choice:pret"))
        await bot.handle(self.press("lf:choice:moins-6-mois"))
        for answer in (self.name, self.email, self.phone):
            await bot.handle(self.say(answer))
        return await bot.handle(self.press("lf:confirm"))


MARIE = Person("pers42", name="Marie Curie", email="marie.curie@example.fr",
               phone="06 12 34 56 78")
INTRUDER = Person("intrus7", name="Ivan Trus", email="ivan@intrus.example", phone="07 98 76 54 32")


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


def settings_for(tmp_path: Path, fake: FakeSlackAPI) -> Settings:
    desks = tmp_path / "desks.yaml"
    desks.write_text(f"desks:\n  cci-grand-hainaut:\n    slack_channel: {DESK_CHANNEL}\n"
                     f"    advisors: [U0ADVISOR]\n    inbox: true\n", encoding="utf-8")
    return Settings(data_dir=tmp_path, rate_limit_per_minute=1000,
                    desks_file=desks, slack_bot_token="xoxb-test",
                    slack_api_base_url=fake.base_url, _env_file=None)


async def dump(db: Database) -> str:
    """Every row of every table, as text."""
    out = []
    async with db.engine.connect() as conn:
        for table in TABLES:
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                out.append(f"{table}: {tuple(row)}")
    return "\n".join(out)


def traces(person: Person) -> list[str]:
    digits = person.phone.replace(" ", "")
    return [person.name, person.email, person.phone, digits, "+33" + digits[1:],
            person.siren, person.siren.replace(" ", ""), person.place, "59300",
            person.company, "chemises en lin", f"terminal:{person.user}"]


async def test_a_stranger_with_the_same_siren_gets_a_new_lead_flagged_for_the_advisor(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog,
                          settings=settings_for(tmp_path, fake_slack))
    first = joined(await MARIE.submit(bot))
    async with db.sessions() as session:
        [marie_lead] = (await session.scalars(select(Lead))).all()
    assert marie_lead.ref in first
    stranger = joined(await INTRUDER.submit(bot))
    told_updated = catalog.t("lead_updated", "fr", ref="{}", desk="{}").split("{}")[1]
    assert told_updated not in stranger                                 # "... a été mise à jour"
    assert marie_lead.ref not in stranger
    assert MARIE.email not in stranger
    async with db.sessions() as session:
        leads = {lead.user_key: lead for lead in (await session.scalars(select(Lead))).all()}
        ivan = leads["terminal:intrus7"]
        assert ivan.ref in stranger                                    # their own request
        marie = leads["terminal:pers42"]                               # untouched
        assert (marie.company, marie.email, marie.phone, marie.contact_name) == (
            "Ateliers du Nord", MARIE.email, "+33612345678", MARIE.name)
        assert ivan.details["possible_duplicate_of"] == marie.ref
        [card] = (await session.scalars(select(OutboxItem).where(
            OutboxItem.lead_id == ivan.id, OutboxItem.notifier == "inbox"))).all()
        assert card.payload["possible_duplicate_of"] == marie.ref
    await Dispatcher(db, build_notifiers(bot.leads.settings), max_attempts=1,
                     backoff_seconds=1).run_once()
    [inbox_card] = [json.loads(p.read_text()) for p in (tmp_path / "inbox").glob("*.json")
                    if ivan.ref in p.name]
    assert catalog.t("notify_possible_duplicate", "fr", ref=marie.ref) in inbox_card["text"]
    forgotten = joined(await bot.handle(INTRUDER.say("/oublier")))
    assert catalog.t("forgotten_leads", "fr", count=1) in forgotten   # their lead only
    async with db.sessions() as session:
        again = (await session.scalars(select(Lead).where(Lead.ref == marie.ref))).one()
    assert (again.email, again.anonymised_at) == (MARIE.email, None)


async def test_forget_leaves_no_personal_data_in_any_table_file_or_slack_card(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    settings = settings_for(tmp_path, fake_slack)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    await bot.handle(MARIE.say(f"Je m'appelle {MARIE.name}, {MARIE.email} : quelles aides ?"))
    await bot.handle(Incoming(channel="terminal", conversation_key="terminal:-100:pers42",
                              user_id="pers42", text="/aide", private=False))   # a group
    await MARIE.submit(bot)
    dispatcher = Dispatcher(db, build_notifiers(settings), max_attempts=1, backoff_seconds=1)
    assert (await dispatcher.run_once()).sent == 2                     # Slack card + inbox
    assert MARIE.email in str(fake_slack.messages())
    await bot.handle(MARIE.say("/oublier"))
    assert (await dispatcher.run_once()).sent == 2                     # both erased there
    stored = await dump(db)
    files = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "inbox").glob("*"))
    cards = json.dumps(list(fake_slack.messages().values()), ensure_ascii=False)
    for trace in traces(MARIE):
        assert trace not in stored, trace
        assert trace not in files, trace
        assert trace not in cards, trace
    assert catalog.t("notify_erased_note", "fr") in cards
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        assert (lead.department, lead.size, lead.tier) == ("59", "PME", "chaud")  # statistics
        actions = [e.action for e in (await session.scalars(select(LeadEvent))).all()]
    assert "erased" in actions


async def test_an_erasure_during_a_delivery_in_flight_is_carried_to_that_delivery(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    settings = settings_for(tmp_path, fake_slack)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    await MARIE.submit(bot)

    class ErasedMeanwhile(InboxNotifier):
        """The inbox, while the person says /oublier between the read and the write."""

        async def send(self, *, item: Delivery) -> str | None:
            if item.kind != "erased":
                await bot.handle(MARIE.say("/oublier"))
            return await super().send(item=item)

    notifiers: dict[str, Any] = {"inbox": ErasedMeanwhile(catalog=catalog),
                                 "slack": build_notifiers(settings)["slack"]}
    dispatcher = Dispatcher(db, notifiers, max_attempts=1, backoff_seconds=1)
    await dispatcher.run_once()
    await dispatcher.run_once()                                         # the erased notices
    files = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "inbox").glob("*"))
    cards = json.dumps(list(fake_slack.messages().values()), ensure_ascii=False)
    for trace in traces(MARIE):
        assert trace not in files, trace
        assert trace not in cards, trace


async def test_a_person_who_erased_can_ask_again(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog,
                          settings=settings_for(tmp_path, fake_slack))
    await MARIE.submit(bot)
    await bot.handle(MARIE.say("/oublier"))
    again = joined(await MARIE.submit(bot))                             # the very same answers
    async with db.sessions() as session:
        live = (await session.scalars(select(Lead).where(Lead.anonymised_at.is_(None)))).all()
        assert len(live) == 1
        assert live[0].email == MARIE.email
        assert live[0].ref in again
        new_items = (await session.scalars(select(OutboxItem).where(
            OutboxItem.lead_id == live[0].id, OutboxItem.kind == "new"))).all()
    assert catalog.t("lead_done", "fr", ref=live[0].ref, desk="CCI Grand Hainaut",
                     days=2).split(";")[0] in again
    assert len(new_items) == 2                                         # the CCI is told


def longest(field: str, word: str, extra: int = 0) -> str:
    """An answer of exactly the longest length the form accepts for ``field`` (+ ``extra``)."""
    size = form_max_chars(field) + extra
    return (f"{word} " * size)[:size - 1] + "x"


async def test_the_longest_answers_the_form_accepts_are_stored_whole(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog,
                          settings=settings_for(tmp_path, fake_slack))
    too_long = catalog.t("lead_text_too_long", "fr")
    answers = {"company": longest("company", "Ateliers"), "sector": longest("sector", "textile"),
               "product": longest("product", "chemises"), "origin": longest("origin", "Chine"),
               "contact_name": longest("contact_name", "Marie")}
    await bot.handle(MARIE.say("/conseiller"))
    await bot.handle(MARIE.press("lf:consent:yes"))

    async def answer(field: str) -> None:
        refused = joined(await bot.handle(MARIE.say(longest(field, "mot", extra=1))))
        assert too_long in refused, field                      # one more character: refused
        assert too_long not in joined(await bot.handle(MARIE.say(answers[field]))), field

    await answer("company")
    await bot.handle(MARIE.say("732 829 320"))
    await bot.handle(MARIE.say("Valenciennes"))
    await bot.handle(MARIE.say("40"))
    await answer("sector")
    await answer("product")
    await answer("origin")
    await bot.handle(MARIE.press("lf:choice:pret"))
    await bot.handle(MARIE.press("lf:choice:moins-6-mois"))
    await answer("contact_name")
    await bot.handle(MARIE.say(MARIE.email))
    summary = await bot.handle(MARIE.say(MARIE.phone))
    assert catalog.t("lead_summary_title", "fr") in joined(summary)
    done = joined(await bot.handle(MARIE.press("lf:confirm")))
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
    assert lead.ref in done
    assert {f: getattr(lead, f) for f in answers} == answers
