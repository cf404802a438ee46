"""One ordered chain for cross-cutting concerns, in the manner of bolt's middleware.

Each middleware gets the context and ``next``; it may answer itself (and stop the chain) or
call ``await next(ctx)``. The default order (see ``Assistant``)::

    LogContext -> RateLimit -> ConversationLock -> Dedupe -> Language -> InputGuard -> router

Usage::

    class Shout:
        async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
            return await next(ctx)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.i18n import Catalog, Lang, detect_language, normalise_lang
from bot.messages import Incoming, Reply
from bot.metrics import Metrics
from bot.storage import ConversationState, Database

__all__ = [
    "Context",
    "ConversationLock",
    "Dedupe",
    "Handler",
    "InputGuard",
    "Language",
    "LogContext",
    "Middleware",
    "RateLimit",
    "pick_language",
    "reply_language",
    "run_chain",
]

log = logging.getLogger("relocbot.messages")


@dataclass
class Context:
    incoming: Incoming
    lang: Lang = "fr"
    state: ConversationState | None = None
    outcome: str = "answered"
    extra: dict[str, object] = field(default_factory=dict)

    def reply(self, catalog: Catalog, key: str, *, kind: str = "info", **values: object) -> Reply:
        return Reply(blocks=(catalog.t(key, self.lang, **values),), kind=kind)


Handler = Callable[[Context], Awaitable[list[Reply]]]


class Middleware(Protocol):
    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]: ...


def run_chain(chain: Sequence[Middleware], endpoint: Handler) -> Handler:
    handler = endpoint
    for middleware in reversed(chain):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: Middleware, nxt: Handler) -> Handler:
    async def call(ctx: Context) -> list[Reply]:
        return await middleware.process(ctx=ctx, next=nxt)

    return call


class LogContext:
    """One log line per event (channel, kind, outcome, latency; never the text) and the
    Prometheus counters when ``metrics`` is given."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        started = time.perf_counter()
        replies = await next(ctx)
        elapsed = time.perf_counter() - started
        if self.metrics is not None:
            channel = ctx.incoming.channel
            self.metrics.messages.labels(channel=channel, outcome=ctx.outcome).inc()
            self.metrics.latency.labels(channel=channel).observe(elapsed)
            if ctx.outcome == "declined":
                self.metrics.declines.labels(channel=channel).inc()
        log.info(
            "event handled",
            extra={
                "channel": ctx.incoming.channel,
                "kind": ctx.incoming.kind,
                "outcome": ctx.outcome,
                "lang": ctx.lang,
                "latency_ms": round(elapsed * 1000, 1),
            },
        )
        return replies


