"""A local fake of the aides-territoires API (aiohttp on 127.0.0.1, random port).

It replays recorded ``GET /api/aids/`` pages (``aids-page-<n>.json`` files holding a whole
answer: ``count``, ``next``, ``previous``, ``results``), serving page ``n`` for ``?page=n`` and
rewriting the recorded ``next``/``previous`` links to itself. With a ``token`` it also plays the
API's authentication: ``POST /api/connexion/`` with ``X-AUTH-TOKEN`` gives a bearer token, and
``/api/aids/`` answers 401 without it. It records every request and can answer 429 (with
``Retry-After``) or a server error a given number of times.

Usage::

    fake = FakeAidesTerritoires.load(fixtures_dir, token="secret")
    base_url = await fake.start()                 # "http://127.0.0.1:PORT"
    fake.fail(status=503, times=1)                # the next request: a server error
    fake.fail(status=429, times=1, retry_after="0")
    [r.query for r in fake.requests]
    await fake.stop()
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ops.fakes.loopback import serve_on_loopback

__all__ = ["BEARER", "FakeAidesTerritoires", "Request"]

BEARER = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.fake.bearer"
_PAGE = re.compile(r"aids-page-(\d+)\.json$")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeAidesTerritoires:
    def __init__(self, pages: dict[int, dict[str, Any]], *, token: str | None = None) -> None:
        self.pages = pages
        self.token = token
        self.requests: list[Request] = []
        self.base_url = ""
        self._failures: list[tuple[int, str | None]] = []
        self._runner: web.AppRunner | None = None

    @classmethod
    def load(cls, directory: Path, *, token: str | None = None) -> FakeAidesTerritoires:
        """Recorded pages: ``aids-page-<n>.json`` in ``directory``."""
        pages = {int(m.group(1)): json.loads(p.read_text(encoding="utf-8"))
                 for p in sorted(directory.glob("aids-page-*.json")) if (m := _PAGE.search(p.name))}
        return cls(pages, token=token)

    def fail(self, *, status: int, times: int = 1, retry_after: str | None = None) -> None:
        """The next ``times`` requests answer ``status`` (with ``Retry-After`` when given)."""
        self._failures.extend([(status, retry_after)] * times)

    def _record(self, request: web.Request) -> web.Response | None:
        self.requests.append(Request(request.method, request.path, dict(request.query),
                                     dict(request.headers)))
        if not self._failures:
            return None
        status, retry_after = self._failures.pop(0)
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return web.json_response({"detail": "Erreur"}, status=status, headers=headers)

    def _here(self, link: str | None) -> str | None:
        if not link:
            return link
        parts = urlsplit(link)
        return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    async def _connexion(self, request: web.Request) -> web.Response:
        failed = self._record(request)
        if failed is not None:
            return failed
        if self.token is None or request.headers.get("X-AUTH-TOKEN") != self.token:
            return web.json_response({"message": "Invalid credentials."}, status=401)
        return web.json_response({"token": BEARER})

    async def _aids(self, request: web.Request) -> web.Response:
        failed = self._record(request)
        if failed is not None:
            return failed
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {BEARER}":
            return web.json_response({"code": 401, "message": "JWT Token not found"}, status=401)
        try:
            number = int(request.query.get("page", "1"))
        except ValueError:
            number = 0
        page = self.pages.get(number)
        if page is None:
            return web.json_response({"detail": "Page non valide."}, status=404)
        body = {**page, "next": self._here(page.get("next")),
                "previous": self._here(page.get("previous"))}
        return web.json_response(body)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/connexion/", self._connexion)
        app.router.add_get("/api/aids/", self._aids)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
