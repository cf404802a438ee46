"""``SlackChannel``: the Slack adapter as a ``adapters.base.Channel``.

- HTTP mode (``relocbot serve``): ``routes()`` serves ``POST /slack/events`` (Events API, the
  ``/reloc`` slash command and interactivity all on that path; ``/slack/interactive`` is an
  alias). bolt verifies ``X-Slack-Signature``: a bad, missing or stale signature gets 401 and
  nothing runs.
- Socket Mode (``relocbot run`` with ``SLACK_APP_TOKEN``): ``run_forever()``, no public URL.

Usage::

    channel = SlackChannel(assistant, config=SlackConfig.from_settings(settings),
                           store=db.channel_store, leads=assistant.leads)
    app = asgi_app(runtime, channels=[channel])         # ops.runtime, then uvicorn
    # or
    await channel.run_forever()                         # Socket Mode
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.slack.advisors import AdvisorActions
from adapters.slack.listeners import SlackBot, build_bolt_app
from bot.errors import ConfigError
from bot.leads.service import LeadService
from bot.port import Core
from bot.settings import Settings
from bot.storage import ChannelStore

__all__ = [
    "EVENTS_PATH",
    "INTERACTIVE_PATH",
    "Identity",
    "SlackChannel",
    "SlackConfig",
    "make_client",
]

EVENTS_PATH = "/slack/events"
INTERACTIVE_PATH = "/slack/interactive"
# At DEBUG level the SDKs log request and event bodies, i.e. message text: never below INFO.
# The Web client's logger and bolt's are named too: the SDKs test a logger's own level
# (``logger.level <= DEBUG``), and one left unset (0) made them build a debug dump of every
# request and event, which the logging then dropped.
SDK_LOGGERS = ("slack_sdk", "slack_bolt", "relocbot.slack.bolt",
               "slack_sdk.web.async_base_client")


def _no_text_in_logs() -> None:
    """Each SDK logger's own level at least INFO: the one it inherits, when it has none."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:   # NOTSET (0) included
            logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """What the Slack channel needs from the settings, and nothing else."""

    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_base_url: str = "https://slack.com/api/"

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackConfig:
        if settings.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        return cls(bot_token=settings.slack_bot_token,
                   signing_secret=settings.slack_signing_secret,
                   app_token=settings.slack_app_token, api_base_url=settings.slack_api_base_url)


def make_client(config: SlackConfig, *, rate_limit_retries: int = 3) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_BASE_URL``, retries on connection errors, on
    ``ratelimited`` (HTTP 429: waits ``Retry-After`` seconds, then tries again) and on HTTP
    500/503 (twice, with backoff: Slack's own outages are short).

    Usage::

        client = make_client(SlackConfig(bot_token=SecretStr("xoxb-…"),
                                         api_base_url="http://127.0.0.1:9000/api/"))
    """
    base_url = config.api_base_url
    return AsyncWebClient(
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=15,
        retry_handlers=[AsyncConnectionErrorRetryHandler(),
                        AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
                        AsyncServerErrorRetryHandler(max_retry_count=2)],
    )


class Identity:
    """bolt's ``authorize=``: the bot's ids from one ``auth.test`` call, then cached.

    ``authorize`` is a plain function (bolt injects arguments by name and would not skip
    ``self`` of a bound method).
    """

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self.client, self.token = client, token
        self._ids: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            ids = await self.ids()
            return AuthorizeResult(enterprise_id=enterprise_id,
                                   team_id=team_id or ids.get("team_id"),
                                   bot_user_id=ids.get("user_id"), bot_id=ids.get("bot_id"),
                                   bot_token=self.token)

        self.authorize = authorize

    async def ids(self) -> dict[str, Any]:
        if self._ids is not None:  # every request asks: no lock once known
            return self._ids
        async with self._lock:
            if self._ids is None:
                response = await self.client.auth_test(token=self.token)
                self._ids = dict(response.data) if isinstance(response.data, dict) else {}
            return self._ids


class SlackChannel:
    """Slack through slack-bolt: HTTP events (``routes``) or Socket Mode (``run_forever``)."""

    name = "slack"

    def __init__(self, core: Core, *, config: SlackConfig, store: ChannelStore,
                 leads: LeadService, client: AsyncWebClient | None = None) -> None:
        _no_text_in_logs()
        self.config = config
        self.client = client or make_client(config)
        self.bot = SlackBot(core, store=store)
        advisors = AdvisorActions(leads=leads, catalog=core.catalog, token=config.bot_token,
                                  api_base_url=config.api_base_url)
        secret = config.signing_secret
        self.identity = Identity(self.client, config.bot_token.get_secret_value())
        self.app = build_bolt_app(self.bot, advisors=advisors, client=self.client,
                                  authorize=self.identity.authorize,
                                  signing_secret=secret.get_secret_value() if secret else "")
        self.handler = AsyncSlackRequestHandler(self.app)
        self._own_session = False

    def routes(self) -> list[BaseRoute]:
        """``POST /slack/events`` (and ``/slack/interactive``) for ``adapters.server``."""

        async def endpoint(request: Request) -> Response:
            return await self.handler.handle(request)

        return [Route(EVENTS_PATH, endpoint, methods=["POST"]),
                Route(INTERACTIVE_PATH, endpoint, methods=["POST"])]

    async def start(self) -> None:
        """One HTTP session for every Web API call (instead of one per call)."""
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession()
            self._own_session = True

    async def drain(self, timeout: float = 10.0) -> bool:  # noqa: ASYNC109 - a grace period (False if work is left)
        """Wait until the work of the deliveries already acknowledged is done."""
        return await self.bot.work.drain(timeout)

    async def stop(self) -> None:
        """Finish in-flight answers, then close the HTTP session."""
        await self.drain()
        if self._own_session and self.client.session is not None:
            await self.client.session.close()
            self.client.session = None
            self._own_session = False

    async def run_forever(self) -> None:
        """Socket Mode: connect with ``SLACK_APP_TOKEN`` and serve until cancelled."""
        if self.config.app_token is None:
            raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (xapp-…)")
        await self.start()
        handler = AsyncSocketModeHandler(self.app, self.config.app_token.get_secret_value(),
                                         web_client=self.client)
        try:
            await handler.start_async()  # type: ignore[no-untyped-call]
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
            await self.stop()
