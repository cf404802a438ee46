"""A local fake of the Slack Web API (aiohttp on 127.0.0.1, random port), in the manner of
bolt's ``tests/mock_web_api_server``: it records every call (``chat.postMessage``,
``chat.postEphemeral``, ``reactions.add``, ``views.publish``, ``auth.test``...), serves the
``response_url`` posts, answers scripted failures (``ratelimited`` 429 with ``Retry-After``,
``channel_not_found``...) and a Socket Mode WebSocket (``apps.connections.open``).

Usage::

    fake = FakeSlackAPI()
    base_url = await fake.start()                  # "http://127.0.0.1:PORT/api/"
    fake.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "0"})
    [post] = await fake.wait_for("chat.postMessage")
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ops.fakes.loopback import serve_on_loopback

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.perf_counter)
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")


@dataclass
class Failure:
    error: str
    status: int
    headers: dict[str, str]
    times: int


class FakeSlackAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.socket_acks: list[dict[str, Any]] = []
        # conversations.info answers: channel id -> flags (is_private, is_ext_shared, ...)
        self.channels: dict[str, dict[str, Any]] = {}
        self.base_url = ""
        self.root = ""
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)

    # -- control -----------------------------------------------------------------------------

    def fail(self, method: str, error: str, *, status: int = 200,
             headers: dict[str, str] | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail with ``error`` (HTTP ``status``)."""
        self.failures.setdefault(method, []).append(Failure(error, status, headers or {}, times))

    def response_url(self, name: str = "r1") -> str:
        return f"{self.root}/response/{name}"

    def calls_to(self, method: str, *, ok: bool | None = True) -> list[Call]:
        """Recorded calls of ``method`` (by default only those answered with success)."""
        return [c for c in self.calls if c.method == method
                and (ok is None or (c.status == 200) == ok)]

    async def wait_for(self, method: str, count: int = 1, *,
                       timeout: float = 10.0,  # noqa: ASYNC109 - the failure lists the calls
                       ok: bool | None = True) -> list[Call]:
        """Wait until ``count`` calls of ``method`` were recorded; return them."""
        async def enough() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method, ok=ok)) >= count)
            return self.calls_to(method, ok=ok)

        try:
            return await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(f"{method}: {len(self.calls_to(method, ok=ok))} call(s), "
                                 f"expected {count}; calls: {[c.method for c in self.calls]}"
                                 ) from None

    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """What each posted message holds now: (channel, ts) -> its last text and blocks
        (``chat.postMessage``, then any ``chat.update`` of it)."""
        current: dict[tuple[str, str], dict[str, Any]] = {}
        for call in self.calls_to("chat.postMessage"):
            key = (str(call.body.get("channel")), str(call.answer.get("ts")))
            current[key] = dict(call.body)
        for call in self.calls_to("chat.update"):
            key = (str(call.body.get("channel")), str(call.body.get("ts")))
            if key in current:
                current[key] = {**current[key], **call.body}
        return current

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push one Socket Mode envelope to every connected client."""
        for ws in self._sockets:
            await ws.send_str(json.dumps(envelope))

    # -- server ------------------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        """JSON body, or form fields and query parameters (JSON-looking values decoded)."""
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {"_": data}
        fields = {**dict(request.query), **dict(await request.post())}
        body: dict[str, Any] = {}
        for key, value in fields.items():
            text = str(value)
            try:
                body[key] = json.loads(text) if text[:1] in "[{" else text
            except ValueError:
                body[key] = text
        return body

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://hackathon.slack.com/", "team": "Hackathon",
                    "user": "relocbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"type": "message", "ts": ts, "bot_id": BOT_ID,
                                "thread_ts": body.get("thread_ts")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", **dict(body.get("view") or {})}}
        if method == "conversations.info":
            channel = self.channels.get(str(body.get("channel")))
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": body.get("channel"), **channel}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.root.replace("http", "ws", 1) + "/link"}
        return {"ok": True}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        headers = dict(request.headers)
        queue = self.failures.get(method) or []
        if queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            await self._record(Call(method, body, headers, status=failure.status))
            return web.json_response({"ok": False, "error": failure.error},
                                     status=failure.status, headers=failure.headers)
        answer = self._answer(method, body)
        await self._record(Call(method, body, headers, answer=answer))
        return web.json_response(answer)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        body["_name"] = request.match_info["name"]
        await self._record(Call("response_url", body, dict(request.headers)))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A0APP"}}))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    async with self._changed:
                        self.socket_acks.append(json.loads(message.data))
                        self._changed.notify_all()
        finally:
            self._sockets.remove(ws)
        return ws

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/link", self._socket)
        self._runner, port = await serve_on_loopback(app)
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.root}/api/"
        return self.base_url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()


# -- payload factories (what Slack sends us) ---------------------------------------------------

_counter = itertools.count(1)


def new_ts() -> str:
    return f"1700001000.{next(_counter):06d}"


def mention_event(text: str, *, user: str = "U0ALICE", channel: str = "C0HACK",
                  ts: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    """An ``app_mention`` event: ``text`` after the bot mention."""
    event: dict[str, Any] = {"type": "app_mention", "user": user, "channel": channel,
                             "text": f"<@{BOT_USER_ID}> {text}", "ts": ts or new_ts(),
                             "team": TEAM_ID, "event_ts": ts or "1.0"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_event(text: str, *, user: str | None = "U0ALICE", channel: str = "C0HACK",
                  channel_type: str = "channel", ts: str | None = None,
                  thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    """A ``message`` event (``channel_type`` "im" for a DM; ``subtype``, ``bot_id`` in extra)."""
    event: dict[str, Any] = {"type": "message", "channel": channel,
                             "channel_type": channel_type, "text": text, "ts": ts or new_ts(),
                             "team": TEAM_ID}
    if user:
        event["user"] = user
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def envelope(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The Events API envelope around ``event``."""
    return {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(_counter):08d}",
            "event_time": int(time.time()), "is_ext_shared_channel": False,
            "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID,
                                "user_id": BOT_USER_ID, "is_bot": True}]}


def command_form(text: str, *, response_url: str, user: str = "U0ALICE",
                 channel: str = "C0HACK") -> dict[str, str]:
    """The form fields of a ``/reloc`` slash command."""
    return {"token": "legacy", "team_id": TEAM_ID, "team_domain": "hackathon",
            "channel_id": channel, "channel_name": "general", "user_id": user,
            "user_name": "alice", "command": "/reloc", "text": text, "api_app_id": "A0APP",
            "response_url": response_url, "trigger_id": f"tr.{next(_counter)}"}


def action_payload(action_id: str, value: str, *, response_url: str, user: str = "U0ALICE",
                   channel: str = "C0HACK", thread_ts: str | None = None,
                   ephemeral: bool = False) -> dict[str, Any]:
    """A ``block_actions`` payload: a button pressed on a bot message (in a thread or not)."""
    message_ts = new_ts()
    container: dict[str, Any] = {"type": "message", "message_ts": message_ts,
                                 "channel_id": channel, "is_ephemeral": ephemeral}
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0APP", "token": "legacy", "container": container,
        "trigger_id": f"tr.{next(_counter)}", "team": {"id": TEAM_ID, "domain": "hackathon"},
        "channel": {"id": channel, "name": "general"}, "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b1", "value": value,
                     "type": "button", "action_ts": message_ts,
                     "text": {"type": "plain_text", "text": "x"}}],
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "bot_id": BOT_ID,
                              "thread_ts": thread_ts, "text": "…"}
    return payload
