"""Operator one-offs that need no index: point Telegram at our webhook, or remove it.

Usage::

    await set_webhook(settings, "https://bot.example.fr/telegram/webhook")
    await delete_webhook(settings)
"""

from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram.channel import ALLOWED_UPDATES
from adapters.telegram.sending import quiet_sdk_loggers
from bot.errors import ConfigError
from bot.settings import Settings

__all__ = ["delete_webhook", "set_webhook"]


def _bot(settings: Settings) -> Bot:
    quiet_sdk_loggers()
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    return Bot(settings.telegram_bot_token.get_secret_value(),
               base_url=settings.telegram_api_base_url, request=HTTPXRequest())


async def set_webhook(settings: Settings, url: str) -> bool:
    if settings.telegram_webhook_secret is None:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set")
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        raise ConfigError("the webhook URL must be https://")
    async with _bot(settings) as bot:
        return bool(await bot.set_webhook(
            url, secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=list(ALLOWED_UPDATES)))


async def delete_webhook(settings: Settings) -> bool:
    async with _bot(settings) as bot:
        return bool(await bot.delete_webhook())
