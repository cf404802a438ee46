"""The conversation a new user has, through the Assistant on SQLite and PostgreSQL: every row
of the issue's table gets an answer that answers (the fact first), and forms let people talk."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
async def bot(kb: KnowledgeBase, db: Database, catalog: Catalog) -> Assistant:
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None),
                    today=lambda: TODAY)


class Chat:
    def __init__(self, bot: Assistant, user: str = "u") -> None:
        self.bot, self.user = bot, user

    async def say(self, value: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="terminal", conversation_key=self.user,
                                              user_id=self.user, text=value))

    async def press(self, action: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="terminal", conversation_key=self.user,
                                              user_id=self.user, action=action, kind="action"))


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def head(replies: list[Reply], chars: int = 300) -> str:
    return joined(replies)[:chars]


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.buttons]


async def test_greeting_and_advisor_request_are_understood(bot: Assistant,
                                                           catalog: Catalog) -> None:
    chat = Chat(bot)
    hello = await chat.say("Bonjour")
    assert joined(hello) == catalog.t("greeting_reply", "fr")
    assert "menu:advisor" in actions(hello)
    advisor = await chat.say("Je voudrais parler à un conseiller")
    assert catalog.t("lead_consent", "fr") in joined(advisor)
    typed_yes = await chat.say("oui")                      # typed instead of the button
    assert catalog.t("lead_q_company", "fr") in joined(typed_yes)


async def test_a_profile_sentence_gets_results_and_follow_ups_change_it(bot: Assistant) -> None:
    chat = Chat(bot)
    first = await chat.say("Quelles aides pour une PME de 40 salariés à Lens qui relocalise "
                           "sa production de vélos ?")
    assert "Aide à l'implantation" in head(first, 600)
    assert "40" in head(first)
    more = await chat.say("Et si on a 300 salariés ?")
    assert "300" in head(more)
    assert "ETI" in head(more)
    assert "Lens" in head(more)
    amount = await chat.say("Et le montant du premier ?")
    assert amount[0].citations
    assert amount[0].citations[0].kind == "aid"
    cited = amount[0].citations[0].title
    assert cited.split(" (")[0] in head(amount)           # the record it talks about, first
    how = await chat.say("comment le demander ?")
    assert how[0].citations[0].title == cited             # still the same record


async def test_attribute_questions_are_answered_from_the_field_first(bot: Assistant) -> None:
    chat = Chat(bot)
    pni = await chat.say("Quel est le montant maximum du Prêt Nouvelle Industrie ?")
    assert "15 M€" in head(pni, 200)
    assert "card:aid:bpi-pret-nouvelle-industrie" in actions(pni)   # the card on demand
    card = await chat.press("card:aid:bpi-pret-nouvelle-industrie")
    assert "Financeur" in joined(card)
    english = await Chat(bot, "en").say("How much is the PNI and who funds it?")
    assert "EUR 15 million" in head(english, 200)
    assert "De 3 M€" not in joined(english)


async def test_in_domain_questions_are_answered_not_declined(bot: Assistant) -> None:
    laser = await Chat(bot, "a").say("Est-ce que la Région peut financer l'achat d'une "
                                      "machine de découpe laser ?")
    assert laser[0].kind == "answer"
    assert laser[0].citations
    dunkirk = await Chat(bot, "b").say("What support is there for a foreign company wanting "
                                       "to open a factory in Dunkirk?")
    assert dunkirk[0].kind == "answer"
    assert "Dunkerque" in head(dunkirk)
    morocco = await Chat(bot, "c").say("j'ai une usine au Maroc, je veux rapatrier la "
                                       "production de chaussures")
    assert morocco[0].kind == "answer"
    assert "relocalisation" in head(morocco)
    grant = await Chat(bot, "d").say("Quelle est la différence entre un prêt et une "
                                     "subvention ?")
    assert grant[0].kind == "answer"
    assert "rembours" in head(grant)


async def test_cci_lookup_gives_the_desk_and_offers_a_request(bot: Assistant,
                                                             catalog: Catalog) -> None:
    chat = Chat(bot)
    lens = await chat.say("Quel est le contact de la CCI pour Lens ?")
    assert head(lens).startswith(catalog.t("cci_desk", "fr", place="Lens", name="CCI Artois"))
    assert "menu:advisor" in actions(lens)
    arras = await chat.say("et pour Dunkerque ?")
    assert "CCI Littoral Hauts-de-France" in head(arras)
    await chat.press("menu:advisor")                       # the place is not asked again
    await chat.say("oui")
    await chat.say("Ateliers Dupont")
    after_siren = await chat.say("passer")
    assert catalog.t("lead_q_place", "fr") not in joined(after_siren)


async def test_a_question_inside_the_form_is_answered_then_the_form_resumes(
    bot: Assistant, db: Database, catalog: Catalog
) -> None:
    chat = Chat(bot)
    await chat.say("/conseiller")
    consent_question = await chat.say("Qu'est-ce que vous faites de mes données ?")
    assert catalog.t("form_resume", "fr") in joined(consent_question)
    assert catalog.t("lead_consent", "fr") in joined(consent_question)
    await chat.say("oui")
    digression = await chat.say("Qui peut reconditionner de l'électroménager ?")
    text = joined(digression)
    assert "ENVIE" in text.upper()                         # answered...
    assert catalog.t("form_resume", "fr") in text          # ...then back to the question
    assert catalog.t("lead_q_company", "fr") in text
    state = await db.load_state("u", channel="terminal")
    assert "company" not in state.data["lead"]["answers"]  # not stored as the company name
    await chat.say("Ateliers Dupont")
    siren = await chat.say("c'est quoi un SIREN ?")
    assert "9 chiffres" in joined(siren)
    assert catalog.t("lead_q_siren", "fr") in joined(siren)
    skipped = await chat.say("je ne sais pas")             # optional: skipped, not stored
    assert catalog.t("lead_dont_know_skip", "fr") in joined(skipped)
    stopped = await chat.say("stop")
    assert joined(stopped) == catalog.t("lead_cancelled", "fr")
    assert (await db.load_state("u", channel="terminal")).flow is None


async def test_off_topic_is_still_declined_with_the_advisor_offer(bot: Assistant,
                                                                  catalog: Catalog) -> None:
    for text in ("Quel temps fera-t-il demain à Lille ?",
                 "donne moi une recette de tarte aux pommes",
                 "who won the football game last night?"):
        replies = await Chat(bot, text[:5]).say(text)
        assert replies[0].kind == "decline", text
        assert actions(replies) == ["menu:advisor"]


async def test_facts_no_record_holds_are_declined_not_answered_with_a_card(
        bot: Assistant) -> None:
    """Who runs Decathlon, a welder's pay: the named company's card would not answer."""
    for text in ("Who is the current CEO of Decathlon?",
                 "c'est quoi le salaire moyen d'un soudeur a Lille ?"):
        replies = await Chat(bot, text[:5]).say(text)
        assert replies[0].kind == "decline", text
        assert actions(replies) == ["menu:advisor"]


async def test_memory_is_erased_by_forget(bot: Assistant, db: Database) -> None:
    chat = Chat(bot)
    await chat.say("Quelles aides pour une PME de 40 salariés à Lens ?")
    assert (await db.load_state("u", channel="terminal")).data.get("memory")
    await chat.say("/oublier")
    assert (await db.load_state("u", channel="terminal")).data == {}
    again = await chat.say("et le premier ?")
    assert again[0].kind != "answer" or not again[0].citations or \
        again[0].citations[0].kind != "aid"
