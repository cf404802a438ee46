"""Scenario fixtures: a real bolt ``AsyncApp`` (through ``SlackChannel`` and our Starlette
server) talking to the local fake Web API, driven by requests signed like Slack signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.channels import slack_channel
from ops.fakes.slack_api import FakeSlackAPI
from ops.runtime import Runtime, asgi_app
from tests.scenarios.slack.slack_harness import SECRET, TOKEN, MakeSlack, SlackHarness


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def make_slack(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path,
                     fake_slack: FakeSlackAPI) -> AsyncIterator[MakeSlack]:
    """Build a harness (optionally with a given Assistant or extra settings)."""
    opened: list[SlackHarness] = []

    async def make(*, assistant: Assistant | None = None, **overrides: Any) -> SlackHarness:
        values: dict[str, Any] = {"data_dir": tmp_path, "slack_bot_token": TOKEN,
                                  "slack_signing_secret": SECRET,
                                  "slack_api_base_url": fake_slack.base_url, **overrides}
        settings = Settings(_env_file=None, **values)
        bot = assistant or build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
        runtime = Runtime(settings=settings, kb=kb, db=db, assistant=bot)
        channel = slack_channel(runtime)
        server = asgi_app(runtime, channels=[channel])
        await channel.start()
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=server),
                                 base_url="http://relocbot.test")
        harness = SlackHarness(fake=fake_slack, channel=channel, runtime=runtime, http=http)
        opened.append(harness)
        return harness

    yield make
    for harness in opened:
        await harness.http.aclose()
        await harness.channel.stop()


@pytest.fixture
async def slack(make_slack: MakeSlack) -> SlackHarness:
    return await make_slack()
