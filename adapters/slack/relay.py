"""Advisors' replies in the thread of a lead card, relayed to the company (``bot.leads.relay``).

A ``message`` event in a desk's channel, in the thread of one of Relocbot's messages about a
lead (``thread_ts`` is a card's ``ts``), written by a person, is this listener's
(:meth:`CardReplies.matches`, registered before the general ``message`` listener: bolt runs the
first listener that matches). The reply is queued for the company with the buttons' access
rule (the desk's advisors, or the members of a private unshared desk channel); it gets a ✉️
reaction once queued. A refusal (not an advisor, the person erased their data, no way to reach
the company, no text) is explained to the advisor alone (``chat.postEphemeral``) in the
thread. The text is never logged.

Usage::

    replies = CardReplies(leads=service, catalog=catalog, restricted=advisors.restricted)
    app.event("message", matchers=[replies.matches])(replies.on_reply)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.convert import classify_event, slack_to_plain
from bot.errors import AccessDenied, InputError
from bot.i18n import Catalog
from bot.leads.relay import is_card, relay_to_company
from bot.leads.service import LeadService

__all__ = ["QUEUED_REACTION", "REFUSALS", "CardReplies"]

log = logging.getLogger("relocbot.slack.relay")
QUEUED_REACTION = "envelope_with_arrow"
# InputError codes of bot.leads.relay -> what the advisor is told (catalog keys)
REFUSALS = {"relay_erased": "notify_relay_refused_erased",
            "relay_unreachable": "notify_relay_refused_unreachable",
            "relay_empty": "notify_relay_refused_empty"}


class CardReplies:
    """The relay's Slack side: which thread replies are for the company, and passing them on."""

    def __init__(self, *, leads: LeadService, catalog: Catalog,
                 restricted: Callable[[str], Awaitable[bool]]) -> None:
        self.leads = leads
        self.catalog = catalog
        self.restricted = restricted

    @staticmethod
    def _card(event: dict[str, Any]) -> str:
        return f"{event.get('channel')}:{event.get('thread_ts')}"

    async def matches(self, event: dict[str, Any], context: AsyncBoltContext) -> bool:
        """A person's reply in a thread of a desk channel, under a lead's message."""
        if classify_event(event, bot_user_id=context.bot_user_id) != "thread":
            return False
        if str(event.get("channel") or "") not in self.leads.desks.slack_channels():
            return False
        return await is_card(self.leads, card=self._card(event))

    async def on_reply(self, event: dict[str, Any], context: AsyncBoltContext,
                       client: AsyncWebClient) -> None:
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        actor = str(event.get("user") or "")
        text = slack_to_plain(str(event.get("text") or ""), bot_user_id=context.bot_user_id)
        key: str | None = None
        relayed = None
        try:
            relayed = await relay_to_company(
                self.leads, card=self._card(event), message=ts, actor=actor, text=text,
                channel=channel, channel_restricted=await self.restricted(channel))
        except AccessDenied:
            key = "lead_action_refused"
        except InputError as exc:
            key = REFUSALS.get(str(exc), "lead_transition_refused")
        if key is not None:
            log.info("slack: a reply in a lead thread was not relayed (%s)", key)
            await self._tell(client, channel=channel, user=actor,
                             thread=str(event.get("thread_ts")), key=key)
            return
        if relayed is not None and relayed.queued:
            log.info("slack: advisor reply relayed to the company",
                     extra={"lead_ref": relayed.ref})
            await self._react(client, channel, ts)

    async def _tell(self, client: AsyncWebClient, *, channel: str, user: str, thread: str,
                    key: str) -> None:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread,
                                            text=self.catalog.t(key, "fr"))
        except SlackApiError as exc:
            log.warning("slack: could not explain a refused relay (%s)",
                        exc.response.get("error") if exc.response else type(exc).__name__)

    async def _react(self, client: AsyncWebClient, channel: str, ts: str) -> None:
        try:
            await client.reactions_add(channel=channel, timestamp=ts, name=QUEUED_REACTION)
        except SlackApiError as exc:   # cosmetic: already_reacted, missing scope...
            log.debug("slack: no ✉️ reaction (%s)",
                      exc.response.get("error") if exc.response else type(exc).__name__)
