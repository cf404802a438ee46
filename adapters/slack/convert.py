"""Pure conversions: Slack payloads (events, slash commands, block actions) to ``bot.Incoming``,
and ``bot.Reply`` to Block Kit (see ``adapters.slack.blocks``). No network, no SDK object.

Conversation keys: ``slack:{team}:{channel}:{thread_ts}:{user}`` in channel threads,
``slack:{team}:dm:{user}`` in direct messages, ``slack:{team}:{channel}:reloc:{user}`` for
``/reloc`` answered privately in a channel.

Usage::

    route = classify_event(event, bot_user_id="UBOT")          # "mention", "dm", "thread", "ignore"
    incoming = event_to_incoming(event, team_id="T1", event_id="Ev1", bot_user_id="UBOT")
    target = reply_target(event)                                 # where the answer goes
    for reply in await assistant.handle(incoming):
        blocks = reply_to_blocks(reply, lang="fr")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from adapters.slack.blocks import escape_mrkdwn, home_view, reply_to_blocks, shared_blocks
from bot.messages import Incoming

__all__ = [
    "CHANNEL",
    "COMMAND_WORDS",
    "Route",
    "SlackTarget",
    "action_context",
    "action_to_incoming",
    "classify_event",
    "command_to_incoming",
    "conversation_key",
    "escape_mrkdwn",
    "event_to_incoming",
    "home_view",
    "is_dm",
    "mentions",
    "reply_target",
    "reply_to_blocks",
    "shared_blocks",
    "slack_to_plain",
    "thread_marker_key",
]

CHANNEL = "slack"
# Message subtypes that are still a person writing to us; every other subtype (message_changed,
# message_deleted, channel_join, bot_message, ...) is ignored.
ANSWERED_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
HELP_WORDS = frozenset({"aide", "help", "?"})
# `/reloc <word>` runs the core command `/<word>`; only `langue` takes an argument.
COMMAND_WORDS = {"start": False, "aide": False, "help": False, "langue": True, "language": True,
                 "lang": True, "conseiller": False, "advisor": False, "oublier": False,
                 "forget": False, "annuler": False, "cancel": False}

Route = Literal["mention", "dm", "thread", "ignore"]

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_LEADING = re.compile(r"^[\s,:;.!-]+")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class SlackTarget:
    """Where to answer: a channel, the thread to post in (``None``: top level) and the user."""

    channel: str
    user: str
    thread_ts: str | None
    dm: bool


def is_dm(channel: str, channel_type: str | None = None) -> bool:
    """Direct messages with the app: ``channel_type == "im"`` or a ``D…`` channel id.

    Usage::

        is_dm("D0123"), is_dm("C0123", "channel")   # -> (True, False)
    """
    return channel_type == "im" or channel.startswith("D")


def conversation_key(team: str, channel: str, user: str, thread_ts: str | None, *,
                     dm: bool | None = None) -> str:
    """The core's conversation key for one user in one DM, thread or ``/reloc`` channel.

    Usage::

        conversation_key("T1", "C1", "U1", "1700000000.000100")
        # -> "slack:T1:C1:1700000000.000100:U1"
    """
    if (dm if dm is not None else is_dm(channel)):
        return f"slack:{team}:dm:{user}"
    return f"slack:{team}:{channel}:{thread_ts or 'reloc'}:{user}"


def thread_marker_key(team: str, channel: str, thread_ts: str) -> str:
    """The stored state that says "the bot answered in this thread" (for follow-ups).

    Usage::

        thread_marker_key("T1", "C1", "1.5")   # -> "slack-thread:T1:C1:1.5"
    """
    return f"slack-thread:{team}:{channel}:{thread_ts}"


def mentions(text: str, user_id: str) -> bool:
    """Whether Slack ``text`` mentions ``user_id``: ``mentions("<@U1> hi", "U1")`` -> True."""
    return re.search(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", text) is not None


def slack_to_plain(text: str, *, bot_user_id: str | None = None) -> str:
    """Slack message markup to plain text: the bot mention removed, links to their labels.

    Usage::

        slack_to_plain("<@UBOT> aides &amp; prêts ? <https://a.fr|site>", bot_user_id="UBOT")
        # -> "aides & prêts ? site"
    """

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if bot_user_id and target in (f"@{bot_user_id}",):
            return " "
        if label:
            return ("@" + label.lstrip("@")) if target.startswith("@") else label
        if target.startswith("!"):
            return ""  # <!here>, <!channel>, <!subteam^…>
        return target

    plain = _LINK.sub(link, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = [_SPACES.sub(" ", line).strip() for line in plain.splitlines()]
    return _LEADING.sub("", "\n".join(line for line in lines if line)).strip()


def classify_event(event: Mapping[str, Any], *, bot_user_id: str | None,
                   via_mention: bool = False) -> Route:
    """Decide whether an ``app_mention`` / ``message`` event is ours to answer, so that nothing
    is answered twice: mentions come through ``app_mention`` only, DMs and thread follow-ups
    through ``message``; edits, joins, bots (including ourselves) are ignored. ``"thread"``
    still needs the stored thread marker.

    Usage::

        classify_event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                        "text": "bonjour", "ts": "1.0"}, bot_user_id="UBOT")   # -> "dm"
    """
    if event.get("subtype") not in (None, *ANSWERED_SUBTYPES) or event.get("hidden"):
        return "ignore"
    user = event.get("user")
    if not user or event.get("bot_id") or event.get("bot_profile") or user == bot_user_id:
        return "ignore"
    dm = is_dm(str(event.get("channel", "")), event.get("channel_type"))
    if via_mention:
        return "ignore" if dm else "mention"
    if dm:
        return "dm"
    if bot_user_id and mentions(str(event.get("text") or ""), bot_user_id):
        return "ignore"  # the app_mention event of the same message answers it
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        return "thread"
    return "ignore"


def reply_target(event: Mapping[str, Any]) -> SlackTarget:
    """Answer in the thread (a new one under a top-level mention); DMs stay at top level
    unless the user wrote in a thread.

    Usage::

        reply_target({"channel": "C1", "user": "U1", "ts": "1.5"}).thread_ts   # -> "1.5"
    """
    channel, user = str(event.get("channel", "")), str(event.get("user", ""))
    dm = is_dm(channel, event.get("channel_type"))
    thread = event.get("thread_ts") if dm else (event.get("thread_ts") or event.get("ts"))
    return SlackTarget(channel=channel, user=user, thread_ts=str(thread) if thread else None, dm=dm)


def event_to_incoming(event: Mapping[str, Any], *, team_id: str, event_id: str | None = None,
                      bot_user_id: str | None = None) -> Incoming:
    """One ``app_mention`` or ``message`` event as an ``Incoming`` (bot mention stripped, the
    thread kept in the conversation key, ``event_id`` from the envelope for dedupe).

    Usage::

        event_to_incoming({"type": "app_mention", "channel": "C1", "user": "U1",
                           "text": "<@UBOT> quelles aides ?", "ts": "1.5"},
                          team_id="T1", event_id="Ev1", bot_user_id="UBOT")
        # -> Incoming(conversation_key="slack:T1:C1:1.5:U1", text="quelles aides ?", ...)
    """
    target = reply_target(event)
    thread = event.get("thread_ts") or event.get("ts")
    key = conversation_key(team_id, target.channel, target.user, str(thread) if thread else None,
                           dm=target.dm)
    text = slack_to_plain(str(event.get("text") or ""), bot_user_id=bot_user_id)
    media = bool(event.get("files")) or event.get("subtype") == "file_share"
    kind: Literal["text", "unsupported"] = "unsupported" if media and not text else "text"
    return Incoming(channel=CHANNEL, conversation_key=key, user_id=target.user, text=text,
                    event_id=event_id, kind=kind, private=target.dm)


def command_to_incoming(command: Mapping[str, Any]) -> Incoming | None:
    """``/reloc <question>`` (or ``/reloc langue en``, ``/reloc oublier``...) as an ``Incoming``;
    ``None`` for ``/reloc`` alone or ``/reloc aide`` (the adapter shows its Slack usage).

    Usage::

        command_to_incoming({"team_id": "T1", "channel_id": "C1", "user_id": "U1",
                             "text": "langue en", "trigger_id": "1.2"}).text   # -> "/langue en"
    """
    text = slack_to_plain(str(command.get("text") or ""))
    word, _, rest = text.partition(" ")
    if not text or word.lower() in HELP_WORDS:
        return None
    takes_arg = COMMAND_WORDS.get(word.lower())
    if takes_arg is not None and (takes_arg or not rest.strip()):
        text = f"/{word.lower()} {rest.strip()}".strip()
    channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    trigger = command.get("trigger_id")
    return Incoming(channel=CHANNEL, user_id=user, text=text,
                    conversation_key=conversation_key(str(command.get("team_id", "")), channel,
                                                      user, None),
                    event_id=f"command:{trigger}" if trigger else None, private=is_dm(channel))


def action_context(body: Mapping[str, Any]) -> tuple[str, str, str, str | None]:
    """``(team, channel, user, thread_ts)`` of a ``block_actions`` payload.

    Usage::

        team, channel, user, thread_ts = action_context(body)
    """
    container = body.get("container") or {}
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    user = (body.get("user") or {}).get("id") or ""
    thread = container.get("thread_ts") or (body.get("message") or {}).get("thread_ts")
    return str(team), str(channel), str(user), str(thread) if thread else None


def action_to_incoming(body: Mapping[str, Any], action: Mapping[str, Any]) -> Incoming:
    """A pressed button as an ``Incoming`` action, in the conversation of the message it sits
    on (thread, DM or ``/reloc``) for the user who pressed it.

    Usage::

        action_to_incoming(body, {"action_id": "reloc.0", "value": "fb:up"}).action  # "fb:up"
    """
    team, channel, user, thread = action_context(body)
    trigger = body.get("trigger_id")
    return Incoming(channel=CHANNEL, conversation_key=conversation_key(team, channel, user, thread),
                    user_id=user, action=str(action.get("value") or ""), kind="action",
                    event_id=f"action:{trigger}" if trigger else None, private=is_dm(channel))
