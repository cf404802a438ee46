"""The Telegram channel on python-telegram-bot: one ``Application`` for polling and webhooks.

Every update goes through one handling: ``update_to_incoming`` -> "typing…" -> ``core.handle``
-> ``reply_to_messages`` -> ``sendMessage``; a webhook's message update reaches it from the dict
Telegram posted (``process_payload``), anything else through the Application's handler. One
error handler logs the traceback (never the text) and answers the user politely
(``core.error_reply``). The channel sees the core through the narrow ``bot.port.Core`` port
and its own small ``TelegramConfig``.

Usage::

    channel = TelegramChannel(assistant, config=TelegramConfig.from_settings(settings))
    await channel.run_forever()            # long polling (`relocbot run`)
    # or, in `relocbot serve`: channel.routes() + await channel.start() / channel.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from starlette.routing import BaseRoute
from telegram import BotCommand, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from adapters.telegram.convert import (
    CallbackStore,
    as_payload,
    reply_to_messages,
    update_to_incoming,
)
from adapters.telegram.request import AiohttpRequest
from adapters.telegram.sending import (
    ChatTarget,
    KeyedLocks,
    drop_feedback_buttons,
    quiet_sdk_loggers,
    send,
    typing,
)
from bot.errors import ConfigError
from bot.i18n import normalise_lang
from bot.messages import Incoming, Reply
from bot.port import Core
from bot.settings import Settings

__all__ = [
    "ALLOWED_UPDATES",
    "COMMANDS",
    "TelegramApp",
    "TelegramChannel",
    "TelegramConfig",
    "build_application",
]

log = logging.getLogger("relocbot.telegram")
TelegramApp = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = ("message", "callback_query")
# Command names (the core also accepts the English ones) and their catalog descriptions.
COMMANDS = ("start", "aide", "langue", "conseiller", "oublier")


POOL_SIZE = 16        # HTTP connections to the Bot API for replies
POOL_TIMEOUT = 10.0   # seconds a reply may wait for one under load


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """What the Telegram channel needs from the settings, and nothing else."""

    token: SecretStr
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_secret: SecretStr | None = None
    typing_after: float = 0.5   # seconds before "typing…" (an instant answer shows none)

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig:
        if settings.telegram_bot_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
        return cls(token=settings.telegram_bot_token, api_base_url=settings.telegram_api_base_url,
                   webhook_secret=settings.telegram_webhook_secret,
                   typing_after=settings.telegram_typing_after)


def build_application(config: TelegramConfig, *, concurrency: int = 64) -> TelegramApp:
    """A PTB ``Application`` on ``config.api_base_url`` (a local fake in tests). Usage::

        app = build_application(config)   # then add handlers, ``async with app: ...``
    """
    base_url = config.api_base_url
    # Replies through aiohttp (``adapters.telegram.request``): httpcore scanned and polled
    # every pooled connection on each request, which dominated a busy bot's CPU; 16 kept-alive
    # connections, a reply waits for a free one (up to ``POOL_TIMEOUT``) under load.
    builder = (ApplicationBuilder().token(config.token.get_secret_value())
               .base_url(base_url).concurrent_updates(concurrency)
               .request(AiohttpRequest(pool_size=POOL_SIZE, pool_timeout=POOL_TIMEOUT)))
    if base_url.endswith("/bot"):
        builder = builder.base_file_url(base_url[: -len("/bot")] + "/file/bot")
    return builder.build()


class TelegramChannel:
    """The Telegram channel (see ``adapters.base.Channel``). Usage::

        channel = TelegramChannel(core, config=TelegramConfig.from_settings(settings))
        await channel.run_forever()                 # `relocbot run`: long polling
        app = build_asgi_app(..., channels=[channel])  # `relocbot serve`: the webhook
    """

    name = "telegram"

    def __init__(self, core: Core, *, config: TelegramConfig, concurrency: int = 64,
                 poll_timeout: float = 30.0) -> None:
        quiet_sdk_loggers()  # before the Bot exists: PTB logs its URL (with the token) on init
        self.core = core
        self.config = config
        self.poll_timeout = poll_timeout
        self.store = CallbackStore()
        self.application = build_application(config, concurrency=concurrency)
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.ready = asyncio.Event()  # set once polling or webhook processing can start
        self._stop_requested = asyncio.Event()
        self._locks = KeyedLocks()

    @property
    def bot_username(self) -> str:
        return str(self.application.bot.username)

    # -- lifecycle (adapters.base.Channel) --------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        from adapters.telegram.webhook import webhook_routes

        return webhook_routes(self)

    async def start(self) -> None:
        """Webhook mode: initialise (``getMe``) and register the commands."""
        if self.config.webhook_secret is None:
            log.warning("TELEGRAM_WEBHOOK_SECRET is not set: every webhook call is refused")
        await self.application.initialize()
        await self.register_commands()
        self.ready.set()

    async def stop(self) -> None:
        """Ends polling (``run_forever`` returns) or shuts the webhook application down."""
        self._stop_requested.set()
        if self.application.updater is None or not self.application.updater.running:
            self.ready.clear()
            await self.application.shutdown()

    async def run_forever(self) -> None:
        """Long polling until ``stop()`` or cancellation; in-flight updates finish first."""
        app = self.application
        updater = app.updater
        if updater is None:  # PTB builds one unless told ``ApplicationBuilder().updater(None)``
            raise RuntimeError("long polling needs the Application's Updater; it has none")
        self._stop_requested.clear()
        await app.initialize()
        try:
            await self.register_commands()
            await updater.start_polling(timeout=dt.timedelta(seconds=self.poll_timeout),
                                        allowed_updates=list(ALLOWED_UPDATES))
            await app.start()
            self.ready.set()
            await self._stop_requested.wait()
        finally:
            self.ready.clear()
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    async def register_commands(self) -> None:
        """``setMyCommands`` for French (also the default) and English; failures are logged.
        Called by ``start()`` and ``run_forever()``; usage: ``await channel.register_commands()``.
        """
        catalog = self.core.catalog
        for code in (None, "fr", "en"):
            commands = [BotCommand(name, catalog.t(f"telegram_cmd_{name}", code or "fr"))
                        for name in COMMANDS]
            try:
                await self.application.bot.set_my_commands(commands, language_code=code)
            except TelegramError:
                log.warning("setMyCommands failed", exc_info=True)

    async def set_webhook(self, url: str) -> None:
        """Point Telegram at ``url`` with our secret token (an operator's one-off). Usage::

            await channel.set_webhook("https://bot.example.fr/telegram/webhook")
        """
        secret = self.config.webhook_secret
        if secret is None:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set")
        await self.application.bot.set_webhook(url, secret_token=secret.get_secret_value(),
                                               allowed_updates=list(ALLOWED_UPDATES))

    # -- handling ----------------------------------------------------------------------------

    async def process_payload(self, data: Mapping[str, Any]) -> bool:
        """One update as Telegram posts it (the webhook's entry). A message goes straight from
        the dict to the handling, without SDK objects (PTB's parsing and dispatch were a tenth
        of the adapter's work per message); other updates (button presses need the SDK's
        ``CallbackQuery``) go through the Application. Errors go to the one error handler.
        Returns ``False`` for an update the SDK cannot decode (logged and dropped). Usage::

            await channel.process_payload(json.loads(body))
        """
        if _plain_message(data):
            try:
                await self._handle(data, None)
            except Exception as exc:
                await self._after_error(data, exc)
            return True
        try:
            update = Update.de_json(dict(data), self.application.bot)
        except Exception:  # a kind of update this SDK cannot read: a retry would not help
            log.warning("telegram: undecodable update %s dropped", data.get("update_id"),
                        exc_info=True)
            return False
        await self.application.process_update(update)  # errors go to the error handler
        return True

    async def _on_update(self, update: Update, _context: object) -> None:
        query = update.callback_query
        if query is not None:
            with contextlib.suppress(TelegramError):
                await query.answer()  # every press stops its spinner, even a stale one
        await self._handle(as_payload(update), query)

    async def _handle(self, data: Mapping[str, Any], query: CallbackQuery | None) -> None:
        incoming = update_to_incoming(data, bot_username=self.bot_username, store=self.store)
        target = ChatTarget.of(data)
        if incoming is None or target is None:
            return
        async with self._locks.hold(incoming.conversation_key):
            show_typing = incoming.kind == "text" and not (incoming.text or "").startswith("/")
            async with typing(self.application.bot, target, enabled=show_typing,
                              after=self.config.typing_after):
                replies = await self.core.handle(incoming)
            for reply in replies:
                await self._deliver(reply, incoming, target)
            if query is not None and (incoming.action or "").startswith("fb:"):
                await drop_feedback_buttons(self.application.bot, query.message)

    async def _deliver(self, reply: Reply, incoming: Incoming, target: ChatTarget) -> None:
        lang = reply.lang or normalise_lang(incoming.lang_hint) or "fr"
        chat_id, reply_to = target.chat_id, target.reply_to
        if reply.private and target.chat_type != "private":
            chat_id, reply_to = int(incoming.user_id), None  # never in the group
        for message in reply_to_messages(reply, lang=lang, catalog=self.core.catalog,
                                         store=self.store):
            await send(self.application.bot, chat_id, message, reply_to=reply_to,
                       thread_id=target.thread_id if chat_id == target.chat_id else None)
            reply_to = None

    async def _on_error(self, update: object, context: Any) -> None:
        """The Application's error handler (see ``_after_error``)."""
        await self._after_error(update if isinstance(update, Update) else None,
                                context.error or Exception())

    async def _after_error(self, update: Update | Mapping[str, Any] | None,
                           error: BaseException) -> None:
        """After a failed handling: traceback in the log (no user data), a polite reply."""
        update_id = None if update is None else as_payload(update).get("update_id")
        log.error("telegram update failed", exc_info=error,
                  extra={"channel": "telegram", "update_id": update_id})
        if update is None:
            return
        try:
            incoming = update_to_incoming(update, bot_username=self.bot_username,
                                          store=self.store)
            target = ChatTarget.of(update)
            if incoming is None or target is None:
                return
            reply = await self.core.error_reply(incoming, error)
            [message] = reply_to_messages(reply, lang=reply.lang or "fr")
            await send(self.application.bot, target.chat_id, message,
                       thread_id=target.thread_id, reply_to=target.reply_to)
        except Exception:
            log.warning("could not tell the user about an error", exc_info=True)


def _plain_message(data: Mapping[str, Any]) -> bool:
    """A message update of the shape Telegram sends (chat and sender as objects with ids):
    handled from the dict itself. Anything else is left to the SDK to decode (and drop if it
    cannot), as before."""
    message = data.get("message")
    if not isinstance(message, dict) or "callback_query" in data:
        return False
    chat, sender = message.get("chat"), message.get("from", {"id": 0})
    return (isinstance(chat, dict) and isinstance(chat.get("id"), int)
            and isinstance(chat.get("type"), str)
            and isinstance(sender, dict) and isinstance(sender.get("id"), int)
            and isinstance(message.get("text", ""), str)
            and isinstance(message.get("reply_to_message", {}), dict)
            and isinstance(message.get("message_id"), int))
