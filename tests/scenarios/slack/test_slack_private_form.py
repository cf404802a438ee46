"""The lead form is not started in a Slack channel thread (issue #13, item 11): the answer in
the thread offers to continue in a direct message, and no form is under way."""

from __future__ import annotations

from bot.i18n import Catalog
from ops.fakes.slack_api import TEAM_ID, mention_event
from tests.scenarios.slack.slack_harness import SlackHarness


async def test_asking_for_an_advisor_in_a_channel_thread(slack: SlackHarness,
                                                         catalog: Catalog) -> None:
    event = mention_event("/conseiller", user="U0ALICE")
    await slack.event(event)
    [post] = await slack.fake.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == event["ts"]
    assert catalog.t("lead_private_only", "fr")[:60] in str(post.body)
    assert "lf:consent" not in str(post.body)
    state = await slack.runtime.db.load_state(
        f"slack:{TEAM_ID}:{event['channel']}:{event['ts']}:U0ALICE", channel="slack")
    assert state.flow != "lead"
