"""The aid and partner finders through the Assistant (the terminal channel's path)."""

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
    settings = Settings(_env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings, today=lambda: TODAY)


def text(value: str) -> Incoming:
    return Incoming(channel="terminal", conversation_key="terminal:t", user_id="t", text=value)


def press(action: str) -> Incoming:
    return Incoming(channel="terminal", conversation_key="terminal:t", user_id="t",
                    action=action, kind="action")


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.buttons]


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_guided_aid_search_with_buttons(bot: Assistant, catalog: Catalog,
                                              db: Database) -> None:
    first = await bot.handle(press("menu:aid"))
    assert catalog.t("finder_ask_department", "fr") in joined(first)
    assert "fd:dep:59" in actions(first)
    assert "fd:dep:out" in actions(first)
    size = await bot.handle(press("fd:dep:62"))
    assert catalog.t("finder_ask_size", "fr") in joined(size)
    project = await bot.handle(text("40 salariés"))
    assert catalog.t("finder_ask_projects", "fr") in joined(project)
    results = await bot.handle(press("fd:proj:relocalisation"))
    body = joined(results)
    assert catalog.t("finder_results_title", "fr") in body
    assert "Aide à l'implantation (IMPL)" in body
    assert "⚠ il faut créer au moins 20 emplois" in body
    assert "Aide au développement des grandes entreprises" not in body
    reply = results[-1]
    assert reply.citations
    assert all(c.kind == "aid" for c in reply.citations)
    assert {"fd:refine", "menu:advisor"} <= set(actions(results))
    state = await db.load_state("terminal:t", channel="terminal")
    assert state.flow is None
    assert state.data["profile"] == {"department": "62", "size": "PME", "headcount": 40,
                                     "project_types": ["relocalisation"]}


async def test_one_sentence_fills_the_profile_and_nothing_is_asked_twice(
    bot: Assistant, catalog: Catalog
) -> None:
    await bot.handle(press("menu:aid"))
    replies = await bot.handle(text("PME de 40 salariés dans le 59 qui veut relocaliser la "
                                    "fabrication de parasols"))
    assert catalog.t("finder_results_title", "fr") in joined(replies)
    again = await bot.handle(press("menu:aid"))   # profile known: straight to results
    assert catalog.t("finder_ask_department", "fr") not in joined(again)
    assert catalog.t("finder_results_title", "fr") in joined(again)


async def test_unrecognised_answer_asks_again_and_cancel_stops(
    bot: Assistant, catalog: Catalog, db: Database
) -> None:
    await bot.handle(press("menu:aid"))
    replies = await bot.handle(text("bof"))
    assert catalog.t("finder_not_understood", "fr") in joined(replies)
    assert catalog.t("finder_ask_department", "fr") in joined(replies)
    assert joined(await bot.handle(text("/annuler"))) == catalog.t("finder_cancelled", "fr")
    assert (await db.load_state("terminal:t", channel="terminal")).flow is None
    assert joined(await bot.handle(text("/annuler"))) == catalog.t(
        "finder_nothing_to_cancel", "fr")


async def test_outside_the_region_gets_national_schemes_only(bot: Assistant,
                                                               kb: KnowledgeBase) -> None:
    await bot.handle(press("menu:aid"))
    await bot.handle(press("fd:dep:out"))
    await bot.handle(press("fd:size:PME"))
    results = await bot.handle(press("fd:proj:investissement"))
    cited = [c.source_id for r in results for c in r.citations]
    assert cited
    assert all(not kb.aids[i].departments for i in cited)


async def test_see_more_pages_through_results(bot: Assistant, catalog: Catalog) -> None:
    await bot.handle(press("menu:aid"))
    await bot.handle(text("PME du 59, investissement dans des machines"))
    first = await bot.handle(press("fd:more"))
    assert catalog.t("finder_results_title", "fr") in joined(first) or catalog.t(
        "finder_no_more", "fr") in joined(first)


