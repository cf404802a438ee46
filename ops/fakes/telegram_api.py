"""A local fake Telegram Bot API (aiohttp on 127.0.0.1, random port) and update factories.

It answers what python-telegram-bot calls (getMe, getUpdates with long polling, deleteWebhook,
setWebhook, sendMessage, sendChatAction, answerCallbackQuery, editMessageReplyMarkup,
setMyCommands) and records every call with its decoded parameters. PTB sends form-encoded
bodies whose nested values are JSON strings; they are decoded back here.

Usage::

    fake = FakeTelegramAPI()
    base_url = await fake.start()                 # "http://127.0.0.1:PORT/bot"
    fake.push(message_update("Bonjour"))          # served by the next getUpdates
    [call] = await fake.wait_calls("sendMessage")
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from ops.fakes.loopback import serve_on_loopback, serve_until_stdin_closes

__all__ = [
    "BOT_USERNAME",
    "TOKEN",
    "WEBHOOK_SECRET",
    "Call",
    "FakeTelegramAPI",
    "TelegramHTML",
    "callback_update",
    "chat",
    "lead_form_updates",
    "message_update",
    "parse_html",
    "plain",
    "user",
]

TOKEN = "123456:TEST-token"
WEBHOOK_SECRET = "s3cret-token_for-tests"
BOT_USERNAME = "relocbot_test_bot"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Relocbot", "username": BOT_USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
RAW_STRING_KEYS = frozenset({"text", "caption", "callback_query_id", "secret_token", "url",
                             "parse_mode", "action", "language_code"})
TRUE_METHODS = frozenset({"deleteWebhook", "setWebhook", "sendChatAction", "answerCallbackQuery",
                          "setMyCommands", "deleteMyCommands", "close", "logOut"})
_ids = itertools.count(1)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.perf_counter() when the request arrived


class FakeTelegramAPI:
    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.pending: list[dict[str, Any]] = []
        self.failures: dict[str, list[dict[str, Any]]] = {}
        self.delays: dict[str, float] = {}   # method -> seconds to wait before answering
        self.base_url = ""
        self._message_ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        await self._notify()  # wakes long polls so the server can shut down at once
        if self._runner:
            await self._runner.cleanup()

    # -- driving ------------------------------------------------------------------------------

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for the next getUpdates (same update twice = a duplicate delivery)."""
        self.pending.extend(updates)
        if self._changed is not None:
            asyncio.get_running_loop().create_task(self._notify())

    def fail(self, method: str, *, code: int = 500, description: str = "Internal Server Error",
             retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer with a Bot API error."""
        error: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            error["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method, []).extend([error] * times)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every sendMessage (to ``chat_id`` when given), in order."""
        return [c.params for c in self.of("sendMessage")
                if chat_id is None or c.params.get("chat_id") == chat_id]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], *,
                       timeout: float = 10.0,  # noqa: ASYNC109 - a test's deadline, by design
                       ) -> None:
        assert self._changed is not None, "start() first"
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.calls)),
                                   timeout)

    async def wait_calls(self, method: str, count: int = 1, *,
                         timeout: float = 10.0,  # noqa: ASYNC109 - a test's deadline, by design
                         chat_id: int | None = None) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (to ``chat_id``) were recorded."""

        def matching(calls: list[Call]) -> list[Call]:
            return [c for c in calls if c.method == method and
                    (chat_id is None or c.params.get("chat_id") == chat_id)]

        await self.wait_for(lambda calls: len(matching(calls)) >= count, timeout=timeout)
        return matching(self.calls)

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until no call arrived for ``quiet`` seconds."""
        seen = -1
        while seen != len(self.calls):
            seen = len(self.calls)
            await asyncio.sleep(quiet)

    # -- the API ------------------------------------------------------------------------------

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        params = await _params(request)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        self.calls.append(Call(method, params, time.perf_counter()))
        await self._notify()
        if self.failures.get(method):
            error = self.failures[method].pop(0)
            return web.json_response(error, status=int(error["error_code"]))
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        elif method == "getMe":
            result = BOT_USER
        elif method in ("sendMessage", "editMessageReplyMarkup"):
            result = self._message(params)
        elif method == "getWebhookInfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        elif method in TRUE_METHODS:
            result = True
        else:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found: method not found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 30.0)
        assert self._changed is not None
        async with self._changed:
            while not self.pending and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
        limit = int(params.get("limit") or 100)
        return list(self.pending[:limit])

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()), "from": BOT_USER, "text": params.get("text", "…"),
            "chat": {"id": chat_id, "type": "private" if int(chat_id or 0) > 0 else "supergroup"},
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str) or key in RAW_STRING_KEYS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


# -- update factories (dicts shaped like real Telegram updates) --------------------------------


