"""The relay between an advisor and the company (``bot.leads.relay``, ``bot.flows.relay``): an
advisor's reply under a lead card is queued for the company once, audited without its text;
the company answers after pressing "Répondre", into the card's thread; strangers, other
people and erased leads get nothing through; /oublier stops it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant
from bot.errors import AccessDenied, InputError
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK
from bot.leads.desks import AdvisorProfile, Desk, Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery
from bot.leads.relay import relay_open, relay_to_company, reply_to_desk
from bot.leads.service import LeadService
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
HAINAUT = "cci-grand-hainaut"
CARD = "C0HAINAUT:1700000000.000001"
DESKS = Desks(desks={
    HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE"], advisor_profiles={
        "U0CAMILLE": AdvisorProfile(first_name="Camille", share_first_name=True)}),
    REGIONAL_DESK: Desk(advisors=["U0REGION"])})
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr"}
SECRET_WORDS = "rendez-vous jeudi 10 h à l'usine de Marly"


class Cards:
    """A stand-in Slack notifier: every card it posts is ``CARD``."""

    name = "slack"

    async def send(self, *, item: Delivery) -> str | None:
        return CARD


async def carded(service: LeadService, *, user: str = "1", channel: str = "telegram") -> str:
    """A submitted lead whose card was posted (``CARD``)."""
    result = await service.submit({**ANSWERS, "company": f"Ateliers {user}"}, channel=channel,
                                  conversation_key=f"{channel}:{user}:{user}" if channel ==
                                  "telegram" else f"{channel}:{user}",
                                  user_key=f"{channel}:{user}", consent_at=NOW.isoformat(),
                                  consent_version="2026-11", lang="fr")
    await Dispatcher(service.db, {"slack": Cards()}, max_attempts=1,
                     backoff_seconds=1).run_once()
    return result.ref


@pytest.fixture
def service(db: Database, tmp_path: Path, catalog: Catalog) -> LeadService:
    return LeadService(db=db, settings=Settings(data_dir=tmp_path, _env_file=None), desks=DESKS,
                       catalog=catalog, desk_names={HAINAUT: "CCI Grand Hainaut"},
                       clock=lambda: NOW)


async def test_an_advisor_reply_is_relayed_once_and_audited_without_its_text(
        service: LeadService, db: Database) -> None:
    ref = await carded(service)
    assert await relay_to_company(service, card="C0OTHER:1.2", message="1.3", actor="U0CAMILLE",
                                  text="?", channel="C0OTHER") is None     # no lead's thread
    relayed = await relay_to_company(service, card=CARD, message="1700000000.000002",
                                     actor="U0CAMILLE", text=f"Bonjour, {SECRET_WORDS} ?",
                                     channel="C0HAINAUT")
    again = await relay_to_company(service, card=CARD, message="1700000000.000002",
                                   actor="U0CAMILLE", text=f"Bonjour, {SECRET_WORDS} ?",
                                   channel="C0HAINAUT")              # Slack delivered it twice
    assert relayed is not None
    assert again is not None
    assert (relayed.ref, relayed.queued, again.queued) == (ref, True, False)
    history = await db.leads.history(ref=ref)
    assert history is not None
    [message] = [d for d in history.deliveries if d.kind == "company_message"]
    assert (message.notifier, message.target) == ("company", "telegram:1")
    assert message.payload | {"text": f"Bonjour, {SECRET_WORDS} ?", "advisor": "Camille",
                              "desk_name": "CCI Grand Hainaut", "lang": "fr"} == message.payload
    [event] = [e for e in history.events if e.action == "relay_to_company"]
    assert (event.actor, event.detail["chars"], event.detail["via"]) == (
        "U0CAMILLE", len(f"Bonjour, {SECRET_WORDS} ?"), "slack_thread")
    assert SECRET_WORDS not in json.dumps([e.detail for e in history.events])
    assert history.lead.details["relay"]["thread"] == CARD


async def test_only_the_lead_s_advisors_may_write_to_the_company(service: LeadService,
                                                                 db: Database) -> None:
    ref = await carded(service)
    with pytest.raises(AccessDenied):
        await relay_to_company(service, card=CARD, message="1.9", actor="U0INTRUDER",
                               text="Bonjour", channel="C0HAINAUT")
    with pytest.raises(InputError, match="relay_empty"):
        await relay_to_company(service, card=CARD, message="2.0", actor="U0CAMILLE", text="  ",
                               channel="C0HAINAUT")
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [(e.action, e.actor) for e in history.events][-1] == ("action_refused", "U0INTRUDER")
    assert not [d for d in history.deliveries if d.kind == "company_message"]
    assert "relay" not in history.lead.details


async def test_the_company_answers_into_the_card_s_thread(service: LeadService,
                                                          db: Database) -> None:
    ref = await carded(service)
    with pytest.raises(InputError, match="relay_closed"):    # no advisor wrote yet
        await reply_to_desk(service, ref=ref, user_key="telegram:1", text="Bonjour ?")
    assert await relay_open(service, ref=ref, user_key="telegram:1") is None
    await relay_to_company(service, card=CARD, message="1.5", actor="U0CAMILLE",
                           text="Quand êtes-vous disponible ?", channel="C0HAINAUT")
    opened = await relay_open(service, ref=ref, user_key="telegram:1")
    assert opened is not None
    assert (opened.ref, opened.desk_name, opened.advisor) == (ref, "CCI Grand Hainaut",
                                                              "Camille")
    assert await relay_open(service, ref=ref, user_key="telegram:2") is None   # not theirs
    with pytest.raises(InputError, match="relay_closed"):
        await reply_to_desk(service, ref=ref, user_key="telegram:2", text="Moi aussi")
    assert await reply_to_desk(service, ref=ref, user_key="telegram:1",
                               text=SECRET_WORDS) == ref
    history = await db.leads.history(ref=ref)
    assert history is not None
    [reply] = [d for d in history.deliveries if d.kind == "company_reply"]
    assert (reply.notifier, reply.target) == ("slack", "C0HAINAUT")
    assert reply.payload | {"thread_ts": "1700000000.000001", "text": SECRET_WORDS} == \
        reply.payload
    [event] = [e for e in history.events if e.action == "relay_from_company"]
    assert (event.actor, event.detail) == ("telegram:1", {"chars": len(SECRET_WORDS),
                                                          "to": "slack_thread"})


async def test_oublier_stops_the_relay_both_ways(service: LeadService, db: Database) -> None:
    ref = await carded(service)
    await relay_to_company(service, card=CARD, message="1.5", actor="U0CAMILLE",
                           text="Premier message", channel="C0HAINAUT")
    await reply_to_desk(service, ref=ref, user_key="telegram:1", text=SECRET_WORDS)
    assert await service.erase(user_key="telegram:1", actor="telegram:1") == 1
    with pytest.raises(InputError, match="relay_erased"):
        await relay_to_company(service, card=CARD, message="1.6", actor="U0CAMILLE",
                               text="Second message", channel="C0HAINAUT")
    assert await relay_open(service, ref=ref, user_key="telegram:1") is None
    history = await db.leads.history(ref=ref)
    assert history is not None
    relay = [d for d in history.deliveries if d.kind in ("company_message", "company_reply")]
    assert [(d.kind, d.status) for d in relay] == [("company_message", "cancelled"),
                                                   ("company_reply", "cancelled")]
    stored = json.dumps([d.payload for d in history.deliveries] + [d.target for d in relay]
                        + [history.lead.details], ensure_ascii=False)
    for trace in (SECRET_WORDS, "Premier message", "telegram:1", "marie@example.fr"):
        assert trace not in stored, trace


async def test_a_reply_in_flight_during_oublier_is_erased_in_the_thread_after(
        service: LeadService, db: Database) -> None:
    ref = await carded(service)
    await relay_to_company(service, card=CARD, message="1.5", actor="U0CAMILLE",
                           text="Premier message", channel="C0HAINAUT")
    await reply_to_desk(service, ref=ref, user_key="telegram:1", text=SECRET_WORDS)
    seen: list[Delivery] = []

    class Thread:
        """The Slack notifier, while the person says /oublier during the post."""

        name = "slack"

        async def send(self, *, item: Delivery) -> str | None:
            seen.append(item)
            if item.kind == "company_reply":
                await service.erase(user_key="telegram:1", actor="telegram:1")
            return "C0HAINAUT:1700000000.000009"

    dispatcher = Dispatcher(db, {"slack": Thread()}, max_attempts=1, backoff_seconds=1)
    await dispatcher.run_once()        # the company_message has no notifier here: dead
    await dispatcher.run_once()
    assert [(d.kind, d.payload.get("erased_kind")) for d in seen] == [
        ("company_reply", None), ("erased", "new"), ("erased", "company_reply")]
    assert seen[2].payload["erased_ref"] == "C0HAINAUT:1700000000.000009"   # the reply's


# -- the company's side, through the Assistant ---------------------------------------------------

def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


class Company:
    """The company in the terminal (its request's ``user_key``: ``terminal:<user>``)."""

    def __init__(self, bot: Assistant, user: str) -> None:
        self.bot, self.user = bot, user

    async def say(self, text: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="terminal", user_id=self.user, text=text,
                                              conversation_key=f"terminal:{self.user}"))

    async def press(self, action: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="terminal", user_id=self.user,
                                              conversation_key=f"terminal:{self.user}",
                                              action=action, kind="action"))


