"""Advisor buttons on lead cards ("Je prends", "Pas pour nous" with a reason, "Clore : ...",
"Réaffecter"; ``bot.leads.states``): check, apply, audit, then redraw the message for everyone.

Usage::

    advisors = AdvisorActions(leads=assistant.leads, catalog=assistant.catalog,
                              token=SecretStr("xoxb-…"), api_base_url="https://slack.com/api/")
    app.action(re.compile(r"^lead_"))(advisors.on_action)
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channel_check import check_channel
from adapters.slack.lead_cards import lead_blocks
from bot.errors import AccessDenied, InputError
from bot.i18n import Catalog
from bot.leads.actions import OpenChannel, apply_action
from bot.leads.service import LeadService

__all__ = ["ACTION_PATTERN", "AdvisorActions"]

ACTION_PATTERN = (r"^lead_(claim|reassign|contacted|not_relevant"
                  r"|refuse_(territory|competence|duplicate|other)"
                  r"|close_(helped|no_help|unreachable))$")
log = logging.getLogger("relocbot.slack.advisors")


class AdvisorActions:
    """The lead actions of the core (``LeadService``) behind Slack's buttons."""

    def __init__(self, *, leads: LeadService, catalog: Catalog, token: SecretStr,
                 api_base_url: str) -> None:
        self.leads = leads
        self.catalog = catalog
        self.token = token
        self.api_base_url = api_base_url

    async def restricted(self, channel: str) -> bool:
        """Whether ``channel`` is private and not shared (asked of Slack at each click: a
        channel can be made public or shared at any time); any doubt counts as no."""
        if not channel:
            return False
        check = await check_channel(token=self.token.get_secret_value(),
                                    base_url=self.api_base_url, channel=channel)
        return check.restricted

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        actor = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        ts = str((body.get("message") or {}).get("ts") or "")
        ref = str(action.get("value") or "")
        try:
            payload = await apply_action(self.leads, ref=ref,
                                         action=str(action.get("action_id")), actor=actor,
                                         channel=channel,
                                         channel_restricted=await self.restricted(channel))
        except AccessDenied as exc:
            log.info("advisor action refused", extra={"lead_ref": ref})
            key = "lead_action_refused_channel" if isinstance(exc, OpenChannel) else \
                "lead_action_refused"
            await respond(response_type="ephemeral", replace_original=False,
                          text=self.catalog.t(key, "fr"))
            return
        except InputError as exc:
            key = "lead_transition_refused" if str(exc) == "lead_transition_refused" else \
                "unknown_action"
            await respond(response_type="ephemeral", replace_original=False,
                          text=self.catalog.t(key, "fr"))
            return
        blocks = lead_blocks(payload, catalog=self.catalog)
        try:
            await client.chat_update(channel=channel, ts=ts, blocks=blocks,
                                     text=self.catalog.t("lead_action_done", "fr", ref=ref))
        except SlackApiError as exc:
            log.warning("could not redraw the lead message: %s",
                        exc.response.get("error") if exc.response else type(exc).__name__,
                        extra={"lead_ref": ref})
