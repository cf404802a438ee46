"""Many conversations at once (issue #13, item 2): on PostgreSQL each conversation being
handled holds a pooled connection for its advisory lock and needs another for its queries;
100 at once used to exhaust the pool (40) and time out after 30 s. Now all are answered, in
each conversation's order, and a throttled flood takes no connection at all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

from bot.errors import StorageError
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

CONVERSATIONS = 100


def say(i: int, text: str) -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:c{i}", user_id=f"c{i}",
                    text=text, event_id=f"c{i}:{text}")


def press(i: int, action: str) -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:c{i}", user_id=f"c{i}",
                    action=action, kind="action", event_id=f"c{i}:{action}")


async def test_100_concurrent_conversations_are_all_answered_in_order(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=1000,
                        rate_limit_global_per_second=0, _env_file=None)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    steps: list[Callable[[int], Incoming]] = [
        lambda i: say(i, "Quelles aides pour relocaliser une usine ?"),
        lambda i: say(i, "/conseiller"), lambda i: press(i, "lf:consent:yes"),
        lambda i: say(i, f"Société {i}")]
    # Every event of every conversation at once; a conversation's events in its order.
    incomings = [step(i) for step in steps for i in range(CONVERSATIONS)]
    results = await asyncio.gather(*(bot.handle(m) for m in incomings),
                                   return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    timed_out = [r for r in failures if isinstance(r, StorageError)]
    answered = {m.conversation_key for m, r in zip(incomings, results, strict=True)
                if isinstance(r, list) and r}
    assert (len(answered), len(timed_out), failures) == (CONVERSATIONS, 0, [])
    for i in range(CONVERSATIONS):     # the company answer came after the consent, as sent
        state = await db.load_state(f"terminal:c{i}", channel="terminal")
        assert state.flow == "lead", i
        assert state.data["lead"]["answers"]["company"] == f"Société {i}"


async def test_a_throttled_flood_takes_no_database_connection(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=5,
                        _env_file=None)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    for i in range(6):                  # five accepted, then the one polite refusal
        replies: list[Reply] = await bot.handle(say(0, f"/aide {i}"))
        assert replies
    checkouts: list[object] = []

    def count(*_: object) -> None:
        checkouts.append(None)

    event.listen(db.engine.sync_engine, "checkout", count)
    try:
        for i in range(200):
            assert await bot.handle(say(0, f"/aide flood {i}")) == []
    finally:
        event.remove(db.engine.sync_engine, "checkout", count)
    assert checkouts == []