async def test_english_finder(bot: Assistant, catalog: Catalog) -> None:
    await bot.handle(text("/langue en"))
    replies = await bot.handle(press("menu:aid"))
    assert catalog.t("finder_ask_department", "en") in joined(replies)


async def test_partner_finder(bot: Assistant, catalog: Catalog) -> None:
    ask = await bot.handle(press("menu:partner"))
    assert joined(ask) == catalog.t("partner_ask_need", "fr")
    where = await bot.handle(text("qui peut confectionner des chemises ?"))
    # Results at once, then the place is asked to list the nearest first.
    assert catalog.t("partner_results_title", "fr") in joined(where)
    assert catalog.t("partner_refine_department", "fr") in joined(where)
    assert "fp:dep:59" in actions(where)
    results = await bot.handle(press("fp:dep:59"))
    body = joined(results)
    assert catalog.t("partner_results_title", "fr") in body
    assert "confection" in body.lower()
    assert all(c.kind == "partner" for r in results for c in r.citations)


async def test_forged_finder_buttons_are_refused(bot: Assistant, catalog: Catalog) -> None:
    for action in ("fd:size:HUGE", "fd:dep:75", "fd:nope", "fp:dep:59"):
        assert joined(await bot.handle(press(action))) == catalog.t("unknown_action", "fr")


async def test_dont_know_shows_what_fits_so_far_then_asks_to_refine(
    bot: Assistant, catalog: Catalog, db: Database
) -> None:
    await bot.handle(press("menu:aid"))
    await bot.handle(press("fd:dep:62"))
    replies = await bot.handle(text("je sais pas trop"))
    assert catalog.t("finder_dont_know", "fr") in joined(replies)
    assert catalog.t("finder_results_title", "fr") in joined(replies)
    assert catalog.t("finder_refine_size", "fr") in joined(replies)
    assert (await db.load_state("terminal:t", channel="terminal")).flow is None
    # The place stays known: a typed size afterwards refines the same search.
    refined = await bot.handle(text("on est 40 salariés"))
    assert "40" in joined(refined)
    assert catalog.t("finder_results_title", "fr") in joined(refined)


async def test_typed_answers_and_a_definition_in_the_english_finder(
    bot: Assistant, catalog: Catalog
) -> None:
    """Found trying it as a person: "find me grants" was answered in French, "what's an ETI?"
    was taken as the size ETI, and "250" (the headcount the question asks to type) was not
    recognised."""
    start = await bot.handle(text("find me grants"))
    assert catalog.t("finder_ask_department", "en") in joined(start)
    size = await bot.handle(text("Somme"))
    assert catalog.t("finder_ask_size", "en") in joined(size)
    definition = joined(await bot.handle(text("what's an ETI?")))
    assert "5,000" in definition                                    # answered first
    assert catalog.t("finder_ask_size", "en") in definition         # then the same question
    project = joined(await bot.handle(text("250")))
    assert catalog.t("finder_not_understood", "en") not in project
    assert catalog.t("finder_ask_projects", "en") in project


async def test_typed_answers_out_of_order_and_changes_are_taken_and_said(
    bot: Assistant, catalog: Catalog
) -> None:
    """Found in the dialogue set: "on est 12" was not read as a headcount, "et si on était dans
    l'Aisne ?" was "not recognised", and an answer to another question was taken silently."""
    await bot.handle(text("vous pouvez me trouver des financements ?"))
    size = joined(await bot.handle(text("pas de calais")))
    assert catalog.t("finder_ask_size", "fr") in size
    project = joined(await bot.handle(text("on est 12")))
    assert catalog.t("finder_ask_projects", "fr") in project
    early = await bot.handle(text("vous pouvez me trouver des financements ?"))
    assert catalog.t("finder_ask_department", "fr") in joined(early)
    await bot.handle(text("59"))
    noted = joined(await bot.handle(text("on veut faire de l'economie circulaire")))
    assert noted.startswith(catalog.t("finder_noted", "fr", summary="")[:12])
    moved = joined(await bot.handle(text("et si on etait dans l'aisne ?")))
    assert catalog.t("finder_not_understood", "fr") not in moved
    assert "02" in moved
