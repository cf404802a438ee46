"""The ``company`` notifier: the company's follow-up (``bot.leads.company``: its request taken,
closed or abandoned; an advisor's message) where it spoke to Relocbot, in its language.

The target is the lead's ``user_key``:

- ``telegram:<user id>`` (the private chat the form ran in): Bot API ``sendMessage`` in HTML,
  without link preview, with a "Répondre" inline button under an advisor's message, through
  httpx at ``TELEGRAM_API_BASE_URL``;
- ``slack:<user id>``: ``chat.postMessage`` with ``channel=<user id>`` (the app's direct
  message with them), mrkdwn and the same button, through slack_sdk at ``SLACK_API_BASE_URL``;
- the ``email`` the company gave (through the SMTP notifier, plain text) when that channel is
  not configured in this process, or says the person cannot be reached (blocked the bot, left
  the workspace), or for a request made elsewhere (the terminal).

Timeouts, 429, 5xx and network errors are transient: the outbox retries the same channel (an
e-mail as well would tell the company twice). With neither a chat nor an e-mail the failure is
permanent (a dead letter, ``relocbot leads retry-dead`` once configured). A row erased
meanwhile (``payload["erased"]``) is never sent. Errors and logs name the channel and the
API's error code, never the person.

Usage::

    notifier = CompanyNotifier(catalog=catalog, telegram_token="123:abc",
                               telegram_base_url=settings.telegram_api_base_url,
                               slack_token="xoxb-...", mail=email_notifier)
    ref = await notifier.send(item=delivery)     # "telegram:42:17", "slack:D0123:17.1", ...
"""

from __future__ import annotations

import html
import logging
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import (
    FALLBACK_CHARS,
    MAX_SECTION_CHARS,
    Block,
    button,
    clip,
    escape_mrkdwn,
)
from adapters.slack.notifier import delivery_error
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.company import CompanyText, company_text
from bot.leads.notifiers import Delivery, EmailNotifier, message_id
from bot.leads.notifiers.base import post

__all__ = ["RELAY_ACTION_ID", "SLACK_UNREACHABLE", "SURVEY_ACTION_ID", "CompanyNotifier",
           "Unreachable", "slack_blocks", "telegram_html"]

log = logging.getLogger("relocbot.company")
RELAY_ACTION_ID = "reloc.relay"    # handled by the Slack listeners like every "reloc." button
SURVEY_ACTION_ID = "reloc.survey"   # + the answer's position: unique in its block
SLACK_UNREACHABLE = frozenset({"channel_not_found", "user_not_found", "cannot_dm_bot",
                               "user_disabled", "account_inactive", "not_in_channel",
                               "is_archived", "messages_tab_disabled", "restricted_action"})


class Unreachable(Exception):
    """The company's chat says no (blocked, gone): the e-mail is tried instead."""


def telegram_html(text: CompanyText) -> str:
    """The message in Telegram's HTML (every value escaped; the advisor's words quoted)."""
    e = html.escape
    parts = [e(p) for p in text.paragraphs]
    if text.quote:
        parts.append(f"<blockquote>{e(text.quote)}</blockquote>")
    parts += [e(text.hint)] if text.hint else []
    parts.append(f"<i>{e(text.footer)}</i>")
    return "\n\n".join(parts)


def slack_blocks(text: CompanyText) -> list[Block]:
    """The message in Block Kit (escaped mrkdwn, the "Répondre" button under a relay)."""
    sections = [escape_mrkdwn(p) for p in text.paragraphs]
    if text.quote:
        sections.append("\n".join(f"> {escape_mrkdwn(line)}" if line else ">"
                                  for line in text.quote.splitlines()))
    sections += [escape_mrkdwn(text.hint)] if text.hint else []
    blocks: list[Block] = [{"type": "section", "text": {
        "type": "mrkdwn", "text": clip(section, MAX_SECTION_CHARS)}} for section in sections]
    if text.reply is not None:
        blocks.append({"type": "actions", "block_id": f"relay:{text.ref[:200]}", "elements": [
            button(text.reply.label, RELAY_ACTION_ID, text.reply.action, style="primary")]})
    if text.buttons:
        blocks.append({"type": "actions", "block_id": f"survey:{text.ref[:200]}", "elements": [
            button(b.label, f"{SURVEY_ACTION_ID}.{i}", b.action)
            for i, b in enumerate(text.buttons)]})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": clip(escape_mrkdwn(text.footer), MAX_SECTION_CHARS)}]})
    return blocks


