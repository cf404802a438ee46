"""The company kept informed (issue #15, part 2): taking a lead in charge and each closing
queue one ``company_notice`` in the company's language (the desk, and the advisor's first
name only when the advisor allows it); nothing for an erased lead or one that cannot be
reached; an erasure cancels what was not sent. The words themselves (``company_text``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError, InputError
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK, apply_action
from bot.leads.company import NOTICES, company_text
from bot.leads.desks import AdvisorProfile, Desk, Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery
from bot.leads.service import LeadService
from bot.leads.states import CLOSED_HELPED, TAKEN
from bot.settings import Settings
from bot.storage import Database, OutboxRecord

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
HAINAUT = "cci-grand-hainaut"
DESKS = Desks(desks={
    HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE", "U0DISCREET"],
                  advisor_profiles={
                      "U0CAMILLE": AdvisorProfile(first_name="Camille", share_first_name=True),
                      "U0DISCREET": AdvisorProfile(first_name="Dominique")}),
    REGIONAL_DESK: Desk(advisors=["U0REGION"])})
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr"}


@pytest.fixture
def service(db: Database, tmp_path: Path, catalog: Catalog) -> LeadService:
    return LeadService(db=db, settings=Settings(data_dir=tmp_path, _env_file=None), desks=DESKS,
                       catalog=catalog, desk_names={HAINAUT: "CCI Grand Hainaut"},
                       clock=lambda: NOW)


async def submit(service: LeadService, *, user: str = "1", channel: str = "telegram",
                 lang: str = "fr", **extra: Any) -> str:
    result = await service.submit({**ANSWERS, "company": f"Ateliers {user}", **extra},
                                  channel=channel, conversation_key=f"{channel}:{user}:{user}",
                                  user_key=f"{channel}:{user}", consent_at=NOW.isoformat(),
                                  consent_version="2026-11", lang=lang)
    return result.ref


async def notices(db: Database, ref: str) -> list[OutboxRecord]:
    history = await db.leads.history(ref=ref)
    assert history is not None
    return [d for d in history.deliveries if d.notifier == "company"]


async def test_taking_then_closing_tells_the_company_once_each(service: LeadService,
                                                               db: Database) -> None:
    ref = await submit(service)
    await apply_action(service, ref=ref, action="lead_claim", actor="U0CAMILLE")
    with pytest.raises(InputError):          # a second click: no second notice
        await apply_action(service, ref=ref, action="lead_claim", actor="U0CAMILLE")
    await apply_action(service, ref=ref, action="lead_close_helped", actor="U0CAMILLE")
    told = await notices(db, ref)
    assert [(n.kind, n.target, n.payload["notice"]) for n in told] == [
        ("company_notice", "telegram:1", TAKEN), ("company_notice", "telegram:1", CLOSED_HELPED)]
    assert told[0].payload | {"lang": "fr", "desk_name": "CCI Grand Hainaut",
                              "advisor": "Camille", "email": "marie@example.fr",
                              "channel": "telegram"} == told[0].payload
    assert len({n.idempotency_key for n in told}) == 2
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [e.detail["company_told"] for e in history.events if e.action == "transition"] == [
        True, True]


async def test_the_first_name_only_when_the_advisor_allows_it(service: LeadService,
                                                              db: Database) -> None:
    discreet, region = await submit(service, user="2"), await submit(service, user="3")
    await apply_action(service, ref=discreet, action="lead_claim", actor="U0DISCREET")
    await apply_action(service, ref=region, action="lead_claim", actor="U0REGION")
    for ref in (discreet, region):
        [notice] = await notices(db, ref)
        assert "advisor" not in notice.payload
        assert notice.payload["desk_name"] == "CCI Grand Hainaut"
    assert (DESKS.first_name("U0CAMILLE"), DESKS.first_name("U0DISCREET"),
            DESKS.first_name("U0REGION"), DESKS.first_name(None)) == ("Camille", None, None, None)


def test_advisor_profiles_in_the_desks_file(tmp_path: Path) -> None:
    path = tmp_path / "desks.yaml"
    path.write_text("desks:\n  cci-aisne:\n    advisors: [U1, U2]\n    advisor_profiles:\n"
                    "      U1: {first_name: Camille, share_first_name: true}\n"
                    "      U2: {first_name: Dominique}\n", encoding="utf-8")
    desks = Desks.load(path)
    assert (desks.first_name("U1"), desks.first_name("U2")) == ("Camille", None)  # off: default
    path.write_text("desks:\n  cci-aisne:\n    advisor_profiles:\n"
                    "      U1: {first_name: Camille, show: true}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        Desks.load(path)


async def test_an_english_speaking_company_is_told_in_english(service: LeadService,
                                                              db: Database,
                                                              catalog: Catalog) -> None:
    ref = await submit(service, user="4", lang="en")
    await apply_action(service, ref=ref, action="lead_claim", actor="U0CAMILLE")
    [notice] = await notices(db, ref)
    text = company_text(notice.payload, catalog=catalog)
    assert text.lang == "en"
    assert text.paragraphs[0] == f"Good news: your request {ref} has been taken on by " \
                                 "Camille (CCI Grand Hainaut)."


async def test_no_notice_when_the_company_cannot_be_reached(service: LeadService,
                                                            db: Database) -> None:
    terminal = await submit(service, user="5", channel="terminal", email=None, phone="0612345678")
    by_mail = await submit(service, user="6", channel="terminal")
    erased = await submit(service, user="7")
    assert await service.erase(user_key="telegram:7", actor="telegram:7") == 1
    for ref in (terminal, by_mail, erased):
        await apply_action(service, ref=ref, action="lead_claim", actor="U0CAMILLE")
    assert await notices(db, terminal) == []
    assert await notices(db, erased) == []
    [mail] = await notices(db, by_mail)               # the terminal has no way back: e-mail
    assert (mail.target, mail.payload["email"]) == ("terminal:6", "marie@example.fr")
    history = await db.leads.history(ref=erased)
    assert history is not None
    assert [e.detail.get("company_told") for e in history.events
            if e.action == "transition"] == [False]


async def test_an_erasure_cancels_what_was_not_sent_and_scrubs_the_address(
        service: LeadService, db: Database) -> None:
    ref = await submit(service, user="8")
    await apply_action(service, ref=ref, action="lead_claim", actor="U0CAMILLE")

    class Sent:
        name = "company"

        def __init__(self) -> None:
            self.items: list[Delivery] = []

        async def send(self, *, item: Delivery) -> str | None:
            self.items.append(item)
            return "telegram:8:1"

    sent = Sent()
    dispatcher = Dispatcher(db, {"company": sent}, max_attempts=2, backoff_seconds=1,
                            clock=lambda: NOW)
    assert (await dispatcher.run_once()).sent == 1      # the "taken" notice goes out
    await apply_action(service, ref=ref, action="lead_close_no_help", actor="U0CAMILLE")
    assert await service.erase(user_key="telegram:8", actor="telegram:8") == 1
    await dispatcher.run_once()      # the closing notice never will go (only desk updates)
    told = await notices(db, ref)
    assert [(n.status, n.target) for n in told] == [("sent", "[effacé]"),
                                                    ("cancelled", "[effacé]")]
    assert all(n.payload == {"ref": ref, "kind": "company_notice", "erased": True}
               for n in told)
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert not [d for d in history.deliveries if d.kind == "erased"]   # nothing to redraw
    assert len(sent.items) == 1


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("notice", NOTICES)
def test_every_notice_says_what_happens_next(catalog: Catalog, notice: str, lang: str) -> None:
    payload = {"ref": "REL-2026-00042", "kind": "company_notice", "notice": notice,
               "lang": lang, "desk_name": "CCI Grand Hainaut"}
    text = company_text(payload, catalog=catalog)
    assert text.lang == lang
    assert "REL-2026-00042" in text.subject
    assert "REL-2026-00042" in text.paragraphs[0]
    assert len(text.paragraphs) == 2                   # what happened, what happens next
    assert all(text.paragraphs)
    assert ("/conseiller" if lang == "fr" else "/advisor") in text.paragraphs[1] or \
        notice == TAKEN
    assert text.reply is None
    assert "{" not in text.plain()


def test_a_relayed_message_offers_a_reply_in_chats_only(catalog: Catalog) -> None:
    payload = {"ref": "REL-2026-00042", "kind": "company_message", "lang": "fr",
               "desk_name": "CCI Grand Hainaut", "text": "Bonjour,\nêtes-vous libre jeudi ?"}
    chat = company_text(payload, catalog=catalog)
    assert chat.paragraphs == ("la CCI Grand Hainaut vous écrit au sujet de votre demande "
                               "REL-2026-00042 :",)
    assert chat.quote == "Bonjour,\nêtes-vous libre jeudi ?"
    assert chat.reply is not None
    assert (chat.reply.label, chat.reply.action) == ("Répondre", "rl:reply:REL-2026-00042")
    assert "> Bonjour,\n> êtes-vous libre jeudi ?" in chat.plain()
    mail = company_text(payload, catalog=catalog, medium="email")
    assert mail.reply is None
    assert mail.hint == catalog.t("followup_message_hint_email", "fr")
    with pytest.raises(ValueError, match="not a company notice"):
        company_text({"ref": "REL-2026-00042", "kind": "company_notice", "erased": True},
                     catalog=catalog)


def test_a_message_with_nowhere_to_answer_offers_no_reply(catalog: Catalog) -> None:
    """A desk without Slack writing from the console has no thread for the company's answer:
    no "Répondre" (it would lead nowhere), the company is told the advisor will call."""
    payload = {"ref": "REL-2026-00001", "kind": "company_message", "lang": "fr",
               "desk_name": "CCI Artois", "text": "Bonjour, je vous appelle demain."}
    with_thread = company_text(payload, catalog=catalog)
    assert with_thread.reply is not None
    direct = company_text({**payload, "replies": False}, catalog=catalog)
    assert direct.reply is None
    assert direct.hint == catalog.t("followup_message_hint_direct", "fr")
    assert direct.quote == "Bonjour, je vous appelle demain."
