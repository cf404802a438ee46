"""Slack lead notifications: the lead card (``adapters.slack.lead_cards``) posted with
``chat.postMessage``; an update or the abandonment of a lead edits its card (``chat.update``)
and says so in the card's thread; once the lead has ended (closed, abandoned) every message
of the lead with buttons in that channel (the card, its reminders and escalations:
``Delivery.cards``) is redrawn without them, and a ``redraw`` (a message with buttons posted
while the lead ended, ``bot.leads.dispatcher``) does that alone. An erasure redraws the
card without personal data. The company's reply to an advisor (``company_reply``,
``bot.leads.relay``) is posted in the thread of the card the advisor wrote under, quoted and
escaped; erased, it is redrawn as "Message effacé". An advisor's weekly ``digest``
(``bot.leads.digest``) goes to their direct message with the app.

The Web API is reached through ``slack_sdk``'s ``AsyncWebClient`` at ``SLACK_API_BASE_URL``
(the fake Slack server in tests), without its own retries: the outbox dispatcher retries.
Failures become ``DeliveryError``: 429, 5xx, ``ratelimited``, an answer that is not JSON, a
timeout or a network error are transient; ``channel_not_found``, ``not_in_channel``,
``invalid_auth`` and other API errors are permanent (``code`` is the API's error).

Usage::

    notifier = SlackNotifier(token="xoxb-...", catalog=Catalog.load(),
                             base_url=settings.slack_api_base_url)
    ref = await notifier.send(item=delivery)        # "C0123456:1712345678.000100"
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MAX_SECTION_CHARS, Block, clip, escape_mrkdwn
from adapters.slack.lead_cards import lead_blocks, lead_fallback
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.digest import DIGEST, digest_text
from bot.leads.notifiers.base import Delivery
from bot.leads.notifiers.render import render
from bot.leads.states import FINAL

__all__ = ["CARD_GONE", "EDITS", "REDRAW", "REPLY", "TRANSIENT_ERRORS", "SlackNotifier",
           "delivery_error"]

CARD_GONE = frozenset({"message_not_found", "channel_not_found"})  # post a new card instead
# Kinds that redraw the lead's first card and leave a note (catalog key) in its thread.
EDITS = {"update": "notify_update_thread", "abandoned": "notify_abandoned_thread"}
REPLY = "company_reply"
REDRAW = "redraw"
TRANSIENT_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                              "service_unavailable", "request_timeout"})


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """What a failed Web API call means for the outbox (transient or not, the error code).

    Usage::

        except SlackApiError as exc:
            raise delivery_error(exc) from exc
    """
    response = exc.response
    status = int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)
    if status == 429 or status >= 500:
        return DeliveryError(f"slack: HTTP {status}", transient=True)
    data = getattr(response, "data", None)
    if not isinstance(data, dict) or not data:       # no JSON body (a proxy's error page...)
        return DeliveryError(f"slack: HTTP {status}, not JSON", transient=True)
    error = str(data.get("error") or "") or "unknown_error"
    return DeliveryError(f"slack: {error[:64]}", transient=error in TRANSIENT_ERRORS,
                         code=error[:64])


class SlackNotifier:
    name = "slack"

    def __init__(
        self, *, token: str, catalog: Catalog, base_url: str = "https://slack.com/api/",
        lang: str = "fr", timeout: float = 10.0, client: AsyncWebClient | None = None,
    ) -> None:
        self.catalog = catalog
        self.lang = lang
        self.timeout = timeout
        # no retry handler: a failed delivery goes back to the outbox, which retries with backoff
        self.client = client or AsyncWebClient(
            token=token, base_url=base_url.rstrip("/") + "/",
            timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes seconds as a float
            retry_handlers=[])

    async def send(self, *, item: Delivery) -> str | None:
        """Post the card; an update or the abandonment of a lead whose card was posted edits
        that card and says so in its thread (advisors are notified, the channel shows one
        card per lead); a company's reply goes to its thread."""
        if item.kind == REPLY:
            return await self._reply(item)
        if item.kind == DIGEST:
            return await self._digest(item)
        if item.kind == "erased" and item.payload.get("erased_kind") == REPLY:
            return await self._erase_reply(item)
        layout = render(item.payload, catalog=self.catalog, lang=self.lang)
        text = lead_fallback(layout)
        blocks = lead_blocks(item.payload, catalog=self.catalog, lang=self.lang)
        if item.kind == "erased":
            return await self._redraw_erased(item, text, blocks)
        if item.kind == REDRAW:
            redrawn = await self._redraw_cards(item, text, blocks, skip=None)
            return redrawn[0] if redrawn else None
        channel, _, ts = (item.previous_ref or "").partition(":")
        if item.kind in EDITS and channel and ts \
                and await self._update_card(channel, ts, text, blocks):
            await self._redraw_cards(item, text, blocks, skip=item.previous_ref)
            await self._call("chat.postMessage", {"channel": channel, "thread_ts": ts,
                                                  "text": escape_mrkdwn(self._note(item))})
            return item.previous_ref
        if item.kind in EDITS:    # no first card to edit: the others still lose their buttons
            await self._redraw_cards(item, text, blocks, skip=item.previous_ref)
        data = await self._call("chat.postMessage", {
            "channel": item.target, "text": text, "blocks": blocks, "unfurl_links": False,
            "unfurl_media": False})
        return f"{data.get('channel') or item.target}:{data.get('ts')}"

    def _note(self, item: Delivery) -> str:
        """What the card's thread is told: the company's update, an advisor's move (with the
        new status), the abandonment."""
        ref = str(item.payload.get("ref") or "")
        transition = item.payload.get("transition")
        if item.kind == "update" and isinstance(transition, dict) and transition.get("to"):
            status = self.catalog.label("notify_status", str(transition["to"]), self.lang)
            return self.catalog.t("notify_transition_thread", self.lang, ref=ref,
                                  status=status)
        return self.catalog.t(EDITS[item.kind], self.lang, ref=ref)

    async def _redraw_cards(self, item: Delivery, text: str, blocks: list[Block], *,
                            skip: str | None) -> list[str]:
        """Once the lead has ended, redraw its other messages with buttons in this channel
        (``item.cards``) as ``blocks`` (none: a final status has no buttons); those Slack
        says are gone are skipped. The references redrawn."""
        if str(item.payload.get("status") or "") not in FINAL:
            return []
        redrawn = []
        for _kind, ref in item.cards:
            channel, _, ts = ref.partition(":")
            if ref != skip and channel and ts \
                    and await self._update_card(channel, ts, text, blocks):
                redrawn.append(ref)
        return redrawn

    async def _reply(self, item: Delivery) -> str | None:
        """The company's answer, quoted in the thread it answers (nothing left to post once
        erased: the row's text is gone)."""
        quoted = str(item.payload.get("text") or "").strip()
        thread = str(item.payload.get("thread_ts") or "")
        if item.payload.get("erased") or not quoted or not thread:
            return None
        head = self.catalog.t("notify_survey_comment" if item.payload.get("survey")
                              else "notify_company_reply", self.lang,
                              ref=str(item.payload.get("ref") or ""))
        body = "\n".join(f"> {escape_mrkdwn(line)}" if line else ">"
                         for line in quoted.splitlines())
        text = clip(f"*{escape_mrkdwn(head)}*\n{body}", MAX_SECTION_CHARS)
        data = await self._call("chat.postMessage", {
            "channel": item.target, "thread_ts": thread, "text": text, "unfurl_links": False,
            "unfurl_media": False})
        return f"{data.get('channel') or item.target}:{data.get('ts')}"

    async def _digest(self, item: Delivery) -> str | None:
        """An advisor's weekly digest, in their direct message with the app (``target``: their
        Slack user id)."""
        text = digest_text(item.payload, catalog=self.catalog)
        body = escape_mrkdwn(text.plain())
        data = await self._call("chat.postMessage", {
            "channel": item.target, "text": clip(body, MAX_SECTION_CHARS),
            "unfurl_links": False, "unfurl_media": False})
        return f"{data.get('channel') or item.target}:{data.get('ts')}"

    async def _erase_reply(self, item: Delivery) -> str | None:
        """The person asked for erasure: their reply in the thread says so instead."""
        channel, _, ts = str(item.payload.get("erased_ref") or "").partition(":")
        if not (channel and ts):
            return None
        note = escape_mrkdwn(self.catalog.t("notify_reply_erased", self.lang))
        return f"{channel}:{ts}" if await self._update_card(channel, ts, note, None) else None

    async def _redraw_erased(self, item: Delivery, text: str, blocks: list[Block]) -> str | None:
        """The person asked for erasure: their card (``payload["erased_ref"]``) is redrawn
        without personal data; a card already deleted needs nothing."""
        channel, _, ts = str(item.payload.get("erased_ref") or "").partition(":")
        if not (channel and ts):
            return None
        return f"{channel}:{ts}" if await self._update_card(channel, ts, text, blocks) else None

    async def _update_card(self, channel: str, ts: str, text: str,
                           blocks: list[Block] | None) -> bool:
        """Redraw a posted card (``blocks`` None: a text message); ``False`` when Slack says
        it is gone (deleted, archived)."""
        body: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            body["blocks"] = blocks
        try:
            await self._call("chat.update", body)
        except DeliveryError as exc:
            if exc.code not in CARD_GONE:
                raise
            return False
        return True

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """One Web API call (a JSON body, as ``chat_postMessage`` sends it); its answer."""
        try:
            response = await self.client.api_call(method, json=body)
        except SlackApiError as exc:
            raise delivery_error(exc) from exc
        except TimeoutError as exc:
            raise DeliveryError("slack: timeout", transient=True) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"slack: {type(exc).__name__}", transient=True) from exc
        data = response.data
        return data if isinstance(data, dict) else {}
