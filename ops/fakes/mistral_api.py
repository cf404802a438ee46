"""A local fake of Mistral's chat API: ``POST /v1/chat/completions`` answered in Mistral's JSON
shape (``object: chat.completion``, ``message.prefix``/``tool_calls``, errors as
``{"object": "error", ...}``). ``ChatMistralAI.ainvoke`` does not stream; a streaming request
gets a 400 so that a change in the client shows up as a failing test.

Usage::

    fake = FakeMistral()
    base_url = await fake.start()                    # "http://127.0.0.1:PORT/v1"
    settings = Settings(llm_model="mistralai:mistral-small-latest", llm_base_url=base_url, ...)
"""

from __future__ import annotations

import itertools
import time

from aiohttp import web

from ops.fakes.chat_api import ChatAPIFake


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"object": "error", "message": message, "type": "api_error",
                              "param": None, "code": str(status)}, status=status)


class FakeMistral(ChatAPIFake):
    route = "/v1/chat/completions"
    root = "/v1"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)

    async def _chat(self, request: web.Request) -> web.Response:
        recorded = await self.record(request)
        body = recorded.body
        if self.status != 200:
            return _error("fake failure", self.status)
        if body.get("stream"):
            return _error("the fake Mistral API does not stream", 400)
        return web.json_response({
            "id": f"cmpl-{next(self._ids):032x}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "mistral-small-latest"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": self.reply,
                                     "tool_calls": None, "prefix": False}}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
        })
