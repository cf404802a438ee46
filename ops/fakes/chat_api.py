"""The common part of the local fake LLM APIs (aiohttp on 127.0.0.1, random port): every
request is recorded with its headers, and the reply, an HTTP error status or a hang are
scripted. A hang is bounded: ``delay`` is capped at ``MAX_DELAY`` and ``stop()`` releases it.

Subclasses add the route and the provider's JSON shape (see ``mistral_api``, ``ollama_api``,
``albert_api``).

Usage::

    fake = FakeMistral()
    base_url = await fake.start()
    fake.reply = "Réponse [1]."        # or fake.status = 500, or fake.delay = 3.0
    ...
    [request] = fake.requests
    request.body["model"], request.headers["authorization"]
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from aiohttp import web

MAX_DELAY = 10.0


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lower-cased

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("authorization")
        return auth.removeprefix("Bearer ") if auth else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class ChatAPIFake(ABC):
    """Base: subclasses set ``route`` (the chat path), ``root`` (what the base URL ends with)
    and implement ``_chat``."""

    route = ""
    root = ""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.reply = "Réponse [1]."
        self.status = 200
        self.delay = 0.0
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._released = asyncio.Event()

    async def record(self, request: web.Request) -> Recorded:
        """Record the request, then wait ``delay`` seconds (bounded, cut short by ``stop()``)."""
        body = await request.json()
        recorded = Recorded(request.path, body,
                            {k.lower(): v for k, v in request.headers.items()})
        self.requests.append(recorded)
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), min(self.delay, MAX_DELAY))
        return recorded

    @abstractmethod
    async def _chat(self, request: web.Request) -> web.StreamResponse:
        """Answer one chat request in the provider's JSON shape (each subclass)."""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(self.route, self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}{self.root}"
        return self.base_url

    async def stop(self) -> None:
        self._released.set()
        if self._runner:
            await self._runner.cleanup()
