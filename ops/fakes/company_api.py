"""A local fake of the API Recherche d'entreprises (aiohttp on 127.0.0.1, random port).

It replays recorded ``GET /search`` answers, one JSON file per SIREN (the file name starts with
the nine digits, e.g. ``812345676_ateliers_dupont.json``); an unknown SIREN gets the API's
empty answer. It records every request, and can answer 429 with ``Retry-After``, a server
error, or hang (a delay longer than the client's timeout).

Usage::

    fake = FakeCompanyAPI.load(fixtures_dir)
    base_url = await fake.start()              # "http://127.0.0.1:PORT"
    fake.rate_limit(times=1, retry_after="1")  # the next request: 429, Retry-After: 1
    fake.delay = 5.0                           # the next answers: after 5 s
    fake.status = 503                          # the next answers: a server error
    len(fake.requests)                         # requests received
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from ops.fakes.loopback import serve_on_loopback

__all__ = ["EMPTY", "FakeCompanyAPI"]

EMPTY: dict[str, Any] = {"results": [], "total_results": 0, "page": 1, "per_page": 5,
                         "total_pages": 0}
_SIREN = re.compile(r"^(\d{9})")


class FakeCompanyAPI:
    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        self.answers: dict[str, dict[str, Any]] = dict(answers or {})
        self.requests: list[dict[str, str]] = []   # query parameters, in order
        self.status = 200
        self.delay = 0.0
        self.base_url = ""
        self._limited: list[str | None] = []        # Retry-After of the next 429 answers
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    @classmethod
    def load(cls, directory: Path) -> FakeCompanyAPI:
        """Recorded answers: ``<siren>[_anything].json`` files holding a whole response."""
        answers = {}
        for path in sorted(directory.glob("*.json")):
            match = _SIREN.match(path.stem)
            if match:
                answers[match.group(1)] = json.loads(path.read_text(encoding="utf-8"))
        return cls(answers)

    def rate_limit(self, *, times: int = 1, retry_after: str | None = "1") -> None:
        """The next ``times`` requests answer 429 (``Retry-After`` unless None)."""
        self._limited.extend([retry_after] * times)

    async def _search(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.query))
        if self.delay and self._closing is not None:  # a hang that ends when the fake stops
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        if self._limited:
            retry_after = self._limited.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return web.json_response({"erreur": "Trop de requêtes, veuillez réessayer."},
                                     status=429, headers=headers)
        if self.status != 200:
            return web.json_response({"erreur": "Erreur interne"}, status=self.status)
        digits = re.sub(r"\D", "", request.query.get("q", ""))
        return web.json_response(self.answers.get(digits[:9], EMPTY))

    async def start(self) -> str:
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_get("/search", self._search)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._runner:
            await self._runner.cleanup()
