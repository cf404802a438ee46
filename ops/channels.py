"""The channels enabled by configuration (tokens present), built lazily."""

from __future__ import annotations

from adapters.base import Channel
from bot.app import Runtime

__all__ = ["enabled_channels"]


def enabled_channels(runtime: Runtime, *, webhook: bool) -> list[Channel]:
    """Telegram when ``TELEGRAM_BOT_TOKEN`` is set; Slack when ``SLACK_BOT_TOKEN`` is set and
    either ``SLACK_APP_TOKEN`` (Socket Mode) or, for ``webhook``, ``SLACK_SIGNING_SECRET``."""
    settings = runtime.settings
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from adapters.telegram import TelegramChannel

        channels.append(TelegramChannel(runtime))
    slack_mode = settings.slack_signing_secret if webhook else settings.slack_app_token
    if settings.slack_bot_token and slack_mode:
        from adapters.slack import SlackChannel

        channels.append(SlackChannel(runtime))
    return channels
