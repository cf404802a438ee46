"""The channels enabled by configuration (tokens present), built lazily (composition root:
each channel gets the core's narrow port and its own small configuration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.base import Channel
from ops.runtime import Runtime

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.channel import SlackChannel

__all__ = ["enabled_channels", "slack_channel"]


def enabled_channels(runtime: Runtime, *, webhook: bool) -> list[Channel]:
    """Telegram when ``TELEGRAM_BOT_TOKEN`` is set; Slack when ``SLACK_BOT_TOKEN`` is set and
    either ``SLACK_APP_TOKEN`` (Socket Mode) or, for ``webhook``, ``SLACK_SIGNING_SECRET``."""
    settings = runtime.settings
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from adapters.telegram.channel import TelegramChannel, TelegramConfig

        channels.append(TelegramChannel(runtime.assistant,
                                        config=TelegramConfig.from_settings(settings)))
    slack_mode = settings.slack_signing_secret if webhook else settings.slack_app_token
    if settings.slack_bot_token and slack_mode:
        channels.append(slack_channel(runtime))
    return channels


def slack_channel(runtime: Runtime, *, client: AsyncWebClient | None = None) -> SlackChannel:
    """The Slack channel on the core's port, the adapters' store and the lead actions."""
    from adapters.slack.channel import SlackChannel, SlackConfig

    return SlackChannel(runtime.assistant, config=SlackConfig.from_settings(runtime.settings),
                        store=runtime.db.channel_store, leads=runtime.assistant.leads,
                        client=client)