@pytest.fixture
def bot(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path) -> Assistant:
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-grand-hainaut:\n    slack_channel: C0HAINAUT\n"
                     "    advisors: [U0CAMILLE]\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, desks_file=desks, rate_limit_per_minute=1000,
                        _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)


async def test_the_company_presses_reply_and_writes(bot: Assistant, db: Database,
                                                    catalog: Catalog) -> None:
    ref = await carded(bot.leads, user="marie", channel="terminal")
    marie, other = Company(bot, "marie"), Company(bot, "paul")
    assert joined(await marie.press(f"rl:reply:{ref}")) == catalog.t("relay_closed", "fr")
    await relay_to_company(bot.leads, card=CARD, message="1.5", actor="U0CAMILLE",
                           text="Pouvez-vous préciser ?", channel="C0HAINAUT")
    assert joined(await other.press(f"rl:reply:{ref}")) == catalog.t("relay_closed", "fr")
    armed = joined(await marie.press(f"rl:reply:{ref}"))
    assert armed == catalog.t("relay_armed", "fr", who="la CCI Grand Hainaut")
    [sent] = await marie.say(SECRET_WORDS)
    assert sent.text == catalog.t("relay_sent", "fr", ref=ref)
    assert [b.action for b in sent.buttons] == [f"rl:reply:{ref}"]    # write again
    after = joined(await marie.say("Quelles aides pour relocaliser la confection ?"))
    assert catalog.t("relay_sent", "fr", ref=ref) not in after           # one message only
    await marie.press(f"rl:reply:{ref}")
    assert joined(await marie.say("/annuler")) == catalog.t("relay_cancelled", "fr")
    await marie.press(f"rl:reply:{ref}")
    assert joined(await marie.say("stop")) == catalog.t("relay_cancelled", "fr")
    history = await db.leads.history(ref=ref)
    assert history is not None
    replies = [d.payload["text"] for d in history.deliveries if d.kind == "company_reply"]
    assert replies == [SECRET_WORDS]


async def test_an_unused_reply_expires_and_oublier_disarms_it(bot: Assistant, db: Database,
                                                              catalog: Catalog) -> None:
    ref = await carded(bot.leads, user="marie", channel="terminal")
    marie = Company(bot, "marie")
    await relay_to_company(bot.leads, card=CARD, message="1.5", actor="U0CAMILLE",
                           text="Pouvez-vous préciser ?", channel="C0HAINAUT")
    await marie.press(f"rl:reply:{ref}")
    state = await db.load_state("terminal:marie", channel="terminal")
    state.data["relay"]["at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    await db.save_state(state)
    assert catalog.t("relay_sent", "fr", ref=ref) not in joined(await marie.say(SECRET_WORDS))
    await marie.press(f"rl:reply:{ref}")
    await marie.say("/oublier")
    assert catalog.t("relay_sent", "fr", ref=ref) not in joined(await marie.say(SECRET_WORDS))
    assert joined(await marie.press(f"rl:reply:{ref}")) == catalog.t("relay_closed", "fr")
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert not [d for d in history.deliveries if d.kind == "company_reply"]
