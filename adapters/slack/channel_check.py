"""Is a desk's Slack channel reserved to its advisors? Asked of the Slack Web API.

A desk without an advisors list lets the members of its channel act on its leads; that is
only safe when the channel is private and not shared outside the workspace (Slack Connect, or
other workspaces of an organisation: the hackathon teams share channels). The answer comes
from ``conversations.info`` (``is_private``, ``is_shared``, ``is_ext_shared``,
``is_org_shared``, ``is_pending_ext_shared``); any error counts as "not restricted".

Usage::

    check = await check_channel(token="xoxb-...", base_url=settings.slack_api_base_url,
                                channel="C0123")
    check.restricted       # True: private and not shared
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.errors import DeliveryError
from bot.leads.notifiers.base import post

__all__ = ["ChannelCheck", "check_channel"]

SHARED_FLAGS = ("is_shared", "is_ext_shared", "is_org_shared", "is_pending_ext_shared")


@dataclass(frozen=True)
class ChannelCheck:
    channel: str
    private: bool = False
    shared: bool = False
    error: str | None = None      # the API's error code, when the check failed

    @property
    def restricted(self) -> bool:
        return self.error is None and self.private and not self.shared


async def check_channel(*, token: str, base_url: str, channel: str,
                        client: httpx.AsyncClient | None = None,
                        timeout: float = 5.0,  # noqa: ASYNC109 - httpx's, see post()
                        ) -> ChannelCheck:
    url = base_url.rstrip("/") + "/conversations.info"
    try:
        response = await post(url, name="slack", client=client, timeout=timeout,
                              data={"channel": channel},
                              headers={"Authorization": f"Bearer {token}"})
        data = response.json()
    except (DeliveryError, ValueError) as exc:
        return ChannelCheck(channel, error=type(exc).__name__)
    info = data.get("channel") if isinstance(data, dict) and data.get("ok") else None
    if not isinstance(info, dict):
        error = str(data.get("error") if isinstance(data, dict) else "") or "unknown_error"
        return ChannelCheck(channel, error=error[:64])
    return ChannelCheck(channel, private=bool(info.get("is_private")),
                        shared=any(bool(info.get(flag)) for flag in SHARED_FLAGS))
