"""The Slack listeners on slack-bolt: one ``AsyncApp`` for HTTP mode and Socket Mode.

``app_mention`` / ``message`` (DMs, threads the bot answered in) -> 👀 -> ``core.handle``
-> Block Kit in the thread; an advisor's reply in a lead card's thread -> the company
(``adapters.slack.relay``); ``/reloc`` -> private answer with a "share" button; buttons ->
the core (feedback, advisor, flows) or "share"; ``app_home_opened`` -> the guide. ``ack()`` is
immediate (``process_before_response=False``): the work runs after, in bolt's task, tracked
(``InFlight``) so that shutdown (and tests) can wait for it. One error handler logs the
traceback (never the text) and answers politely.

Usage::

    bot = SlackBot(core, store=db.channel_store)
    app = build_bolt_app(bot, advisors=advisors, client=client, authorize=identity.authorize,
                         signing_secret="…")
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.advisors import ACTION_PATTERN, AdvisorActions
from adapters.slack.blocks import (
    ACTION_PREFIX,
    SHARE_ACTION,
    fallback_text,
    home_view,
    shared_blocks,
)
from adapters.slack.convert import (
    CHANNEL,
    SlackTarget,
    action_context,
    action_to_incoming,
    classify_event,
    command_to_incoming,
    conversation_key,
    event_to_incoming,
    is_dm,
    reply_target,
    reply_to_blocks,
    slack_to_plain,
)
from adapters.slack.relay import CardReplies
from adapters.slack.state import InFlight, ShareStore, ThreadMarks
from bot.errors import user_message_key
from bot.i18n import Lang, detect_language
from bot.messages import Incoming, Reply
from bot.port import Core
from bot.storage import ChannelStore

__all__ = ["UNREACHABLE", "Authorize", "SlackBot", "build_bolt_app"]

log = logging.getLogger("relocbot.slack")
Body = dict[str, Any]
# Slack API errors that mean "this channel cannot receive our message": a log line, no crash.
UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived",
                         "restricted_action", "ekm_access_denied"})


class SlackBot:
    """The listeners: Slack payload -> ``Incoming`` -> ``core.handle`` -> Block Kit."""

    def __init__(self, core: Core, *, store: ChannelStore) -> None:
        self.core = core
        self.catalog = core.catalog
        self.threads = ThreadMarks(store)
        self.shares = ShareStore(store)
        self.work = InFlight()

    # -- helpers -----------------------------------------------------------------------------

    async def _lang(self, incoming: Incoming) -> Lang:
        """The language of a message the bot writes itself (usage, share), as the core would
        answer ``incoming``; a reply from the core carries its own (``Reply.lang``)."""
        return await self.core.language(incoming) or "fr"

    def _unreachable(self, exc: SlackApiError, channel: str) -> bool:
        code = str(exc.response.get("error", ""))
        if code in UNREACHABLE:
            log.warning("slack: cannot post in channel %s (%s): invite the bot or check the "
                        "channel", channel, code)
            return True
        return False

    async def _post(self, client: AsyncWebClient, target: SlackTarget, reply: Reply) -> None:
        blocks = reply_to_blocks(reply, lang=reply.lang or "fr", catalog=self.catalog)
        try:
            if reply.private and not target.dm:
                await client.chat_postEphemeral(channel=target.channel, user=target.user,
                                                thread_ts=target.thread_ts, blocks=blocks,
                                                text=fallback_text(reply))
            else:
                await client.chat_postMessage(channel=target.channel, thread_ts=target.thread_ts,
                                              blocks=blocks, text=fallback_text(reply),
                                              unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            if not self._unreachable(exc, target.channel):
                raise

    async def _private(self, respond: AsyncRespond, team: str, user: str, reply: Reply,
                       lang: str, *, thread_ts: str | None = None, shareable: bool = True) -> None:
        """An ephemeral answer (via ``response_url``); sourced answers get a "share" button."""
        worth_sharing = shareable and (reply.kind == "answer" or bool(reply.citations))
        share_id = uuid.uuid4().hex[:16] if worth_sharing else None
        blocks = reply_to_blocks(reply, lang=lang, catalog=self.catalog, share_id=share_id)
        if share_id is not None:
            public = [b for b in blocks if b.get("type") != "actions"]
            await self.shares.put(team, user, blocks=public, text=fallback_text(reply),
                                  share_id=share_id)
        response = await respond(response_type="ephemeral", replace_original=False, blocks=blocks,
                                 text=fallback_text(reply), thread_ts=thread_ts)
        if response.status_code != 200:
            log.warning("slack: response_url answered %s", response.status_code)

    async def _react(self, client: AsyncWebClient, channel: str, ts: str | None) -> None:
        if not ts:
            return
        try:
            await client.reactions_add(channel=channel, timestamp=ts, name="eyes")
        except Exception as exc:  # cosmetic: already_reacted, missing scope, network...
            code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc)
            log.debug("slack: no 👀 reaction (%s)", code)

    @staticmethod
    def _team(body: Body, context: AsyncBoltContext) -> str:
        return str(context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
                   or "")

    # -- listeners ---------------------------------------------------------------------------

    async def on_mention(self, body: Body, event: Body, context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        self.work.track()
        if classify_event(event, bot_user_id=context.bot_user_id, via_mention=True) != "ignore":
            await self._answer_event(body, event, context, client)

    async def on_message(self, body: Body, event: Body, context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        self.work.track()
        route = classify_event(event, bot_user_id=context.bot_user_id)
        if route == "ignore":
            return
        if route == "thread" and not await self.threads.is_marked(
                self._team(body, context), str(event.get("channel")), str(event.get("thread_ts"))):
            return
        await self._answer_event(body, event, context, client)

    async def _answer_event(self, body: Body, event: Body, context: AsyncBoltContext,
                            client: AsyncWebClient) -> None:
        team = self._team(body, context)
        incoming = event_to_incoming(event, team_id=team, event_id=body.get("event_id"),
                                     bot_user_id=context.bot_user_id)
        target = reply_target(event)
        seen = asyncio.ensure_future(self._react(client, target.channel, event.get("ts")))
        async with self.work.ordered(incoming.conversation_key):
            try:
                replies = await self.core.handle(incoming)
            finally:
                await seen
            if not replies:
                return  # a duplicate delivery (Slack retry) or a silenced flood
            if not target.dm and target.thread_ts:
                await self.threads.mark(team, target.channel, target.thread_ts)
            for reply in replies:
                await self._post(client, target, reply)

    async def on_command(self, ack: AsyncAck, body: Body, command: Body, respond: AsyncRespond,
                         context: AsyncBoltContext) -> None:
        self.work.track()
        await ack()
        team, user = self._team(body, context), str(command.get("user_id", ""))
        incoming = command_to_incoming(command)
        if incoming is None:
            key = conversation_key(team, str(command.get("channel_id", "")), user, None)
            lang = await self._lang(Incoming(channel=CHANNEL, conversation_key=key, user_id=user))
            usage = Reply(blocks=(self.catalog.t("slack_usage", lang),))
            await self._private(respond, team, user, usage, lang)
            return
        shareable = not is_dm(str(command.get("channel_id", "")))
        async with self.work.ordered(incoming.conversation_key):
            replies = await self.core.handle(incoming)
            for reply in replies:
                await self._private(respond, team, user, reply, reply.lang or "fr",
                                    shareable=shareable)

    async def on_action(self, ack: AsyncAck, body: Body, action: Body, respond: AsyncRespond,
                        client: AsyncWebClient) -> None:
        self.work.track()
        await ack()
        if action.get("action_id") == SHARE_ACTION:
            await self._share(body, action, respond, client)
            return
        incoming = action_to_incoming(body, action)
        team, channel, user, thread = action_context(body)
        in_dm = is_dm(channel) and not (body.get("container") or {}).get("is_ephemeral")
        async with self.work.ordered(incoming.conversation_key):
            replies = await self.core.handle(incoming)
            for reply in replies:
                if in_dm:
                    await self._post(client, SlackTarget(channel, user, thread, True), reply)
                else:
                    await self._private(respond, team, user, reply, reply.lang or "fr",
                                        thread_ts=thread)

    async def _share(self, body: Body, action: Body, respond: AsyncRespond,
                     client: AsyncWebClient) -> None:
        team, channel, user, _ = action_context(body)
        key = conversation_key(team, channel, user, None)
        lang = await self._lang(Incoming(channel=CHANNEL, conversation_key=key, user_id=user))
        saved = await self.shares.get(team, user, str(action.get("value") or ""))
        t = self.catalog.t
        if saved is None:
            await respond(response_type="ephemeral", replace_original=False,
                          text=t("slack_share_expired", lang))
            return
        blocks = shared_blocks(saved["blocks"], user=user, lang=lang, catalog=self.catalog)
        try:
            await client.chat_postMessage(channel=channel, blocks=blocks, text=str(saved["text"]),
                                          unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            if not self._unreachable(exc, channel):
                raise
            await respond(response_type="ephemeral", replace_original=False,
                          text=t("slack_share_not_in_channel", lang))
            return
        await respond(response_type="ephemeral", replace_original=True,
                      text=t("slack_share_done", lang))

    async def on_home(self, body: Body, event: Body, context: AsyncBoltContext,
                      client: AsyncWebClient) -> None:
        self.work.track()
        user = str(event.get("user", ""))
        if event.get("tab") != "home" or not user:
            return
        key = conversation_key(self._team(body, context), "D", user, None, dm=True)
        known = await self.core.language(Incoming(channel=CHANNEL, conversation_key=key,
                                                  user_id=user))
        view = home_view([known] if known else ["fr", "en"], catalog=self.catalog)
        await client.views_publish(user_id=user, view=view)

    async def on_error(self, error: Exception, body: Body, client: AsyncWebClient,
                       respond: AsyncRespond | None, context: AsyncBoltContext) -> None:
        """The one error handler: the traceback in the log (no text), a polite answer."""
        log.error("slack: listener failed (%s)", type(error).__name__, exc_info=error)
        try:
            await self._apologise(body or {}, client, respond, context.bot_user_id,
                                  key=user_message_key(error))
        except Exception:
            log.exception("slack: could not send the error message")

    async def _apologise(self, body: Body, client: AsyncWebClient, respond: AsyncRespond | None,
                         bot_user_id: str | None, *, key: str) -> None:
        event = body.get("event") or {}
        if body.get("type") == "event_callback" and event.get("type") in ("app_mention",
                                                                           "message"):
            via_mention = event.get("type") == "app_mention"
            if classify_event(event, bot_user_id=bot_user_id, via_mention=via_mention) == "ignore":
                return
            lang = detect_language(slack_to_plain(str(event.get("text") or "")))
            target = reply_target(event)
            await client.chat_postMessage(channel=target.channel, thread_ts=target.thread_ts,
                                          text=self.catalog.t(key, lang))
        elif (body.get("command") or body.get("type") == "block_actions") and respond is not None:
            lang = detect_language(slack_to_plain(str(body.get("text") or "")))
            await respond(response_type="ephemeral", replace_original=False,
                          text=self.catalog.t(key, lang))


Authorize = Callable[..., Awaitable[AuthorizeResult]]


def build_bolt_app(bot: SlackBot, *, advisors: AdvisorActions, client: AsyncWebClient,
                   authorize: Authorize, signing_secret: str) -> AsyncApp:
    """The bolt app with every listener registered (HTTP mode or Socket Mode).

    The bot token comes from ``authorize`` (see ``channel.Identity``), not from ``client``
    (bolt would ignore it there, with a warning); ``client`` carries the API base URL, the
    HTTP session and the retry handlers.

    Usage::

        app = build_bolt_app(SlackBot(core, store=db.channel_store), advisors=advisors,
                             client=make_client(config),
                             authorize=Identity(client, token).authorize, signing_secret="…")
    """
    app = AsyncApp(client=client, authorize=authorize, signing_secret=signing_secret,
                   process_before_response=False, name="relocbot-slack",
                   logger=logging.getLogger("relocbot.slack.bolt"))
    replies = CardReplies(leads=advisors.leads, catalog=advisors.catalog,
                          restricted=advisors.restricted)
    # bolt tries listeners in order, building their arguments: messages (most frequent) first
    app.event("message", matchers=[replies.matches])(replies.on_reply)   # first: bolt runs one
    app.event("message")(bot.on_message)
    app.event("app_mention")(bot.on_mention)
    app.event("app_home_opened")(bot.on_home)
    app.command("/reloc")(bot.on_command)
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(bot.on_action)
    app.action(re.compile(ACTION_PATTERN))(advisors.on_action)
    app.error(bot.on_error)
    return app
