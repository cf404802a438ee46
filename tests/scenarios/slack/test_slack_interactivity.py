"""Slash command, buttons (feedback, advisor, share) and Socket Mode, end to end."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.i18n import Catalog
from bot.storage import Database
from ops.fakes.slack_api import envelope, mention_event
from tests.scenarios.slack.slack_harness import QUESTION, MakeSlack, SlackHarness


def button_values(blocks: list[dict[str, object]]) -> dict[str, str]:
    return {str(e["action_id"]): str(e["value"]) for b in blocks if b["type"] == "actions"
            for e in b["elements"]}  # type: ignore[attr-defined]


async def test_slash_command_answers_privately_then_shares(
    slack: SlackHarness, catalog: Catalog
) -> None:
    response = await slack.command(QUESTION, name="cmd1")
    assert response.status_code == 200
    assert response.text == ""
    [private] = await slack.fake.wait_for("response_url")
    assert private.body["_name"] == "cmd1"
    assert private.body["response_type"] == "ephemeral"
    assert not slack.fake.calls_to("chat.postMessage")
    values = button_values(private.body["blocks"])
    assert set(values) >= {"reloc.0", "reloc.1", "reloc.2", "reloc.share"}
    # "Share in the channel": the same answer, public, credited, without buttons.
    await slack.action("reloc.share", values["reloc.share"], name="share1", ephemeral=True)
    [public] = await slack.fake.wait_for("chat.postMessage")
    assert public.body["channel"] == "C0HACK"
    assert "thread_ts" not in public.body
    blocks = public.body["blocks"]
    assert blocks[0]["elements"][0]["text"] == catalog.t("slack_shared_by", "fr",
                                                         user="<@U0ALICE>")
    answer = [b for b in private.body["blocks"] if b["type"] != "actions"]
    assert blocks[1:] == answer
    done = (await slack.fake.wait_for("response_url", 2))[1]
    assert done.body["_name"] == "share1"
    assert done.body["replace_original"] is True
    assert done.body["text"] == catalog.t("slack_share_done", "fr")


async def test_share_of_an_unknown_or_unpostable_answer(
    slack: SlackHarness, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    await slack.action("reloc.share", "0123456789abcdef", name="old", ephemeral=True)
    [expired] = await slack.fake.wait_for("response_url")
    assert expired.body["text"] == catalog.t("slack_share_expired", "fr")
    await slack.command(QUESTION, name="cmd")
    private = (await slack.fake.wait_for("response_url", 2))[1]
    slack.fake.fail("chat.postMessage", "not_in_channel")
    with caplog.at_level(logging.WARNING, logger="relocbot.slack"):
        await slack.action("reloc.share", button_values(private.body["blocks"])["reloc.share"],
                           name="share", ephemeral=True)
        refused = (await slack.fake.wait_for("response_url", 3))[2]
    assert refused.body["text"] == catalog.t("slack_share_not_in_channel", "fr")
    assert any("not_in_channel" in r.getMessage() for r in caplog.records)


async def test_slash_command_alone_shows_the_usage_and_subcommands_work(
    slack: SlackHarness, catalog: Catalog
) -> None:
    await slack.command("", name="usage")
    [usage] = await slack.fake.wait_for("response_url")
    assert usage.body["blocks"][0]["text"]["text"] == catalog.t("slack_usage", "fr")
    assert "reloc.share" not in button_values(usage.body["blocks"])
    await slack.command("langue en", name="lang")
    lang = (await slack.fake.wait_for("response_url", 2))[1]
    assert lang.body["text"] == catalog.t("lang_set", "en")
    # In a DM there is no channel to share into.
    await slack.command(QUESTION, name="dm", channel="D0DM")
    in_dm = (await slack.fake.wait_for("response_url", 3))[2]
    assert "reloc.0" in button_values(in_dm.body["blocks"])
    assert "reloc.share" not in button_values(in_dm.body["blocks"])


async def test_feedback_buttons_store_feedback(
    slack: SlackHarness, db: Database, catalog: Catalog
) -> None:
    event = mention_event(QUESTION)
    await slack.event(event)
    [post] = await slack.fake.wait_for("chat.postMessage")
    values = button_values(post.body["blocks"])
    await slack.action("reloc.0", values["reloc.0"], name="fb", thread_ts=event["ts"])
    [thanks] = await slack.fake.wait_for("response_url")
    await slack.settle()
    assert thanks.body["text"] == catalog.t("feedback_thanks", "fr")
    assert thanks.body["response_type"] == "ephemeral"
    assert thanks.body["thread_ts"] == event["ts"]
    [feedback] = await db.feedback()
    assert feedback.channel == "slack"
    assert feedback.rating == 1
    assert "Lille" in feedback.question
    assert feedback.sources


async def test_advisor_button_answers_the_user_privately(
    slack: SlackHarness, catalog: Catalog
) -> None:
    event = mention_event(QUESTION)
    await slack.event(event)
    await slack.fake.wait_for("chat.postMessage")
    await slack.action("reloc.2", "menu:advisor", name="adv", thread_ts=event["ts"])
    [advisor] = await slack.fake.wait_for("response_url")
    assert advisor.body["response_type"] == "ephemeral"
    assert advisor.body["blocks"]
    assert advisor.body["text"] not in (catalog.t("unknown_action", "fr"), catalog.t("error", "fr"))
    await slack.action("reloc.0", "fb:up", name="dm", channel="D0DM")
    in_dm = (await slack.fake.wait_for("chat.postMessage", 2))[1]
    assert in_dm.body["channel"] == "D0DM"  # in a DM the answer is a normal message


async def test_socket_mode(make_slack: MakeSlack, catalog: Catalog) -> None:
    slack = await make_slack(slack_app_token="xapp-test-token", slack_signing_secret=None)
    runner = asyncio.create_task(slack.channel.run_forever())
    try:
        for _ in range(200):
            if slack.fake._sockets:
                break
            await asyncio.sleep(0.02)
        [opened] = slack.fake.calls_to("apps.connections.open")
        assert opened.token == "xapp-test-token"
        event = mention_event(QUESTION)
        await slack.fake.socket_send({
            "envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": 0, "retry_reason": "",
            "payload": envelope(event, event_id="Ev0SOCKET")})
        [post] = await slack.fake.wait_for("chat.postMessage")
        assert post.body["thread_ts"] == event["ts"]
        assert any(a.get("envelope_id") == "env-1" for a in slack.fake.socket_acks)
        assert json.dumps(post.body["blocks"])
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
