"""The channel adapters' key-value store, on SQLite and PostgreSQL: namespaced JSON values,
replaced whole, invisible once expired, purged by ``purge_expired`` and the retention sweep."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.storage import ChannelStore, Database
from bot.storage.retention import Retention, prune

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


async def test_put_get_replace_delete(db: Database) -> None:
    store = db.channel_store
    assert await store.get(namespace="slack-thread", key="T1:C1:17.1") is None
    await store.put(namespace="slack-thread", key="T1:C1:17.1", value={"bot": True})
    await store.put(namespace="slack-share", key="T1:C1:17.1", value={"other": "namespace"})
    assert await store.get(namespace="slack-thread", key="T1:C1:17.1") == {"bot": True}
    value = {"answers": {"a1": {"text": "Réponse « accentuée » ✓", "blocks": [{"n": 1}]}}}
    await store.put(namespace="slack-thread", key="T1:C1:17.1", value=value)
    got = await store.get(namespace="slack-thread", key="T1:C1:17.1")
    assert got == value
    assert got is not None
    assert got is not value
    got["answers"] = {}                                   # a copy: the store is unchanged
    assert await store.get(namespace="slack-thread", key="T1:C1:17.1") == value
    assert await store.get(namespace="slack-share", key="T1:C1:17.1") == {"other": "namespace"}
    assert await store.delete(namespace="slack-thread", key="T1:C1:17.1")
    assert not await store.delete(namespace="slack-thread", key="T1:C1:17.1")
    assert await store.get(namespace="slack-thread", key="T1:C1:17.1") is None
    assert await store.get(namespace="slack-share", key="T1:C1:17.1") is not None


async def test_expired_entries_are_invisible_then_purged(db: Database) -> None:
    clock = Clock()
    store = ChannelStore(db.sessions, clock=clock)
    await store.put(namespace="ns", key="short", value={"n": 1}, ttl_seconds=60)
    await store.put(namespace="ns", key="forever", value={"n": 2})
    clock.advance(59)
    assert await store.get(namespace="ns", key="short") == {"n": 1}
    clock.advance(1)
    assert await store.get(namespace="ns", key="short") is None
    assert not await store.delete(namespace="ns", key="short")      # nothing live to delete
    assert await store.get(namespace="ns", key="forever") == {"n": 2}
    assert await store.purge_expired() == 1
    assert await store.purge_expired() == 0
    # Written again after expiry: live again, with the new expiry.
    await store.put(namespace="ns", key="short", value={"n": 3}, ttl_seconds=10)
    assert await store.get(namespace="ns", key="short") == {"n": 3}
    await store.put(namespace="ns", key="short", value={"n": 4})     # no expiry any more
    clock.advance(3600)
    assert await store.get(namespace="ns", key="short") == {"n": 4}
    assert await store.purge_expired() == 0


async def test_concurrent_writers_of_one_key_never_fail(db: Database) -> None:
    other = Database(db.url)
    try:
        await asyncio.gather(*(
            (db if i % 2 else other).channel_store.put(namespace="ns", key="k", value={"i": i})
            for i in range(10)))
    finally:
        await other.close()
    value = await db.channel_store.get(namespace="ns", key="k")
    assert value is not None
    assert value["i"] in range(10)


async def test_bad_arguments_are_refused_on_every_backend(db: Database) -> None:
    store = db.channel_store
    with pytest.raises(ValueError, match="namespace must have"):
        await store.put(namespace="", key="k", value={})
    with pytest.raises(ValueError, match="namespace must have"):
        await store.get(namespace="n" * 65, key="k")
    with pytest.raises(ValueError, match="key must have"):
        await store.delete(namespace="ns", key="k" * 256)
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        await store.put(namespace="ns", key="k", value={}, ttl_seconds=0)
    with pytest.raises(TypeError):
        await store.put(namespace="ns", key="k", value=["not", "a", "dict"])  # type: ignore[arg-type]
    await store.put(namespace="n" * 64, key="k" * 255, value={})        # the limits fit
    assert await store.get(namespace="n" * 64, key="k" * 255) == {}


async def test_the_retention_sweep_removes_expired_and_idle_entries(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    old = ChannelStore(db.sessions, clock=lambda: now - dt.timedelta(days=31))
    await old.put(namespace="ns", key="idle", value={})
    recent = ChannelStore(db.sessions, clock=lambda: now - dt.timedelta(days=29))
    await recent.put(namespace="ns", key="kept", value={})
    await recent.put(namespace="ns", key="expired", value={}, ttl_seconds=86400)
    removed = await prune(db, Retention.from_days(conversations=30, questions=90, events=7),
                          now=now)
    assert removed["channel_store"] == 2
    assert await db.channel_store.get(namespace="ns", key="kept") == {}
    assert await db.channel_store.get(namespace="ns", key="idle") is None
