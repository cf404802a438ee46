"""A local OpenAI-compatible chat server (aiohttp) that records requests and replies on cue."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from ops.fakes.loopback import serve_on_loopback


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = "Réponse [1]."
        self.queue: list[str] = []  # replies in order, before falling back to ``reply``
        self.status = 200
        self.delay = 0.0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "boom", "type": "server"}},
                                     status=self.status)
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant",
                                     "content": self.queue.pop(0) if self.queue
                                     else self.reply}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def last_messages(self) -> list[dict[str, Any]]:
        return list(self.requests[-1]["messages"])

    def dumps(self) -> str:
        return json.dumps(self.requests, ensure_ascii=False)
