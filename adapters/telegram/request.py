"""python-telegram-bot's HTTP requests through aiohttp instead of httpx, with JSON bodies.

Profiling a busy bot (50 chats) showed httpx's connection pool dominating the adapter's CPU:
on every request httpcore scans and polls each pooled connection ("has it expired?"). aiohttp's
connector keeps the same keep-alive pool without that scan. Behaviour is PTB's: status and
body returned to ``BaseRequest``, which maps error codes (429 flood control, 5xx...) to
exceptions; a timeout raises ``TimedOut``, any other transport failure ``NetworkError``.
Long polling (``getUpdates``) keeps PTB's own request object.

Usage::

    app = (ApplicationBuilder().token(token).base_url(url)
           .request(AiohttpRequest(pool_size=16)).build())
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` on an ``aiohttp.ClientSession`` with ``pool_size`` connections; each
    timeout in seconds (PTB's defaults: 5 s, pool 1 s; a reply may wait ``pool_timeout`` for
    a free connection under load)."""

    def __init__(self, *, pool_size: int = 16, connect_timeout: float = 5.0,
                 read_timeout: float = 5.0, pool_timeout: float = 10.0) -> None:
        self._pool_size = pool_size
        self._connect, self._read, self._pool = connect_timeout, read_timeout, pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) \
            else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect,
                                        sock_read=read)
        try:
            body, headers = _body(request_data)
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """The parameters as one JSON document (the Bot API takes JSON; it is much cheaper to
    build than a form), or as multipart fields and parts when there are files."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        return json.dumps(request_data.parameters, ensure_ascii=False).encode(), _JSON
    fields = request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, *rest = part
        form.add_field(name, content, filename=filename,
                       content_type=rest[0] if rest else None)
    return form, None
