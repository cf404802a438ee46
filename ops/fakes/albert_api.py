"""A local fake of an OpenAI-compatible public endpoint such as the French State's Albert API
(``POST /v1/chat/completions``, OpenAI's JSON shape, ``Authorization: Bearer <key>``). Unlike
``openai_server.FakeOpenAI`` it records the headers, so tests can check the API key.

Usage::

    fake = FakeAlbert()
    base_url = await fake.start()                    # "http://127.0.0.1:PORT/v1"
    settings = Settings(llm_model="albert-large", llm_base_url=base_url, llm_api_key="...")
"""

from __future__ import annotations

import time

from aiohttp import web

from ops.fakes.chat_api import ChatAPIFake


class FakeAlbert(ChatAPIFake):
    route = "/v1/chat/completions"
    root = "/v1"

    async def _chat(self, request: web.Request) -> web.Response:
        recorded = await self.record(request)
        body = recorded.body
        if self.status != 200:
            return web.json_response({"detail": "fake failure"}, status=self.status)
        if body.get("stream"):
            return web.json_response({"detail": "the fake does not stream"}, status=400)
        return web.json_response({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "albert-large"),
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": self.reply}}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
        })
