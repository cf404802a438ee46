"""A partner search that names a place measures from that place, not from the place an earlier
search in the same conversation knew (found trying it as a person: "près de Lille" after an aid
search in Arras gave "Lille, à environ 43 km")."""

from __future__ import annotations

import re

from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase


async def test_the_place_of_this_message_wins_over_the_previous_search(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key="place",
                                            user_id="place", text=text))
        return "\n".join(r.text for r in replies)

    await say("Quelles aides pour acheter une machine de découpe laser à Arras ?")
    text = await say("qui peut faire de la confection textile près de Lille ?")
    distances = [int(d) for d in re.findall(r"Lille, à environ (\d+) km", text)]
    distances += [0] * text.count("Lille, dans votre commune")
    assert distances, text
    assert max(distances) <= 5


async def test_a_need_no_partner_lists_is_not_presented_as_a_fit(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    """Found trying it as a person: "a subcontractor for machining" listed a retailer and an
    eco-construction network under "the partners that fit"."""
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str, key: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key=key,
                                            user_id=key, text=text))
        return "\n".join(r.text for r in replies)

    machining = await say("Who can help me find a subcontractor for machining?", "usinage")
    assert catalog.t("partner_results_nearest", "en") in machining
    assert catalog.t("partner_results_title", "en") not in machining
    sewing = await say("je cherche un atelier de confection textile", "confection")
    assert catalog.t("partner_results_title", "fr") in sewing


async def test_the_client_a_team_names_is_not_suggested_to_it(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    """Found trying it as a person: "team cartable hamelin : qui peut confectionner des sacs
    scolaires ?" listed Hamelin itself first."""
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))
    replies = await bot.handle(Incoming(
        channel="terminal", conversation_key="hamelin", user_id="hamelin",
        text="team cartable hamelin : qui peut confectionner des sacs scolaires en petite serie ?"))
    [answer] = [r for r in replies if r.citations]
    assert "hamelin" not in {c.source_id for c in answer.citations}
    assert len(answer.citations) == 5
    assert "resilience" in {c.source_id for c in answer.citations}
