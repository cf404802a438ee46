"""The rate limits: per user (sliding minute) and per process (token bucket), checked before
any database work, with one refusal per window in the user's language."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.middleware import Context, RateLimit
from bot.settings import Settings
from bot.storage import Database
from bot.storage.tables import ProcessedEvent
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def msg(text: str, *, user: str = "u1", event: str | None = None) -> Incoming:
    return Incoming(channel="test", conversation_key=f"test:{user}", user_id=user, text=text,
                    event_id=event, kind="text")


def text_of(replies: list[Reply]) -> str:
    return "\n".join(block for reply in replies for block in reply.blocks)


async def _passed(ctx: Context) -> list[Reply]:
    return [Reply(blocks=("ok",))]


async def test_the_global_bucket_sheds_load_then_refills(catalog: Catalog) -> None:
    clock = Clock()
    limit = RateLimit(catalog, per_minute=1000, global_per_second=10, clock=clock)
    outcomes = []
    for i in range(15):                       # fifteen users at the same instant
        ctx = Context(incoming=msg("/aide", user=f"u{i}"))
        replies = await limit.process(ctx=ctx, next=_passed)
        outcomes.append((ctx.outcome, text_of(replies)))
    assert outcomes[:10] == [("answered", "ok")] * 10
    assert outcomes[10:] == [("overloaded", catalog.t("overloaded", "fr"))] * 5
    clock.now += 0.5                          # half a second: five tokens back
    passed = [await limit.process(ctx=Context(incoming=msg("/aide", user=f"v{i}")),
                                  next=_passed) for i in range(6)]
    assert [text_of(r) for r in passed] == ["ok"] * 5 + [catalog.t("overloaded", "fr")]


async def test_no_global_limit_when_zero(catalog: Catalog) -> None:
    limit = RateLimit(catalog, per_minute=10**6, global_per_second=0, clock=Clock())
    for i in range(500):
        assert text_of(await limit.process(ctx=Context(incoming=msg("x", user=str(i))),
                                           next=_passed)) == "ok"


async def test_idle_users_are_forgotten(catalog: Catalog) -> None:
    clock = Clock()
    limit = RateLimit(catalog, per_minute=3, clock=clock)
    for i in range(999):
        await limit.process(ctx=Context(incoming=msg("x", user=str(i))), next=_passed)
    assert len(limit._seen) == 999
    clock.now += 61
    await limit.process(ctx=Context(incoming=msg("x", user="late")), next=_passed)
    assert list(limit._seen) == ["test:late"]


@pytest.fixture
def bot(kb: KnowledgeBase, db: Database, catalog: Catalog) -> Assistant:
    settings = Settings(rate_limit_per_minute=5, _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings, clock=Clock())


async def test_a_flood_costs_no_database_work(bot: Assistant, db: Database) -> None:
    for i in range(200):
        await bot.handle(msg(f"/aide {i}", event=str(i)))
    async with db.sessions() as session:
        claimed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert claimed == 5                        # only the accepted events reached the DB


async def test_the_refusal_is_in_the_users_chosen_language(bot: Assistant,
                                                           catalog: Catalog) -> None:
    await bot.handle(msg("/langue en"))
    for _ in range(4):
        await bot.handle(msg("/aide"))
    assert text_of(await bot.handle(msg("/aide"))) == catalog.t("rate_limited", "en")
