"""python-telegram-bot's HTTP requests through aiohttp instead of httpx, with JSON bodies.

Profiling a busy bot (50 chats) showed httpx's connection pool dominating the adapter's CPU:
on every request httpcore scans and polls each pooled connection ("has it expired?"). aiohttp's
connector keeps the same keep-alive pool without that scan. Behaviour is PTB's: status and
body returned to ``BaseRequest``, which maps error codes (429 flood control, 5xx...) to
exceptions; a timeout raises ``TimedOut``, any other transport failure ``NetworkError``.
Long polling (``getUpdates``) keeps PTB's own request object.

``post_json`` is the lean path of the two calls made for every message (sendMessage,
sendChatAction): the parameters straight to a JSON body, and on success nothing parsed (the
echoed Message is not needed); an error status is turned into PTB's exception by PTB's own
code. PTB's ``Bot`` layers (defaults, ``RequestParameter`` objects, the reply parsed and checked)
cost as much as a third of such a call.

Usage::

    app = (ApplicationBuilder().token(token).base_url(url)
           .request(AiohttpRequest(pool_size=16)).build())
    await request.post_json(f"{app.bot.base_url}/sendChatAction",
                            {"chat_id": 42, "action": "typing"})
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
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
        self._timeout = self._timeouts(read_timeout, connect_timeout, pool_timeout)

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
        body, headers = _body(request_data)
        return await self._send(url, method, body, headers, read_timeout=read_timeout,
                                connect_timeout=connect_timeout, pool_timeout=pool_timeout)

    async def post_json(self, url: str, params: dict[str, Any]) -> None:
        """POST ``params`` as JSON to the Bot API method at ``url``; returns once Telegram
        answered with a success status (the result is not read). Raises what PTB raises for
        the same answer (``RetryAfter``, ``BadRequest``, ``NetworkError``, ``TimedOut``...)."""
        body = json.dumps(params, ensure_ascii=False).encode()
        try:
            code, payload = await self._send(url, "POST", body, _JSON)
        except TelegramError:
            raise
        except Exception as exc:   # as PTB's wrapper does with a transport's surprise
            raise NetworkError(f"Unknown error in HTTP implementation: {exc!r}") from exc
        if not 200 <= code <= 299:
            await _Replay(code, payload).raise_error(url)

    async def _send(self, url: str, method: str, body: Any, headers: dict[str, str] | None, *,
                    read_timeout: ODVInput[float] = DEFAULT_NONE,
                    connect_timeout: ODVInput[float] = DEFAULT_NONE,
                    pool_timeout: ODVInput[float] = DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout
        if not (isinstance(read_timeout, DefaultValue) and isinstance(connect_timeout,
                DefaultValue) and isinstance(pool_timeout, DefaultValue)):
            timeout = self._timeouts(
                self._read if isinstance(read_timeout, DefaultValue) else read_timeout,
                self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
                self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout)
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


    @staticmethod
    def _timeouts(read: float | None, connect: float | None,
                  pool: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect,
                                     sock_read=read)


class _Replay(BaseRequest):
    """One Bot API answer already received, given to PTB's own response handling so that an
    error status becomes exactly the exception PTB would raise (nothing is sent again)."""

    def __init__(self, code: int, payload: bytes) -> None:
        self._answer = code, payload

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

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
        return self._answer

    async def raise_error(self, url: str) -> None:
        await self._request_wrapper(url, "POST")   # raises for any status outside 2xx
        raise NetworkError(f"unexpected Bot API status {self._answer[0]}")  # pragma: no cover


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
