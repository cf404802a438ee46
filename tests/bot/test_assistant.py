from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.storage.tables import QuestionLog
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


AssistantAndClock = tuple[Assistant, Clock]


@pytest.fixture
async def assistant(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> AssistantAndClock:
    clock = Clock()
    settings = Settings(rate_limit_per_minute=5, max_message_chars=500, _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings, clock=clock), clock


def msg(text: str | None = None, *, action: str | None = None, user: str = "u1",
        event: str | None = None, hint: str | None = None, kind: str | None = None) -> Incoming:
    return Incoming(channel="test", conversation_key=f"test:{user}", user_id=user, text=text,
                    action=action, event_id=event, lang_hint=hint,
                    kind=kind or ("action" if action else "text"))  # type: ignore[arg-type]


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_start_welcomes_with_the_four_buttons(
    assistant: AssistantAndClock, catalog: Catalog
) -> None:
    bot, _ = assistant
    replies = await bot.handle(msg("/start"))
    assert catalog.t("welcome", "fr") in text_of(replies)
    assert [b.action for b in replies[0].buttons] == [
        "menu:ask", "menu:aid", "menu:partner", "menu:advisor"]
    english = await bot.handle(msg("/start", user="u2", hint="en-GB"))
    assert catalog.t("welcome", "en") in text_of(english)


async def test_help_lang_and_unknown_command(
    assistant: AssistantAndClock, catalog: Catalog
) -> None:
    bot, _ = assistant
    assert catalog.t("help", "fr") in text_of(await bot.handle(msg("/aide")))
    assert text_of(await bot.handle(msg("/langue de"))) == catalog.t("lang_usage", "fr")
    assert text_of(await bot.handle(msg("/langue en"))) == catalog.t("lang_set", "en")
    # The chosen language sticks even for a French question.
    answer = await bot.handle(msg("Quelle CCI couvre Valenciennes ?"))
    assert answer[0].text.startswith(catalog.t("cci_desk", "en", place="Valenciennes",
                                               name="CCI Grand Hainaut"))
    unknown = await bot.handle(msg("/frobnicate now"))
    assert text_of(unknown) == catalog.t("unknown_command", "en", command="/frobnicate")


async def test_question_gets_a_cited_answer_with_feedback_buttons(
    assistant: AssistantAndClock, db: Database, catalog: Catalog
) -> None:
    bot, _ = assistant
    replies = await bot.handle(msg("Combien de participants au hackathon des 24 heures pour "
                                   "relocaliser à Lille ?"))
    reply = replies[0]
    assert reply.kind == "answer"
    assert reply.citations
    assert [b.action for b in reply.buttons][-3:] == ["fb:up", "fb:down", "menu:advisor"]
    thanks = await bot.handle(msg(action="fb:up"))
    assert text_of(thanks) == catalog.t("feedback_thanks", "fr")
    [feedback] = await db.feedback()
    assert feedback.rating == 1
    assert "participants" in feedback.question
    assert feedback.sources == [c.source_id for c in reply.citations]
    # The same button pressed again has nothing left to rate.
    again = await bot.handle(msg(action="fb:up"))
    assert text_of(again) == catalog.t("unknown_action", "fr")


async def test_english_question_is_answered_in_english(
    assistant: AssistantAndClock, catalog: Catalog
) -> None:
    bot, _ = assistant
    replies = await bot.handle(msg("Which CCI covers the city of Valenciennes?"))
    assert replies[0].text.startswith(catalog.t("cci_desk", "en", place="Valenciennes",
                                                name="CCI Grand Hainaut"))
    general = await bot.handle(msg("What is the think tank Relocalisations.fr?", user="u9"))
    assert general[0].kind == "answer"
    assert "think tank" in general[0].text


async def test_out_of_scope_is_declined_with_an_advisor_offer(
    assistant: AssistantAndClock, db: Database, catalog: Catalog
) -> None:
    bot, _ = assistant
    replies = await bot.handle(msg("Quel est le cours de l'action Decathlon aujourd'hui ?"))
    assert replies[0].kind == "decline"
    assert catalog.t("decline", "fr") in replies[0].text
    assert [b.action for b in replies[0].buttons] == ["menu:advisor"]
    async with db.sessions() as session:
        logged = (await session.scalars(select(QuestionLog))).all()
    assert [q.declined for q in logged] == [True]


async def test_bad_input_is_answered_politely_and_changes_nothing(
    assistant: AssistantAndClock, db: Database, catalog: Catalog
) -> None:
    bot, _ = assistant
    assert text_of(await bot.handle(msg("   "))) == catalog.t("empty_message", "fr")
    long = await bot.handle(msg("x" * 10_000))
    assert text_of(long) == catalog.t("too_long", "fr", length=10_000, limit=500)
    sticker = await bot.handle(msg(kind="unsupported"))
    assert text_of(sticker) == catalog.t("unsupported_media", "fr")
    forged = await bot.handle(msg(action="fb:down"))
    assert text_of(forged) == catalog.t("unknown_action", "fr")
    assert await db.questions() == []
    assert await db.feedback() == []


async def test_duplicate_delivery_is_processed_once(
    assistant: AssistantAndClock, db: Database
) -> None:
    bot, _ = assistant
    first = await bot.handle(msg("/start", event="42"))
    second = await bot.handle(msg("/start", event="42"))
    assert first
    assert second == []


async def test_rate_limit_refuses_once_then_recovers(
    assistant: AssistantAndClock, catalog: Catalog
) -> None:
    bot, clock = assistant
    for _ in range(5):
        assert await bot.handle(msg("/aide"))
    assert text_of(await bot.handle(msg("/aide"))) == catalog.t("rate_limited", "fr")
    assert await bot.handle(msg("/aide")) == []          # a flood gets one refusal
    assert await bot.handle(msg("/aide", user="other"))  # other users are not affected
    clock.now += 61
    assert catalog.t("help", "fr") in text_of(await bot.handle(msg("/aide")))


async def test_forget_erases_the_conversation_state(
    assistant: AssistantAndClock, db: Database, catalog: Catalog
) -> None:
    bot, _ = assistant
    await bot.handle(msg("/langue en"))
    assert (await db.load_state("test:u1", channel="test")).lang == "en"
    reply = await bot.handle(msg("/oublier"))
    assert text_of(reply) == catalog.t("forgotten", "en")
    state = await db.load_state("test:u1", channel="test")
    assert state.lang is None
    assert state.data == {}