class CompanyNotifier:
    name = "company"

    def __init__(
        self, *, catalog: Catalog, telegram_token: str | None = None,
        telegram_base_url: str = "https://api.telegram.org/bot", slack_token: str | None = None,
        slack_base_url: str = "https://slack.com/api/", mail: EmailNotifier | None = None,
        timeout: float = 10.0, http: httpx.AsyncClient | None = None,
        slack_client: AsyncWebClient | None = None,
    ) -> None:
        self.catalog = catalog
        self.telegram_token = telegram_token
        self.telegram_base_url = telegram_base_url
        self.mail = mail
        self.timeout = timeout
        self.http = http
        self.slack = slack_client or (AsyncWebClient(
            token=slack_token, base_url=slack_base_url.rstrip("/") + "/",
            timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes seconds as a float
            retry_handlers=[]) if slack_token else None)
        for name in ("httpx", "httpcore"):   # their INFO lines carry the URL, with the token
            if logging.getLogger(name).getEffectiveLevel() < logging.WARNING:
                logging.getLogger(name).setLevel(logging.WARNING)

    async def send(self, *, item: Delivery) -> str | None:
        """Tell the company in its chat, else by e-mail; the remote reference of what went."""
        if item.payload.get("erased"):
            return None      # the person asked to be forgotten: nothing more is said
        channel, _, address = item.target.partition(":")
        reason = f"{channel or 'unknown'} not configured"
        try:
            if channel == "telegram" and self.telegram_token and address.lstrip("-").isdigit():
                return await self._telegram(int(address), self._text(item, "chat"))
            if channel == "slack" and self.slack is not None and address:
                return await self._slack(self.slack, address, self._text(item, "chat"))
        except Unreachable as exc:
            reason = str(exc)
        return await self._email(item, reason)

    def _text(self, item: Delivery, medium: str) -> CompanyText:
        try:
            return company_text(item.payload, catalog=self.catalog,
                                medium="email" if medium == "email" else "chat")
        except ValueError as exc:
            raise DeliveryError("company: not a company notice", transient=False) from exc

    async def _telegram(self, chat_id: int, text: CompanyText) -> str:
        body: dict[str, Any] = {"chat_id": chat_id, "text": telegram_html(text),
                                "parse_mode": "HTML",
                                "link_preview_options": {"is_disabled": True}}
        if text.reply is not None:
            body["reply_markup"] = {"inline_keyboard": [[
                {"text": text.reply.label, "callback_data": text.reply.action}]]}
        elif text.buttons:
            body["reply_markup"] = {"inline_keyboard": [[
                {"text": b.label, "callback_data": b.action} for b in text.buttons]]}
        url = f"{self.telegram_base_url}{self.telegram_token}/sendMessage"
        response = await post(url, name="company: telegram", client=self.http,
                              timeout=self.timeout, json=body)
        status = response.status_code
        try:
            data = response.json()
        except ValueError as exc:
            raise DeliveryError(f"company: telegram HTTP {status}, not JSON",
                                transient=True) from exc
        if status == 200 and isinstance(data, dict) and data.get("ok"):
            result = data.get("result") or {}
            return f"telegram:{chat_id}:{result.get('message_id')}"
        if status == 429 or status >= 500:
            raise DeliveryError(f"company: telegram HTTP {status}", transient=True)
        if status in (400, 403):     # blocked the bot, never started it, chat gone
            raise Unreachable(f"telegram HTTP {status}")
        raise DeliveryError(f"company: telegram HTTP {status}", transient=False)

    async def _slack(self, slack: AsyncWebClient, user: str, text: CompanyText) -> str:
        body = {"channel": user, "text": clip(escape_mrkdwn(text.plain()), FALLBACK_CHARS),
                "blocks": slack_blocks(text), "unfurl_links": False, "unfurl_media": False}
        try:
            response = await slack.api_call("chat.postMessage", json=body)
        except SlackApiError as exc:
            error = delivery_error(exc)
            if error.code in SLACK_UNREACHABLE:
                raise Unreachable(f"slack {error.code}") from exc
            raise DeliveryError(f"company: {error}", transient=error.transient,
                                code=error.code) from exc
        except TimeoutError as exc:
            raise DeliveryError("company: slack timeout", transient=True) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"company: slack {type(exc).__name__}", transient=True) from exc
        data = response.data if isinstance(response.data, dict) else {}
        return f"slack:{data.get('channel') or user}:{data.get('ts')}"

    async def _email(self, item: Delivery, reason: str) -> str:
        address = str(item.payload.get("email") or "")
        if self.mail is None or not address:
            raise DeliveryError(f"company: {reason}, and no e-mail to write to",
                                transient=False)
        text = self._text(item, "email")
        message = EmailMessage()
        try:
            message["From"] = self.mail.sender
            message["To"] = address
            message["Subject"] = text.subject
        except (ValueError, TypeError) as exc:
            raise DeliveryError("company: cannot build the e-mail", transient=False) from exc
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(item.idempotency_key, self.mail.sender)
        message["X-Relocbot-Idempotency-Key"] = item.idempotency_key
        message["X-Relocbot-Ref"] = text.ref
        message.set_content(text.plain())
        log.info("lead %s: company told by e-mail (%s)", item.ref, reason)
        return f"email:{await self.mail.deliver(message)}"
