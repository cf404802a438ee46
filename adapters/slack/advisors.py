"""Advisor buttons on lead notifications ("Je prends", "Contacté", "Non pertinent",
"Réaffecter"): check, apply, audit, then redraw the message for everyone.

Usage::

    app.action(re.compile(r"^lead_"))(AdvisorActions(assistant).on_action)
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.assistant import Assistant
from bot.errors import AccessDenied, InputError
from bot.leads.actions import OpenChannel, apply_action
from bot.leads.channel_check import check_channel
from bot.leads.notifiers.slack import lead_blocks

__all__ = ["ACTION_PATTERN", "AdvisorActions"]

ACTION_PATTERN = r"^lead_(claim|contacted|not_relevant|reassign)$"
log = logging.getLogger("relocbot.slack.advisors")


class AdvisorActions:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.catalog = assistant.catalog

    async def _restricted(self, channel: str) -> bool:
        """Whether ``channel`` is private and not shared (asked of Slack at each click: a
        channel can be made public or shared at any time); any doubt counts as no."""
        settings = self.assistant.settings
        if not channel or settings.slack_bot_token is None:
            return False
        check = await check_channel(token=settings.slack_bot_token.get_secret_value(),
                                    base_url=settings.slack_api_base_url, channel=channel)
        return check.restricted

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        actor = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        ts = str((body.get("message") or {}).get("ts") or "")
        ref = str(action.get("value") or "")
        try:
            payload = await apply_action(self.assistant.leads, ref=ref,
                                         action=str(action.get("action_id")), actor=actor,
                                         channel=channel,
                                         channel_restricted=await self._restricted(channel))
        except AccessDenied as exc:
            log.info("advisor action refused", extra={"lead_ref": ref})
            key = "lead_action_refused_channel" if isinstance(exc, OpenChannel) else \
                "lead_action_refused"
            await respond(response_type="ephemeral", replace_original=False,
                          text=self.catalog.t(key, "fr"))
            return
        except InputError:
            await respond(response_type="ephemeral", replace_original=False,
                          text=self.catalog.t("unknown_action", "fr"))
            return
        blocks = lead_blocks(payload, catalog=self.catalog)
        try:
            await client.chat_update(channel=channel, ts=ts, blocks=blocks,
                                     text=self.catalog.t("lead_action_done", "fr", ref=ref))
        except SlackApiError as exc:
            log.warning("could not redraw the lead message: %s",
                        exc.response.get("error") if exc.response else type(exc).__name__,
                        extra={"lead_ref": ref})
