"""One ASGI app for production webhooks: channel routes, ``/healthz``, body-size limit.

Usage::

    app = build_app(runtime, channels=enabled_channels(runtime, webhook=True))
    uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.base import Channel
from bot.app import Runtime

__all__ = ["BodyLimit", "build_app"]


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, before any handler reads."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await PlainTextResponse("payload too large", status_code=413)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_app(runtime: Runtime, *, channels: Sequence[Channel]) -> ASGIApp:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())

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
    return BodyLimit(app, max_bytes=runtime.settings.max_body_bytes)
