"""What the Slack adapter remembers between deliveries, in the channel adapters' own key-value
store (``bot.storage.ChannelStore``: it survives restarts and is shared by replicas): the
threads the bot answered in, and the private ``/reloc`` answers a user may still share in the
channel. In memory only: the work in flight.

Usage::

    threads = ThreadMarks(db.channel_store)
    await threads.mark("T1", "C1", "1700000000.000100")
    await threads.is_marked("T1", "C1", "1700000000.000100")      # -> True

    shares = ShareStore(db.channel_store)
    share_id = await shares.put("T1", "U1", blocks=blocks, text="…")
    await shares.get("T1", "U1", share_id)                          # -> {"blocks": …, "text": …}

    work = InFlight()
    work.track()                        # inside a listener task
    async with work.ordered("slack:T1:dm:U1"): ...
    await work.drain(timeout=10)        # at shutdown
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections import OrderedDict
from typing import Any

from adapters.slack.convert import thread_marker_key
from bot.storage import ChannelStore

__all__ = ["SHARES", "THREADS", "InFlight", "ShareStore", "ThreadMarks"]

THREADS = "slack-thread"
SHARES = "slack-share"
log = logging.getLogger("relocbot.slack")


class InFlight:
    """Listener tasks still running (bolt runs them after ``ack()``), and one lock per
    conversation so that its answers are posted in the order its messages arrived."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self._order: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def track(self) -> None:
        """Register the current task (call it first thing in a listener)."""
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def ordered(self, key: str) -> asyncio.Lock:
        lock = self._order.get(key)
        if lock is None:
            lock = self._order[key] = asyncio.Lock()
        return lock

    async def drain(self, timeout: float = 10.0) -> bool:  # noqa: ASYNC109 - a grace period (False if work is left)
        """Wait for the listeners already started; ``False`` if some were still running."""
        await asyncio.sleep(0)  # tasks scheduled just before this call start and register
        current = asyncio.current_task()
        pending = {t for t in self.tasks if t is not current and not t.done()}
        while pending:
            _, still = await asyncio.wait(pending, timeout=timeout)
            if still:
                log.warning("slack: %d listener(s) still running at drain", len(still))
                return False
            await asyncio.sleep(0)
            pending = {t for t in self.tasks if t is not current and not t.done()}
        return True


class ThreadMarks:
    """Threads the bot answered in: follow-ups there are answered without a new mention.
    A marker lives ``ttl_days`` (a thread nobody wrote in for months is a new conversation)."""

    def __init__(self, store: ChannelStore, *, cache_size: int = 10_000,
                 ttl_days: float = 90) -> None:
        self.store = store
        self.cache_size = cache_size
        self.ttl_seconds = ttl_days * 86400
        self._known: OrderedDict[str, None] = OrderedDict()

    def _remember(self, key: str) -> None:
        self._known[key] = None
        self._known.move_to_end(key)
        while len(self._known) > self.cache_size:
            self._known.popitem(last=False)

    async def mark(self, team: str, channel: str, thread_ts: str) -> None:
        key = thread_marker_key(team, channel, thread_ts)
        if key in self._known:
            return
        await self.store.put(namespace=THREADS, key=key, value={"bot": True},
                             ttl_seconds=self.ttl_seconds)
        self._remember(key)

    async def is_marked(self, team: str, channel: str, thread_ts: str) -> bool:
        key = thread_marker_key(team, channel, thread_ts)
        if key in self._known:
            return True
        if await self.store.get(namespace=THREADS, key=key) is not None:
            self._remember(key)
            return True
        return False


class ShareStore:
    """The last ``keep`` private answers of each user, ready to be posted in the channel for
    ``ttl_days`` (one entry per user: the ids in order, and the answers)."""

    def __init__(self, store: ChannelStore, *, keep: int = 20, ttl_days: float = 7) -> None:
        self.store = store
        self.keep = keep
        self.ttl_seconds = ttl_days * 86400
        # One lock per user while a put is under way only: a lock nobody holds or waits for
        # is forgotten (a dict kept one per Slack user forever).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    @staticmethod
    def _key(team: str, user: str) -> str:
        return f"{team}:{user}"

    async def put(self, team: str, user: str, *, blocks: list[dict[str, Any]], text: str,
                  share_id: str | None = None) -> str:
        share_id = share_id or uuid.uuid4().hex[:16]
        key = self._key(team, user)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            saved = await self.store.get(namespace=SHARES, key=key) or {}
            answers: dict[str, Any] = dict(saved.get("answers") or {})
            answers[share_id] = {"blocks": blocks, "text": text}
            for old in list(answers)[: max(0, len(answers) - self.keep)]:
                del answers[old]
            await self.store.put(namespace=SHARES, key=key, value={"answers": answers},
                                 ttl_seconds=self.ttl_seconds)
        return share_id

    async def get(self, team: str, user: str, share_id: str) -> dict[str, Any] | None:
        saved = await self.store.get(namespace=SHARES, key=self._key(team, user)) or {}
        answer = (saved.get("answers") or {}).get(share_id)
        return answer if isinstance(answer, dict) else None
