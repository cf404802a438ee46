"""A local fake of Ollama's native API: ``POST /api/chat`` answered in Ollama's shape. Like the
real server, a request without ``"stream": false`` is streamed as NDJSON (one chunk per word,
then a ``done`` chunk with the durations and counts) — ``ChatOllama`` streams by default, even
for ``ainvoke``; ``"stream": false`` gets one JSON object. Errors are ``{"error": "..."}``.

Usage::

    fake = FakeOllama()
    base_url = await fake.start()                    # "http://127.0.0.1:PORT" (no /v1)
    settings = Settings(llm_model="ollama:llama3.1:8b", llm_base_url=base_url, ...)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from aiohttp import web

from ops.fakes.chat_api import ChatAPIFake


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


class FakeOllama(ChatAPIFake):
    route = "/api/chat"
    root = ""

    def _final(self, model: str, content: str) -> dict[str, Any]:
        return {"model": model, "created_at": _now(),
                "message": {"role": "assistant", "content": content},
                "done": True, "done_reason": "stop", "total_duration": 5_000_000,
                "load_duration": 1_000_000, "prompt_eval_count": 42,
                "prompt_eval_duration": 2_000_000, "eval_count": 7, "eval_duration": 2_000_000}

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        recorded = await self.record(request)
        body = recorded.body
        model = str(body.get("model", ""))
        if self.status != 200:
            return web.json_response({"error": "fake failure"}, status=self.status)
        if body.get("stream", True) is False:
            return web.json_response(self._final(model, self.reply))
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for piece in re.findall(r"\S+\s*", self.reply):
            chunk = {"model": model, "created_at": _now(),
                     "message": {"role": "assistant", "content": piece}, "done": False}
            await response.write(json.dumps(chunk, ensure_ascii=False).encode() + b"\n")
        final = json.dumps(self._final(model, ""), ensure_ascii=False)
        await response.write(final.encode() + b"\n")
        await response.write_eof()
        return response