class ConversationLock:
    """One event of a conversation at a time, in arrival order (``Database.conversation_lock``:
    in-process lock, and an advisory lock on PostgreSQL). It runs after ``RateLimit``, so a
    throttled event takes no lock and no database connection."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        async with self.db.conversation_lock(ctx.incoming.conversation_key):
            return await next(ctx)


class Dedupe:
    """A delivery id seen before (retries, restarts, a second replica) is processed once.

    The id is claimed before the handling and marked done after it; a handling that fails or
    is cancelled (the request timed out) releases its claim, so the sender's retry is handled
    instead of being dropped as a duplicate. A claim left by a killed process expires
    (``Database.claim_event``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        event_id = ctx.incoming.event_id
        if not event_id:
            return await next(ctx)
        key = f"{ctx.incoming.channel}:{event_id}"
        if not await self.db.claim_event(key):
            ctx.outcome = "duplicate"
            return []
        try:
            replies = await next(ctx)
        except BaseException:
            await self._release(key)
            raise
        await self.db.finish_event(key)
        return replies

    async def _release(self, key: str) -> None:
        """Release the claim even when this task is being cancelled; if the database refuses,
        the claim expires by itself and the error being raised is the one that counts."""
        try:
            await asyncio.shield(self.db.release_event(key))
        except Exception as exc:
            log.warning("event claim not released (it will expire): %s", type(exc).__name__)


class Language:
    """Loads the conversation state and picks the reply language for this message."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        incoming = ctx.incoming
        state = await self.db.load_state(incoming.conversation_key, channel=incoming.channel)
        ctx.state = state
        ctx.lang = pick_language(state, incoming)
        if not state.lang_locked and incoming.text and len(incoming.text.split()) >= 3:
            state.lang = ctx.lang  # a short "thanks, bye" keeps the language of the talk
        return await next(ctx)


def pick_language(state: ConversationState, incoming: Incoming) -> Lang:
    """The language chosen with /langue, else the one the message is written in (short or
    unclear messages keep the conversation's, then the client's, then French)."""
    known = normalise_lang(state.lang) or normalise_lang(incoming.lang_hint) or "fr"
    if state.lang_locked or not incoming.text or incoming.text.startswith("/"):
        return known
    return detect_language(incoming.text, default=known)


async def reply_language(db: Database, incoming: Incoming) -> Lang:
    state = await db.load_state(incoming.conversation_key, channel=incoming.channel)
    return pick_language(state, incoming)


class RateLimit:
    """At most ``per_minute`` events per user in any 60 s window (sliding), and at most
    ``global_per_second`` events for the whole process (token bucket, burst of one second).

    It runs before ``Dedupe`` and ``Language`` so that a flood costs no database work: a
    throttled event is dropped in memory, and the user gets one polite refusal per window (in
    their language, read from the state only then). Idle users are forgotten, so memory stays
    flat however many users come and go.
    """

    def __init__(self, catalog: Catalog, *, per_minute: int, db: Database | None = None,
                 global_per_second: float = 0, clock: Callable[[], float] =
                 time.monotonic) -> None:
        self.catalog = catalog
        self.per_minute = per_minute
        self.db = db
        self.global_per_second = global_per_second
        self.clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}
        self._tokens = float(global_per_second)
        self._refilled = clock()
        self._calls = 0

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        now = self.clock()
        key = f"{ctx.incoming.channel}:{ctx.incoming.user_id}"
        self._calls += 1
        if self._calls % 1000 == 0:
            self._forget_idle(now)
        window = self._seen[key]
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return await self._refuse(ctx, key, now, "rate-limited", "rate_limited")
        if not self._take_token(now):
            return await self._refuse(ctx, key, now, "overloaded", "overloaded")
        window.append(now)
        return await next(ctx)

    def _take_token(self, now: float) -> bool:
        if self.global_per_second <= 0:
            return True
        rate = self.global_per_second
        self._tokens = min(rate, self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def _refuse(self, ctx: Context, key: str, now: float, outcome: str,
                      message: str) -> list[Reply]:
        ctx.outcome = outcome
        # One refusal per window: a flood gets one polite message, not a thousand.
        if now - self._warned.get(key, -60.0) < 60:
            return []
        self._warned[key] = now
        if self.db is not None:
            ctx.lang = await reply_language(self.db, ctx.incoming)
        return [ctx.reply(self.catalog, message, kind="warning")]

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, w in self._seen.items() if not w or now - w[-1] >= 60]:
            del self._seen[key]
        for key in [k for k, t in self._warned.items() if now - t >= 60]:
            del self._warned[key]


class InputGuard:
    """Empty, oversized or non-text messages get a polite answer and change nothing."""

    def __init__(self, catalog: Catalog, *, max_chars: int) -> None:
        self.catalog = catalog
        self.max_chars = max_chars

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.kind == "unsupported":
            ctx.outcome = "unsupported"
            return [ctx.reply(self.catalog, "unsupported_media", kind="warning")]
        if incoming.kind == "text":
            text = (incoming.text or "").strip()
            if not text:
                ctx.outcome = "empty"
                return [ctx.reply(self.catalog, "empty_message", kind="warning")]
            if len(text) > self.max_chars:
                ctx.outcome = "too-long"
                return [ctx.reply(self.catalog, "too_long", kind="warning", length=len(text),
                                  limit=self.max_chars)]
        return await next(ctx)
