"""A small key-value store for the channel adapters (table ``channel_store``): what an adapter
remembers between deliveries, shared by replicas and kept across restarts (the Slack threads
the bot answered in, the private answers a user may still share), with an optional expiry.

Values are JSON objects (``dict``), one per ``(namespace, key)``; ``put`` replaces the
whole value (an upsert: concurrent writers never fail, the last one wins). An entry past its
expiry is invisible at once (``get`` gives ``None``, ``delete`` finds nothing) and removed by
``purge_expired`` or the retention sweep (``bot.storage.retention``: expired entries, and
those not written for the conversations' retention period).

Erasure (``/oublier``) does not look here: adapters keep no personal data in this store
beyond the channel's own identifiers (Slack team, channel, user ids and message timestamps)
and the answers the bot itself wrote; keep it that way.

Usage::

    store = db.channel_store
    await store.put(namespace="slack-thread", key="T1:C1:1700000000.000100",
                    value={"bot": True}, ttl_seconds=30 * 86400)
    await store.get(namespace="slack-thread", key="T1:C1:1700000000.000100")  # {"bot": True}
    await store.delete(namespace="slack-thread", key="T1:C1:1700000000.000100")  # True
    await store.purge_expired()                                                  # rows removed
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.guard import reading, writing
from bot.storage.tables import ChannelEntry, utcnow
from bot.storage.upsert import upsert

__all__ = ["KEY_CHARS", "NAMESPACE_CHARS", "ChannelStore"]

NAMESPACE_CHARS = 64
KEY_CHARS = 255


def _checked(namespace: str, key: str) -> None:
    if not namespace or len(namespace) > NAMESPACE_CHARS:
        raise ValueError(f"namespace must have 1 to {NAMESPACE_CHARS} characters")
    if not key or len(key) > KEY_CHARS:
        raise ValueError(f"key must have 1 to {KEY_CHARS} characters")


def _live(now: dt.datetime) -> Any:
    return or_(ChannelEntry.expires_at.is_(None), ChannelEntry.expires_at > now)


class ChannelStore:
    """Namespaced JSON entries with an optional time to live; reached as ``db.channel_store``.
    Database failures raise ``StorageError``; a bad namespace or key (empty, too long) or a
    non-``dict`` value raises ``ValueError`` / ``TypeError`` on every backend."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def get(self, *, namespace: str, key: str) -> dict[str, Any] | None:
        """The entry's value (a fresh copy), or ``None`` when absent or expired."""
        _checked(namespace, key)
        async with reading(self._sessions) as session:
            text = await session.scalar(select(ChannelEntry.value).where(
                ChannelEntry.namespace == namespace, ChannelEntry.key == key,
                _live(self._clock())))
        if text is None:
            return None
        value = json.loads(text)
        return value if isinstance(value, dict) else None

    async def put(self, *, namespace: str, key: str, value: dict[str, Any],
                  ttl_seconds: float | None = None) -> None:
        """Store ``value`` (JSON-serialisable) under ``(namespace, key)``, replacing any
        previous one; it expires ``ttl_seconds`` from now (never when ``None``)."""
        _checked(namespace, key)
        if not isinstance(value, dict):
            raise TypeError("a channel store value is a dict")
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive (or None: no expiry)")
        now = self._clock()
        row = {"namespace": namespace, "key": key,
               "value": json.dumps(value, ensure_ascii=False, separators=(",", ":")),
               "expires_at": None if ttl_seconds is None
               else now + dt.timedelta(seconds=ttl_seconds),
               "updated_at": now}
        async with writing(self._sessions) as session:
            await upsert(session, ChannelEntry, row, keys=("namespace", "key"))

    async def delete(self, *, namespace: str, key: str) -> bool:
        """Remove the entry; ``True`` when there was a live one (an expired one is left for
        ``purge_expired``)."""
        _checked(namespace, key)
        async with writing(self._sessions) as session:
            result = await session.execute(delete(ChannelEntry).where(
                ChannelEntry.namespace == namespace, ChannelEntry.key == key,
                _live(self._clock())))
            return bool(getattr(result, "rowcount", 0))

    async def purge_expired(self) -> int:
        """Delete every expired entry; returns how many."""
        async with writing(self._sessions) as session:
            result = await session.execute(delete(ChannelEntry).where(
                ChannelEntry.expires_at <= self._clock()))
            return int(getattr(result, "rowcount", 0) or 0)