def user(user_id: int = 42, *, lang: str | None = "fr", first_name: str = "Camille",
         is_bot: bool = False, username: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if lang is not None:
        data["language_code"] = lang
    if username is not None:
        data["username"] = username
    return data


def chat(chat_id: int = 42, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Camille"}
    return {"id": chat_id, "type": kind, "title": "Atelier Nord"}


def message_update(text: str | None = None, *, sender: dict[str, Any] | None = None,
                   in_chat: dict[str, Any] | None = None, update_id: int | None = None,
                   key: str = "message", reply_to_bot: bool = False,
                   **extra: Any) -> dict[str, Any]:
    """A ``message`` update (or ``edited_message``/``channel_post`` with ``key``)."""
    sender = sender or user()
    message: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()),
                               "chat": in_chat or chat(sender["id"]), "from": sender, **extra}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if reply_to_bot:
        message["reply_to_message"] = {"message_id": next(_ids), "date": int(time.time()),
                                       "chat": message["chat"], "from": BOT_USER, "text": "…"}
    return {"update_id": update_id if update_id is not None else next(_ids), key: message}


def callback_update(data: str, *, sender: dict[str, Any] | None = None,
                    in_chat: dict[str, Any] | None = None, message_id: int | None = None,
                    keyboard: list[list[dict[str, str]]] | None = None,
                    update_id: int | None = None) -> dict[str, Any]:
    """A ``callback_query`` update: a press on an inline button of a bot message."""
    sender = sender or user()
    message: dict[str, Any] = {"message_id": message_id or next(_ids), "date": int(time.time()),
                               "chat": in_chat or chat(sender["id"]), "from": BOT_USER,
                               "text": "…"}
    if keyboard is not None:
        message["reply_markup"] = {"inline_keyboard": keyboard}
    query = {"id": str(next(_ids)), "from": sender, "chat_instance": "ci-1", "data": data,
             "message": message}
    return {"update_id": update_id if update_id is not None else next(_ids),
            "callback_query": query}


def lead_form_updates(sender: dict[str, Any], *, company: str = "Ateliers du Nord",
                      siren: str | None = None, place: str = "Valenciennes",
                      headcount: str = "40", product: str = "Chemises", stage: str = "pret",
                      timeline: str = "inconnu", contact: str = "Marie",
                      email: str | None = "marie@example.fr", phone: str | None = None,
                      ) -> list[dict[str, Any]]:
    """The whole lead form as one user's updates, from /conseiller to "Transmettre" (``None``
    skips an optional answer; sector and origin are skipped)."""
    def text(value: str) -> dict[str, Any]:
        return message_update(value, sender=sender)

    def press(data: str) -> dict[str, Any]:
        return callback_update(data, sender=sender)

    def optional(value: str | None) -> dict[str, Any]:
        return text(value) if value is not None else press("lf:skip")

    return [text("/conseiller"), press("lf:consent:yes"), text(company), optional(siren),
            text(place), text(headcount), press("lf:skip"), text(product), press("lf:skip"),
            press(f"lf:choice:{stage}"), press(f"lf:choice:{timeline}"), text(contact),
            optional(email), optional(phone), press("lf:confirm")]


# -- reading what the bot sent -----------------------------------------------------------------

TELEGRAM_TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
                           "code", "pre", "blockquote", "tg-spoiler", "span"})
_TAG = re.compile(r'</?[a-z-]+(?:\s+[a-z-]+="[^"<>]*")*\s*>')
_BAD_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class TelegramHTML(HTMLParser):
    """Telegram's HTML subset: known tags only, balanced; collects text and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            raise ValueError(f"tag <{tag}> is not Telegram HTML")
        self.stack.append(tag)
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", ""))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ValueError(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1] == "a":
            href, label = self.links[-1]
            self.links[-1] = (href, label + data)


def parse_html(text: str) -> TelegramHTML:
    """Parse a message sent with parse_mode=HTML; ``ValueError`` when Telegram would refuse."""
    if _BAD_ENTITY.search(text):
        raise ValueError("unescaped '&'")
    if re.search(r"[<>]", _TAG.sub("", text)):
        raise ValueError("unescaped '<' or '>'")
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack or parser.rawdata:
        raise ValueError("unclosed tag or '<'")
    return parser


def plain(text: str) -> str:
    """What the user reads: the HTML message without tags, entities decoded."""
    return "".join(parse_html(text).text)


def main() -> None:
    """The fake in a process of its own, as the real Bot API is for the bot (the bench's remote
    Telegram: its HTTP work does not share the bot's CPU): prints the base URL on stdout, then
    serves until stdin closes. ``python -m ops.fakes.telegram_api``"""
    async def serve() -> None:
        fake = FakeTelegramAPI()
        await serve_until_stdin_closes(await fake.start())
        await fake.stop()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
