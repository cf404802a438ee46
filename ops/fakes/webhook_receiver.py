"""A local webhook receiver (aiohttp) that checks Relocbot's HMAC signature independently.

Usage::

    receiver = WebhookReceiver(secret="s3cret")
    url = await receiver.start()                  # "http://127.0.0.1:PORT/hook"
    ...
    [hit] = receiver.hits
    assert hit.valid                              # signature matched the raw body
    receiver.status = 503                         # next answers: 503
    receiver.delay = 5.0                          # next answers: after 5 s
    await receiver.stop()
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ops.fakes.loopback import serve_on_loopback

__all__ = ["Hit", "WebhookReceiver"]


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, *, secret: str) -> None:
        self.secret = secret
        self.hits: list[Hit] = []
        self.status = 200
        self.delay = 0.0
        self.url = ""
        self._runner: web.AppRunner | None = None

    def expected_signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Relocbot-Signature", "")
        valid = hmac.compare_digest(signature, self.expected_signature(body))
        self.hits.append(Hit(dict(request.headers), body, valid))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not valid:
            return web.json_response({"error": "bad signature"}, status=401)
        return web.json_response({"ok": True}, status=self.status,
                                 headers={"X-Request-Id": f"req-{len(self.hits)}"})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}/hook"
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
