"""One ASGI app for production webhooks: channel routes, ``/healthz``, ``/readyz``,
``/metrics`` (Prometheus), a request body-size limit, a request timeout and an access log.
``/readyz`` and ``/metrics`` (database queries) need the bearer token ``RELOCBOT_OPS_TOKEN``.

The app sees the core through small parts, never the whole runtime: the channels, a
``Readiness`` over the database and the index, a ``metrics`` callable and a ``ServerConfig``.

Usage::

    app = build_asgi_app(channels=channels, readiness=Readiness(db=db, kb=kb),
                         metrics=render_metrics, config=ServerConfig.from_settings(settings))
    uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.base import Channel
from bot.metrics import CONTENT_TYPE
from bot.settings import Settings
from bot.storage import Database
from knowledge.base import KnowledgeBase

__all__ = [
    "AccessLog",
    "BodyLimit",
    "Readiness",
    "RequestTimeout",
    "ServerConfig",
    "build_asgi_app",
    "ops_authorised",
]

log = logging.getLogger("relocbot.http")
READY_DEADLINE = 2.0  # seconds per readiness check
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413 before any handler runs:
    by ``Content-Length`` when given, otherwise by reading (and replaying) the stream."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_large = PlainTextResponse("payload too large", status_code=413)
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size, more = 0, True
        while more:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            more = message.get("more_body", False) and message["type"] == "http.request"
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class RequestTimeout:
    """A request still running after ``seconds`` gets 504 (if nothing was sent yet) and is
    cancelled; webhook senders retry, and our dedupe makes the retry safe."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, tracking), self.seconds)
        except TimeoutError:
            log.warning("request timed out", extra={"path": scope.get("path")})
            if not started:
                await PlainTextResponse("timeout", status_code=504)(scope, receive, send)


class AccessLog:
    """One log line per HTTP request: method, path, status, latency and a request id (taken
    from ``X-Request-ID`` or generated, and echoed back). Never bodies or query strings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info("http request", extra={
                "method": scope.get("method"), "path": scope.get("path"), "status": status,
                "request_id": request_id,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)})


class Readiness:
    """The readiness checks, each bounded by ``deadline`` seconds and run off the event loop
    where it blocks (Chroma's client is synchronous): a stalled dependency reads as not ready
    instead of freezing the server. Concurrent callers share the Chroma check in flight."""

    def __init__(self, *, db: Database, kb: KnowledgeBase,
                 deadline: float = READY_DEADLINE) -> None:
        self.db = db
        self.kb = kb
        self.deadline = deadline
        self._chroma: asyncio.Future[bool] | None = None

    async def _bounded(self, check: Awaitable[bool]) -> bool:
        try:
            return await asyncio.wait_for(check, self.deadline)
        except TimeoutError:
            return False

    def _chroma_ping(self) -> asyncio.Future[bool]:
        if self._chroma is None or self._chroma.done():
            self._chroma = asyncio.ensure_future(
                asyncio.to_thread(self.kb.retriever.dense.ping))
        return self._chroma

    async def checks(self) -> dict[str, bool]:
        database, chroma = await asyncio.gather(
            self._bounded(self.db.ping()),
            self._bounded(asyncio.shield(self._chroma_ping())))
        return {"database": database, "index": len(self.kb.retriever.store) > 0,
                "chroma": chroma}


def ops_authorised(request: Request, token: SecretStr | None) -> bool:
    """``/readyz`` and ``/metrics`` need ``Authorization: Bearer <RELOCBOT_OPS_TOKEN>``; with
    no token configured they are closed."""
    if token is None:
        return False
    given = request.headers.get("authorization", "").encode("latin-1", "replace")
    return hmac.compare_digest(given, f"Bearer {token.get_secret_value()}".encode())


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """The HTTP limits and the operators' token (``RELOCBOT_OPS_TOKEN``)."""

    max_body_bytes: int = 1_000_000
    request_timeout_seconds: float = 30.0
    ops_token: SecretStr | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerConfig:
        return cls(max_body_bytes=settings.max_body_bytes,
                   request_timeout_seconds=settings.request_timeout_seconds,
                   ops_token=settings.ops_token)


def build_asgi_app(*, channels: Sequence[Channel], readiness: Readiness,
                   metrics: Callable[[bool], Awaitable[bytes]],
                   config: ServerConfig, console: ASGIApp | None = None) -> ASGIApp:
    """``metrics(with_database)`` renders the Prometheus page (``False`` when the database is
    down: the in-process counters only); ``console``, when given, is mounted under
    ``/console`` (``adapters.console``)."""
    token = config.ops_token

    def refused() -> Response:
        return PlainTextResponse("unauthorized", status_code=401,
                                 headers={"WWW-Authenticate": "Bearer"})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not ops_authorised(request, token):
            return refused()
        checks = await readiness.checks()
        ready = all(checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    async def metrics_page(request: Request) -> Response:
        if not ops_authorised(request, token):
            return refused()
        try:
            body = await metrics(True)
        except Exception:  # the database is down: still expose the in-process counters
            log.warning("metrics: database unavailable", exc_info=True)
            body = await metrics(False)
        return Response(body, media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    for channel in channels:
        routes.extend(channel.routes())
    if console is not None:
        routes.append(Mount("/console", app=console))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for channel in channels:
            await channel.start()
        try:
            yield
        finally:
            for channel in reversed(channels):
                await channel.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    limited = BodyLimit(app, max_bytes=config.max_body_bytes)
    return AccessLog(RequestTimeout(limited, seconds=config.request_timeout_seconds))
