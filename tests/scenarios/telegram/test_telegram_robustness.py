"""Failures, concurrency and ordering: the bot keeps answering, chats never wait on each other."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from adapters.telegram import TelegramChannel
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.bench_telegram import run as run_bench
from ops.fakes.core import WrappedCore
from ops.fakes.telegram_api import FakeTelegramAPI, chat, message_update, plain, user
from ops.runtime import Runtime

MakeChannel = Callable[..., TelegramChannel]
StartPolling = Callable[[TelegramChannel], Awaitable[TelegramChannel]]
SECRET_QUESTION = "Mon SIREN est 552100554, quelles aides ?"


class FailingAssistant(WrappedCore):
    """Blows up on one message, as a bug or a dead database would."""

    async def handle(self, incoming: Incoming) -> list[Reply]:
        if incoming.text and "SIREN" in incoming.text:
            raise RuntimeError("simulated failure")
        return await super().handle(incoming)


class SlowAssistant(WrappedCore):
    """Each event takes a while (an LLM, a slow disk), in random amounts."""

    delay = 0.25

    async def handle(self, incoming: Incoming) -> list[Reply]:
        await asyncio.sleep(self.delay * random.uniform(0.5, 1.0))
        return await super().handle(incoming)


class SlowerAssistant(SlowAssistant):
    delay = 0.5


class PrivateAssistant(WrappedCore):
    """Marks every reply private (as a lead form would): never shown in a group."""

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return [dataclasses.replace(r, private=True) for r in await super().handle(incoming)]


async def test_an_exception_in_the_assistant_gets_a_polite_reply_and_the_bot_goes_on(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    await polling(make_channel(FailingAssistant))
    caplog.set_level(logging.DEBUG)
    fake_api.push(message_update(SECRET_QUESTION, sender=user(31, lang="en")))
    [apology] = await fake_api.wait_calls("sendMessage", chat_id=31)
    assert plain(apology.params["text"]) == catalog.t("error", "en")
    fake_api.push(message_update("/aide", sender=user(31, lang="en")))
    await fake_api.wait_calls("sendMessage", 2, chat_id=31)
    assert catalog.t("help", "en") in plain(fake_api.sent(31)[1]["text"])

    [failure] = [r for r in caplog.records if r.getMessage() == "telegram update failed"]
    assert failure.exc_info
    error = failure.exc_info[1]
    assert error is not None
    assert error.args == ("simulated failure",)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "552100554" not in logged
    assert "SIREN" not in logged  # no message text in logs
    assert "TEST-token" not in logged  # nor the bot token (httpx logs URLs)


async def test_different_chats_are_answered_concurrently_and_each_chat_in_order(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    await polling(make_channel(SlowAssistant))
    script = ["/langue en", "/aide", "/langue fr", "/aide"]
    chats = list(range(41, 49))
    started = time.perf_counter()
    fake_api.push(*[message_update(text, sender=user(c)) for text in script for c in chats])
    await fake_api.wait_calls("sendMessage", len(script) * len(chats), timeout=20)
    elapsed = time.perf_counter() - started
    # Serial handling would take at least 32 x 0.125 = 4 s; per chat it is at most 4 x 0.25 s.
    assert elapsed < len(script) * SlowAssistant.delay + 1.5
    for c in chats:
        replies = [plain(m["text"]) for m in fake_api.sent(c)]
        assert replies[0] == catalog.t("lang_set", "en")
        assert catalog.t("help", "en") in replies[1]
        assert replies[2] == catalog.t("lang_set", "fr")
        assert catalog.t("help", "fr") in replies[3]


async def test_members_of_one_group_are_served_side_by_side(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI
) -> None:
    await polling(make_channel(SlowerAssistant))
    group = chat(-100900, "group")
    members = [user(n) for n in range(51, 57)]
    started = time.perf_counter()
    fake_api.push(*[message_update("/aide", sender=m, in_chat=group) for m in members])
    await fake_api.wait_calls("sendMessage", len(members), chat_id=group["id"])
    assert time.perf_counter() - started < 1.4  # in a row it would take at least 6 x 0.25 s


async def test_private_replies_asked_in_a_group_go_to_the_member_only(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    await polling(make_channel(PrivateAssistant))
    group = chat(-100901, "supergroup")
    fake_api.push(message_update("/aide", sender=user(71), in_chat=group))
    [private] = await fake_api.wait_calls("sendMessage", chat_id=71)
    assert catalog.t("help", "fr") in plain(private.params["text"])
    assert "reply_parameters" not in private.params
    await fake_api.settle(0.2)
    assert fake_api.sent(group["id"]) == []


async def test_rate_limit_is_polite_and_said_once(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    await polling(make_channel(rate_limit_per_minute=2))
    fake_api.push(*[message_update("/aide", sender=user(61)) for _ in range(5)])
    await fake_api.wait_calls("sendMessage", 3, chat_id=61)
    await fake_api.settle(0.2)
    replies = [plain(m["text"]) for m in fake_api.sent(61)]
    assert replies[2:] == [catalog.t("rate_limited", "fr")]


async def test_flood_control_and_a_failing_typing_action_do_not_lose_the_answer(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    await polling(make_channel())
    fake_api.fail("sendChatAction", code=400, description="Bad Request: chat not found")
    fake_api.fail("sendMessage", code=429, description="Too Many Requests", retry_after=1)
    fake_api.push(message_update("Quelle CCI couvre Valenciennes ?", sender=user(62)))
    await fake_api.wait_calls("sendMessage", 2, chat_id=62)
    assert "CCI Grand Hainaut" in plain(fake_api.sent(62)[-1]["text"])
    assert len(fake_api.of("sendChatAction")) == 1


async def test_bot_api_500s_are_retried_and_the_answer_arrives(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    await polling(make_channel())
    fake_api.fail("sendMessage", code=500, description="Internal Server Error", times=2)
    fake_api.push(message_update("Quelle CCI couvre Valenciennes ?", sender=user(63)))
    await fake_api.wait_calls("sendMessage", 3, chat_id=63)
    await fake_api.settle(0.5)
    [*failed, answer] = fake_api.sent(63)
    assert len(failed) == 2
    assert failed[0] == answer              # the same message, again
    assert "CCI Grand Hainaut" in plain(answer["text"])


async def test_a_bot_api_outage_costs_one_answer_and_the_bot_goes_on(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    await polling(make_channel())
    fake_api.fail("sendMessage", code=500, description="Internal Server Error", times=5)
    fake_api.push(message_update("/aide", sender=user(64)))
    await fake_api.wait_calls("sendMessage", 5, chat_id=64)
    await fake_api.settle(0.5)
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)
    fake_api.push(message_update("/aide", sender=user(64)))
    await fake_api.wait_calls("sendMessage", 6, chat_id=64)
    assert catalog.t("help", "fr").splitlines()[0] in plain(fake_api.sent(64)[-1]["text"])


async def test_the_bench_drives_the_application_and_reports_rows(
    kb: KnowledgeBase, catalog: Catalog, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'runtime.db'}")
    await db.migrate()
    assistant = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    try:
        rows = await run_bench(Runtime(settings, kb, db, assistant), chats=3, messages=9)
        assert await db.questions() == []  # the bench kept to a throw-away database
    finally:
        await db.close()
    assert [row[0] for row in rows][:3] == [
        "telegram messages/s", "telegram latency p50 (ms)", "telegram latency p95 (ms)"]
    for figure, value, baseline, ratio in rows:
        assert figure
        assert value
        assert baseline
        assert ratio
        assert float(value.split()[0]) > 0


async def test_typing_is_shown_only_for_an_answer_that_takes_a_while(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI
) -> None:
    """An instant answer needs no "typing…" (half the Bot API calls); a slow one gets it, sent
    before the answer."""
    await polling(make_channel(telegram_typing_after=3.0))
    fake_api.push(message_update("Quelle CCI couvre Valenciennes ?", sender=user(71)))
    await fake_api.wait_calls("sendMessage", chat_id=71)
    assert fake_api.of("sendChatAction") == []


async def test_a_slow_answer_is_preceded_by_typing(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI
) -> None:
    await polling(make_channel(SlowerAssistant, telegram_typing_after=0.1))
    fake_api.push(message_update("Quelle CCI couvre Valenciennes ?", sender=user(72)))
    [answer] = await fake_api.wait_calls("sendMessage", chat_id=72)
    [typing] = fake_api.of("sendChatAction")
    assert typing.params["chat_id"] == 72
    assert typing.at < answer.at
