"""Pure conversions: Slack payloads -> ``Incoming`` (keys, mention stripping, routing)."""

from __future__ import annotations

import pytest

from adapters.slack.convert import (
    action_to_incoming,
    classify_event,
    command_to_incoming,
    conversation_key,
    event_to_incoming,
    reply_target,
    slack_to_plain,
    thread_marker_key,
)
from ops.fakes.slack_api import (
    BOT_USER_ID,
    TEAM_ID,
    action_payload,
    command_form,
    mention_event,
    message_event,
)

URL = "http://127.0.0.1:1/response/x"


def test_mention_is_stripped_and_the_thread_kept_in_the_key() -> None:
    event = mention_event("quelles aides pour une PME ?", ts="1700.000100")
    incoming = event_to_incoming(event, team_id=TEAM_ID, event_id="Ev1", bot_user_id=BOT_USER_ID)
    assert incoming.text == "quelles aides pour une PME ?"
    assert incoming.conversation_key == f"slack:{TEAM_ID}:C0HACK:1700.000100:U0ALICE"
    assert incoming.event_id == "Ev1"
    assert incoming.channel == "slack"
    assert incoming.kind == "text"
    assert incoming.user_id == "U0ALICE"
    assert reply_target(event).thread_ts == "1700.000100"  # a new thread under the mention


def test_reply_in_an_existing_thread_keeps_its_root() -> None:
    event = mention_event("et en Picardie ?", ts="1700.000300", thread_ts="1700.000100")
    incoming = event_to_incoming(event, team_id=TEAM_ID, bot_user_id=BOT_USER_ID)
    assert incoming.conversation_key.endswith(":1700.000100:U0ALICE")
    assert reply_target(event).thread_ts == "1700.000100"


@pytest.mark.parametrize(("raw", "plain"), [
    (f"<@{BOT_USER_ID}> bonjour", "bonjour"),
    (f"<@{BOT_USER_ID}|relocbot>, aides ?", "aides ?"),
    (f"aides <@{BOT_USER_ID}> R&amp;D &lt;PME&gt;", "aides R&D <PME>"),
    ("voir <https://bpifrance.fr|Bpifrance> et <https://a.fr>", "voir Bpifrance et https://a.fr"),
    ("avec <@U0BOB> dans <#C0GEN|general> <!here>", "avec @U0BOB dans general"),
    ("<@U0BOB|bob> ?", "@bob ?"),
])
def test_slack_markup_becomes_plain_text(raw: str, plain: str) -> None:
    assert slack_to_plain(raw, bot_user_id=BOT_USER_ID) == plain


def test_dm_key_is_per_user_and_dm_replies_stay_top_level() -> None:
    event = message_event("bonjour", channel="D0DM", channel_type="im")
    incoming = event_to_incoming(event, team_id=TEAM_ID, bot_user_id=BOT_USER_ID)
    assert incoming.conversation_key == f"slack:{TEAM_ID}:dm:U0ALICE"
    target = reply_target(event)
    assert target.dm
    assert target.thread_ts is None
    assert target.channel == "D0DM"


def test_a_file_without_text_is_unsupported() -> None:
    event = message_event("", channel="D0DM", channel_type="im", subtype="file_share",
                          files=[{"id": "F1"}])
    assert classify_event(event, bot_user_id=BOT_USER_ID) == "dm"
    assert event_to_incoming(event, team_id=TEAM_ID).kind == "unsupported"


@pytest.mark.parametrize(("event", "route"), [
    (message_event("bonjour", channel="D0DM", channel_type="im"), "dm"),
    (message_event("et ensuite ?", thread_ts="1700.000100", ts="1700.000200"), "thread"),
    (message_event("top level chatter"), "ignore"),
    # Also delivered as app_mention: answering here too would answer twice.
    (message_event(f"<@{BOT_USER_ID}> aides ?"), "ignore"),
    (message_event(f"<@{BOT_USER_ID}> aides ?", thread_ts="1.0", ts="2.0"), "ignore"),
    (message_event("edited", channel="D0DM", channel_type="im", subtype="message_changed"),
     "ignore"),
    (message_event("", subtype="channel_join"), "ignore"),
    (message_event("hi", channel="D0DM", channel_type="im", subtype="bot_message", user=None,
                   bot_id="B9"), "ignore"),
    (message_event("loop", channel="D0DM", channel_type="im", bot_id="B9"), "ignore"),
    (message_event("me", channel="D0DM", channel_type="im", user=BOT_USER_ID), "ignore"),
    (message_event("deleted", subtype="message_deleted", hidden=True), "ignore"),
    (message_event("root", thread_ts="1.0", ts="1.0"), "ignore"),  # the thread root itself
])
def test_message_routing(event: dict[str, object], route: str) -> None:
    assert classify_event(event, bot_user_id=BOT_USER_ID) == route


