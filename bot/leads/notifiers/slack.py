"""Slack notifications: a Block Kit lead card with advisor buttons, posted by chat.postMessage;
an update of a lead edits its card (chat.update) and says so in the card's thread.

The card: a header (ref and tier), the intro (new / reminder / escalation), "Pris en charge
par ..." once claimed, one section per part (company, contact, project, score and reasons, aid
schemes and partners as links, routing rule), then the buttons ``lead_claim``,
``lead_contacted``, ``lead_not_relevant`` and ``lead_reassign`` whose ``value`` is the lead ref.
Slack's limits are kept (50 blocks, 3,000 characters per section, 150 per header) and every
echoed value is escaped for mrkdwn (``&``, ``<``, ``>``), so no mention can be forged.

The core never imports a channel SDK (``tests/test_architecture.py``), so the Web API call is
made with httpx, exactly as ``slack_sdk`` would: ``POST {SLACK_API_BASE_URL}chat.postMessage``
with the bot token. ``ratelimited``, 429 and 5xx are transient; ``channel_not_found``,
``not_in_channel``, ``invalid_auth`` and other API errors are permanent.

Usage::

    notifier = SlackNotifier(token="xoxb-...", catalog=Catalog.load())
    ref = await notifier.send(item=delivery)        # "C0123456:1712345678.000100"
    # after an advisor action, the adapter redraws the card:
    blocks = lead_blocks({**payload, "owner": "Camille", "status": "claimed"}, catalog=catalog)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.notifiers.base import Delivery, post
from bot.leads.notifiers.render import Layout, Section, render

__all__ = ["ACTIONS", "MAX_BLOCKS", "MAX_SECTION_CHARS", "SlackNotifier", "escape_mrkdwn",
           "lead_blocks"]

Block = dict[str, Any]
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_FALLBACK_CHARS = 1000
ACTIONS = (("lead_claim", "notify_button_claim"), ("lead_contacted", "notify_button_contacted"),
           ("lead_not_relevant", "notify_button_not_relevant"),
           ("lead_reassign", "notify_button_reassign"))
CARD_GONE = frozenset({"message_not_found", "channel_not_found"})  # post a new card instead
TRANSIENT_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                              "service_unavailable", "request_timeout"})


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section_text(section: Section, layout: Layout, catalog: Catalog) -> str:
    lines = [f"*{escape_mrkdwn(section.title)}*"]
    for line in section.lines:
        value = escape_mrkdwn(line.value)
        if line.url:
            value = f"<{line.url}|{value.replace('|', '¦')}>"
        if line.label is None:
            lines.append(f"• {value}")
        else:
            lines.append(catalog.t("notify_line", layout.lang,
                                   label=f"*{escape_mrkdwn(line.label)}*", value=value))
    text = "\n".join(lines)
    if len(text) <= MAX_SECTION_CHARS:
        return text
    kept = text[: MAX_SECTION_CHARS - 1].rsplit("\n", 1)[0]  # never cut a link in half
    return kept + "\n…"


def lead_blocks(payload: Mapping[str, Any], *, catalog: Catalog, lang: str = "fr") -> list[Block]:
    """The Block Kit card of a lead; pure, so adapters reuse it to redraw after an action.

    When ``payload["owner"]`` is set, a "Pris en charge par {owner}" line is shown and the claim
    button is left out (the other buttons stay).
    """
    layout = render(payload, catalog=catalog, lang=lang)

    def context(text: str) -> Block:
        return {"type": "context",
                "elements": [{"type": "mrkdwn", "text": _clip(escape_mrkdwn(text), 3000)}]}

    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": _clip(layout.title, MAX_HEADER_CHARS)}},
        context(layout.intro),
    ]
    blocks += [context(text) for text in (layout.claimed, layout.status, *layout.notes) if text]
    blocks += [{"type": "section", "text": {"type": "mrkdwn",
                                            "text": _section_text(s, layout, catalog)}}
               for s in layout.sections]
    ref = payload.get("ref")
    buttons: list[Block] = []
    for action_id, key in ACTIONS:
        if action_id == "lead_claim" and payload.get("owner"):
            continue
        button: Block = {"type": "button", "action_id": action_id,
                         "text": {"type": "plain_text", "text": catalog.t(key, lang)[:75]}}
        if ref:
            button["value"] = str(ref)[:2000]
        if action_id == "lead_claim":
            button["style"] = "primary"
        buttons.append(button)
    blocks.append({"type": "actions", "block_id": f"lead_actions:{str(ref or '')[:200]}",
                   "elements": buttons})
    blocks.append(context(layout.footer))
    return blocks[:MAX_BLOCKS]


class SlackNotifier:
    name = "slack"

    def __init__(
        self, *, token: str, catalog: Catalog, base_url: str = "https://slack.com/api/",
        lang: str = "fr", timeout: float = 10.0, client: httpx.AsyncClient | None = None,
    ) -> None:
        self.token = token
        self.catalog = catalog
        self.base_url = base_url.rstrip("/") + "/"
        self.lang = lang
        self.timeout = timeout
        self.client = client

    async def send(self, *, item: Delivery) -> str | None:
        """Post the card; an update of a lead whose card was posted edits that card and says
        so in its thread (advisors are notified, the channel shows one card per lead)."""
        layout = render(item.payload, catalog=self.catalog, lang=self.lang)
        text = _clip(escape_mrkdwn(layout.fallback), MAX_FALLBACK_CHARS)
        blocks = lead_blocks(item.payload, catalog=self.catalog, lang=self.lang)
        if item.kind == "erased":
            return await self._redraw_erased(item, text, blocks)
        channel, _, ts = (item.previous_ref or "").partition(":")
        if item.kind == "update" and channel and ts \
                and await self._update_card(channel, ts, text, blocks):
            note = self.catalog.t("notify_update_thread", self.lang, ref=layout.ref)
            await self._call("chat.postMessage", {"channel": channel, "thread_ts": ts,
                                                  "text": escape_mrkdwn(note)})
            return item.previous_ref
        data = await self._call("chat.postMessage", {
            "channel": item.target, "text": text, "blocks": blocks, "unfurl_links": False,
            "unfurl_media": False})
        return f"{data.get('channel') or item.target}:{data.get('ts')}"

    async def _redraw_erased(self, item: Delivery, text: str, blocks: list[Block]) -> str | None:
        """The person asked for erasure: their card (``payload["erased_ref"]``) is redrawn
        without personal data; a card already deleted needs nothing."""
        channel, _, ts = str(item.payload.get("erased_ref") or "").partition(":")
        if not (channel and ts):
            return None
        return f"{channel}:{ts}" if await self._update_card(channel, ts, text, blocks) else None

    async def _update_card(self, channel: str, ts: str, text: str, blocks: list[Block]) -> bool:
        """Redraw a posted card; ``False`` when Slack says it is gone (deleted, archived)."""
        try:
            await self._call("chat.update", {"channel": channel, "ts": ts, "text": text,
                                             "blocks": blocks})
        except DeliveryError as exc:
            if exc.code not in CARD_GONE:
                raise
            return False
        return True

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.base_url + method
        headers = {"Authorization": f"Bearer {self.token}"}
        response = await post(url, name="slack", client=self.client, timeout=self.timeout,
                              json=body, headers=headers)
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"slack: HTTP {response.status_code}", transient=True)
        try:
            data = response.json()
        except ValueError as exc:
            raise DeliveryError(f"slack: HTTP {response.status_code}, not JSON",
                                transient=True) from exc
        if not isinstance(data, dict) or not data.get("ok"):
            error = str(data.get("error") if isinstance(data, dict) else "") or "unknown_error"
            raise DeliveryError(f"slack: {error[:64]}", transient=error in TRANSIENT_ERRORS,
                                code=error[:64])
        return data
