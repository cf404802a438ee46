"""Talking back to Telegram: where a reply goes, "typing…", sendMessage with flood control,
per-conversation ordering, and SDK loggers kept quiet about tokens and texts.

Usage::

    target = ChatTarget.of(update)
    async with locks.hold("telegram:42:42"), typing(bot, target):
        replies = await assistant.handle(incoming)
    await send(bot, target.chat_id, OutgoingMessage("Bonjour"), thread_id=None, reply_to=None)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from adapters.telegram.convert import OutgoingMessage, as_payload
from adapters.telegram.request import AiohttpRequest

__all__ = [
    "ChatTarget",
    "KeyedLocks",
    "call",
    "drop_feedback_buttons",
    "quiet_sdk_loggers",
    "send",
    "typing",
]

log = logging.getLogger("relocbot.telegram")
# Without our ``AiohttpRequest``, ``call`` goes through ``do_api_request``; PTB then suggests its
# typed method on each call.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'",
                        category=PTBUserWarning)
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 s
MAX_FLOOD_WAIT = 30.0
SERVER_RETRY_DELAYS = (0.5, 1.0)


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """Where the answers to one update go."""

    chat_id: int
    chat_type: str
    thread_id: int | None  # forum topic
    reply_to: int | None  # in groups, answers quote the member's message

    @classmethod
    def of(cls, update: Update | Mapping[str, Any]) -> ChatTarget | None:
        """Where to answer a message or a button press (an SDK ``Update`` or the dict Telegram
        sent); ``None`` for other kinds of update."""
        data = as_payload(update)
        message, pressed = data.get("message"), False
        if not isinstance(message, Mapping):
            query = data.get("callback_query")
            message = query.get("message") if isinstance(query, Mapping) else None
            pressed = True
        if not isinstance(message, Mapping):
            return None
        chat = message.get("chat")
        if not isinstance(chat, Mapping) or chat.get("id") is None:
            return None
        chat_type = str(chat.get("type", ""))
        thread = message.get("message_thread_id") if message.get("is_topic_message") else None
        quote = message.get("message_id") if not pressed and chat_type != "private" else None
        return cls(chat["id"], chat_type, thread, quote)


class KeyedLocks:
    """One FIFO lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def call(bot: Any, method: str, params: dict[str, Any]) -> None:
    """The Bot API ``method`` with ``params`` (JSON-ready values), its result not read: the two
    calls of every message (sendMessage, sendChatAction) go straight to ``AiohttpRequest``, the
    Message Telegram echoes back is not parsed into SDK objects for nothing. Raises PTB's
    exceptions (``RetryAfter``, ``BadRequest``, ``NetworkError``...)."""
    request = bot.request
    if isinstance(request, AiohttpRequest):
        await request.post_json(f"{bot.base_url}/{method}", params)
    else:
        await bot.do_api_request(method, api_kwargs=params)


@contextlib.asynccontextmanager
async def typing(bot: Any, target: ChatTarget, *, enabled: bool = True,
                 after: float = 0.0) -> AsyncIterator[None]:
    """"typing…" once the block has run ``after`` seconds, then every few seconds until it
    ends: an answer ready sooner is sent without one (half the Bot API calls of a busy bot).
    A "typing…" begun is sent before the block exits, so it always precedes the answer.
    Failures are only logged."""
    if not enabled:
        yield
        return
    first = asyncio.Event()
    params: dict[str, Any] = {"chat_id": target.chat_id, "action": ChatAction.TYPING.value}
    if target.thread_id is not None:
        params["message_thread_id"] = target.thread_id

    async def keep_typing() -> None:
        while True:
            try:
                await call(bot, "sendChatAction", params)
            except TelegramError:
                log.info("sendChatAction failed", exc_info=True)
            finally:
                first.set()
            await asyncio.sleep(TYPING_EVERY)

    # A timer, not a task, until "typing…" is due: most answers are ready before it.
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()

    def begin() -> None:
        tasks.append(loop.create_task(keep_typing()))

    timer = loop.call_later(after, begin) if after > 0 else None
    if timer is None:
        begin()
    try:
        yield
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first.wait(), timeout=5)
    finally:
        if timer is not None:
            timer.cancel()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def send(bot: Any, chat_id: int, message: OutgoingMessage, *, thread_id: int | None,
               reply_to: int | None) -> None:
    """``sendMessage`` in HTML with the inline keyboard, without link previews. On flood
    control (429), wait as told (at most 30 s) and try once more; on a server error or a
    refused connection (the message was not taken), try again after 0.5 s then 1 s. A
    timeout is not retried: the message may have gone out, and the user must not get it
    twice."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": message.text,
                            "parse_mode": ParseMode.HTML.value,
                            "link_preview_options": {"is_disabled": True}}
    if message.keyboard:
        params["reply_markup"] = {"inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row]
            for row in message.keyboard]}
    if thread_id is not None:
        params["message_thread_id"] = thread_id
    if reply_to:
        params["reply_parameters"] = {"message_id": reply_to,
                                    "allow_sending_without_reply": True}
    flood_waited, server_retries = False, list(SERVER_RETRY_DELAYS)
    while True:
        try:
            await call(bot, "sendMessage", params)
            return
        except RetryAfter as exc:
            if flood_waited:
                raise
            flood_waited = True
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else wait
            await asyncio.sleep(min(float(seconds), MAX_FLOOD_WAIT))
        except TimedOut:
            raise
        except NetworkError:
            if not server_retries:
                raise
            await asyncio.sleep(server_retries.pop(0))


async def drop_feedback_buttons(bot: Any, message: object) -> None:
    """After 👍/👎, keep only the other buttons, so a vote cannot be cast twice."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return  # too old to edit (InaccessibleMessage) or no keyboard
    rows = [[b for b in row if not str(b.callback_data or "").startswith("fb:")]
            for row in message.reply_markup.inline_keyboard]
    kept = [row for row in rows if row]
    try:
        await bot.edit_message_reply_markup(
            message.chat.id, message.message_id,
            reply_markup=InlineKeyboardMarkup(kept) if kept else None)
    except TelegramError:
        log.info("editMessageReplyMarkup failed", exc_info=True)


def quiet_sdk_loggers() -> None:
    """httpx logs URLs (with the bot token) at INFO; PTB logs whole updates and messages at
    DEBUG. Their own levels get a floor, so even RELOCBOT_LOG_LEVEL=DEBUG leaks neither."""
    for name, floor in (("httpx", logging.WARNING), ("httpcore", logging.WARNING),
                        ("telegram", logging.INFO)):
        logger = logging.getLogger(name)
        if logger.level < floor:  # NOTSET (0) included
            logger.setLevel(floor)
