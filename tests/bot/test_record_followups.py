"""A follow-up about a partner is searched with the partner's short name, so its long
description does not outweigh what was asked (found trying it as a person: "what are its
financial tools?" after "what is Rev3?" repeated what Rev3 is)."""

from __future__ import annotations

from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase


async def test_a_follow_up_about_a_partner_answers_what_was_asked(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str, key: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key=key,
                                            user_id=key, text=text))
        return replies[0].blocks[0]

    await say("what is Rev3?", "rev3")
    tools = await say("what are its financial tools?", "rev3")
    assert "Cap3RI" in tools
    assert "FRATRI" in tools
    await say("combien de produits la france devrait relocaliser d'apres le think tank ?", "tt")
    value = await say("ca fait combien en valeur ?", "tt")
    assert "60 milliards" in value
    await say("je cherche un atelier de confection pour des chemises en lin", "lin")
    workshops = await say("le premier, il a combien d'ateliers ?", "lin")
    assert workshops != catalog.t("decline", "fr")


async def test_who_can_i_call_about_a_scheme_asks_its_contact_not_for_partners(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key="call",
                                            user_id="call", text=text))
        return "\n".join(r.text for r in replies)

    await say("how do I apply to IMPL?")
    call = await say("and who can I call?")
    assert catalog.t("partner_results_nearest", "en") not in call
    assert catalog.t("partner_results_title", "en") not in call
    assert "Région Hauts-de-France" in call


async def test_a_follow_up_the_sources_do_not_answer_says_so_instead_of_changing_subject(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    """Found trying it as a person: "qui le finance ?" about the think tank answered with the
    glossary's FEDER, another subject."""
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key="tt2",
                                            user_id="tt2", text=text))
        return "\n".join(r.text for r in replies)

    await say("combien de produits la france devrait relocaliser d'apres le think tank ?")
    funder = await say("qui le finance ?")
    assert "FEDER" not in funder
    assert catalog.t("answer_missing_offer", "fr") in funder
