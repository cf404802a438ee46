"""A real PTB Application against the local fake Bot API, on the session's knowledge base."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import TelegramChannel
from adapters.telegram.channel import TelegramConfig
from bot.i18n import Catalog
from bot.port import Core
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.telegram_api import TOKEN, WEBHOOK_SECRET, FakeTelegramAPI
from ops.runtime import Runtime

MakeChannel = Callable[..., TelegramChannel]
StartPolling = Callable[[TelegramChannel], Awaitable[TelegramChannel]]


@pytest.fixture
def fake_api(telegram: FakeTelegramAPI) -> FakeTelegramAPI:
    """The suite's fake (telegram, ``tests/conftest.py``), under this directory's name."""
    return telegram


@pytest.fixture
def make_channel(kb: KnowledgeBase, db: Database, catalog: Catalog, fake_api: FakeTelegramAPI,
                 tmp_path: Path) -> MakeChannel:
    """``make_channel(wrap=None, **settings)``: a channel on the fake API; ``wrap`` (e.g. a
    ``WrappedCore`` subclass) changes one behaviour of the real assistant."""

    def make(wrap: Callable[[Core], Core] | None = None, **overrides: Any) -> TelegramChannel:
        values: dict[str, Any] = {
            "data_dir": tmp_path, "telegram_bot_token": TOKEN,
            "telegram_api_base_url": fake_api.base_url, "telegram_webhook_secret": WEBHOOK_SECRET,
            "telegram_typing_after": 0,   # "typing…" at once: the tests see it before answers
            **overrides,
        }
        settings = Settings(_env_file=None, **values)
        assistant = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
        channel = TelegramChannel(wrap(assistant) if wrap else assistant,
                                  config=TelegramConfig.from_settings(settings), poll_timeout=5)
        channel.runtime = Runtime(settings, kb, db, assistant)  # type: ignore[attr-defined]
        return channel

    return make


@pytest.fixture
async def polling() -> AsyncIterator[StartPolling]:
    """``await polling(channel)`` runs ``run_forever`` until the test ends."""
    running: list[tuple[TelegramChannel, asyncio.Task[None]]] = []

    async def start(channel: TelegramChannel) -> TelegramChannel:
        task = asyncio.create_task(channel.run_forever())
        running.append((channel, task))
        ready = asyncio.create_task(channel.ready.wait())
        await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # start-up failed: raise it here
        assert channel.ready.is_set()
        return channel

    yield start
    for channel, task in running:
        await channel.stop()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def bot(make_channel: MakeChannel, polling: StartPolling) -> TelegramChannel:
    """The default channel, polling."""
    return await polling(make_channel())
