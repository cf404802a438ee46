"""Delivery ids and their claims (issue #13, item 6): an event is recorded as processed with
its handling, not before it. A handling cut short (the request timed out: ``RequestTimeout``
cancels it and Telegram or Slack send the update again) leaves the retry to be handled; a
claim left by a killed process expires; a handled event stays a duplicate."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.answering.llm import build_chat_model
from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.openai_server import FakeOpenAI

QUESTION = "Pourquoi relocaliser la production en France ?"


async def test_a_handling_cut_short_by_the_request_timeout_lets_the_retry_through(
    kb: KnowledgeBase, db: Database, catalog: Catalog, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, llm_model="gpt-test",
                        llm_base_url=fake_openai.base_url, llm_api_key="sk-test",
                        llm_timeout=60, _env_file=None)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings,
                    chat_model=build_chat_model(settings))
    update = Incoming(channel="telegram", conversation_key="telegram:5:5", user_id="5",
                      text=QUESTION, event_id="update:9001")
    fake_openai.delay = 30                     # the model is slow today
    with pytest.raises(TimeoutError):          # what RequestTimeout does to a slow request
        await asyncio.wait_for(bot.handle(update), timeout=1)
    fake_openai.delay = 0
    retried = await bot.handle(update)         # Telegram sends the same update again
    assert retried
    assert retried[0].blocks       # answered, not dropped as a duplicate
    assert await bot.handle(update) == []      # once handled, a copy is a duplicate


async def test_claims_expire_unless_their_handling_finished(db: Database) -> None:
    assert await db.claim_event("tg:update:1")
    assert not await db.claim_event("tg:update:1")                 # being handled
    assert await db.claim_event("tg:update:1", lease=dt.timedelta(0))  # its process died
    await db.finish_event("tg:update:1")
    assert not await db.claim_event("tg:update:1", lease=dt.timedelta(0))  # handled: a copy
    assert await db.claim_event("tg:update:2")
    await db.release_event("tg:update:2")                           # failed: not a copy
    assert await db.claim_event("tg:update:2")