def test_mentions_route_through_app_mention_only_outside_dms() -> None:
    assert classify_event(mention_event("aides ?"), bot_user_id=BOT_USER_ID,
                          via_mention=True) == "mention"
    bot_mention = mention_event("aides ?") | {"bot_id": "B9"}
    assert classify_event(bot_mention, bot_user_id=BOT_USER_ID, via_mention=True) == "ignore"
    dm = mention_event("aides ?", channel="D0DM")
    assert classify_event(dm, bot_user_id=BOT_USER_ID, via_mention=True) == "ignore"


def test_slash_command_text_and_subcommands() -> None:
    question = command_to_incoming(command_form("quelles aides ?", response_url=URL))
    assert question is not None
    assert question.text == "quelles aides ?"
    assert question.conversation_key == f"slack:{TEAM_ID}:C0HACK:reloc:U0ALICE"
    assert question.event_id
    assert question.event_id.startswith("command:")
    lang = command_to_incoming(command_form("langue en", response_url=URL))
    assert lang is not None
    assert lang.text == "/langue en"
    advisor = command_to_incoming(command_form("conseiller", response_url=URL))
    assert advisor is not None
    assert advisor.text == "/conseiller"
    # A question that starts with a command word stays a question.
    long = command_to_incoming(command_form("conseiller pour relocaliser ?", response_url=URL))
    assert long is not None
    assert long.text == "conseiller pour relocaliser ?"
    assert command_to_incoming(command_form("", response_url=URL)) is None
    assert command_to_incoming(command_form("aide", response_url=URL)) is None
    dm = command_to_incoming(command_form("aides ?", response_url=URL, channel="D0DM"))
    assert dm is not None
    assert dm.conversation_key == f"slack:{TEAM_ID}:dm:U0ALICE"


def test_button_maps_back_to_the_conversation_of_its_message() -> None:
    in_thread = action_payload("reloc.0", "fb:up", response_url=URL, thread_ts="1700.000100")
    incoming = action_to_incoming(in_thread, in_thread["actions"][0])
    assert incoming.kind == "action"
    assert incoming.action == "fb:up"
    assert incoming.conversation_key == conversation_key(TEAM_ID, "C0HACK", "U0ALICE",
                                                         "1700.000100")
    assert incoming.event_id
    assert incoming.event_id.startswith("action:")
    private = action_payload("reloc.2", "menu:advisor", response_url=URL, ephemeral=True)
    assert action_to_incoming(private, private["actions"][0]).conversation_key.endswith(
        ":C0HACK:reloc:U0ALICE")
    dm = action_payload("reloc.0", "fb:down", response_url=URL, channel="D0DM")
    assert action_to_incoming(dm, dm["actions"][0]).conversation_key == \
        f"slack:{TEAM_ID}:dm:U0ALICE"


def test_thread_marker_key_is_not_a_conversation_key() -> None:
    marker = thread_marker_key(TEAM_ID, "C0HACK", "1.0")
    assert not marker.startswith("slack:")
    assert marker != conversation_key(TEAM_ID, "C0HACK", "U0ALICE", "1.0")


def test_reloc_subcommands_follow_the_core_commands() -> None:
    from adapters.slack.convert import COMMAND_WORDS
    from bot.assistant import COMMANDS

    assert set(COMMAND_WORDS) == set(COMMANDS)
    assert {w for w, takes_arg in COMMAND_WORDS.items() if takes_arg} == {
        w for w, name in COMMANDS.items() if name == "lang"}
