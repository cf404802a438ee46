"""Events API scenarios: a real bolt app, signed requests, the fake Web API records the answers."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.i18n import Catalog
from bot.messages import Reply
from bot.middleware import Context, Handler
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.slack_api import BOT_USER_ID, TEAM_ID, mention_event, message_event, new_ts
from tests.scenarios.slack.slack_harness import QUESTION, TOKEN, MakeSlack, SlackHarness, sign


def actions_of(blocks: list[dict[str, object]]) -> list[str]:
    return [str(e["value"]) for b in blocks if b["type"] == "actions"
            for e in b["elements"]]  # type: ignore[attr-defined]


async def test_mention_gets_eyes_then_a_threaded_answer_with_sources(
    slack: SlackHarness, catalog: Catalog
) -> None:
    event = mention_event(QUESTION)
    started = time.perf_counter()
    response = await slack.event(event)
    assert response.status_code == 200
    assert time.perf_counter() - started < 3  # ack() at once
    [post] = await slack.fake.wait_for("chat.postMessage")
    [eyes] = slack.fake.calls_to("reactions.add")
    assert eyes.body | {"channel": "C0HACK", "timestamp": event["ts"], "name": "eyes"} == \
        eyes.body
    assert eyes.at < post.at
    assert post.body["channel"] == "C0HACK"
    assert post.body["thread_ts"] == event["ts"]
    assert post.token == TOKEN
    blocks = post.body["blocks"]
    assert blocks[0]["type"] == "section"
    assert "novembre" in blocks[0]["text"]["text"]
    sources = next(b["text"]["text"] for b in blocks if b["type"] == "section"
                   and b["text"]["text"].startswith("*" + catalog.t("sources_title", "fr")))
    assert "[1] <https://" in sources
    assert actions_of(blocks) == ["fb:up", "fb:down", "menu:advisor"]
    # The same message also arrives as a channel `message` event: not answered twice.
    twin = message_event(event["text"], ts=event["ts"])
    assert (await slack.event(twin)).status_code == 200
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_thread_follow_up_without_mention_even_after_a_restart(
    make_slack: MakeSlack, db: Database
) -> None:
    slack = await make_slack()
    root = mention_event(QUESTION)
    await slack.event(root)
    await slack.fake.wait_for("chat.postMessage")
    await slack.settle()
    # A new process (empty memory, same database) still knows the thread.
    restarted = await make_slack()
    follow_up = message_event("Et l'édition de Caen, c'était quand ?", thread_ts=root["ts"])
    await restarted.event(follow_up)
    posts = await slack.fake.wait_for("chat.postMessage", 2)
    assert posts[1].body["thread_ts"] == root["ts"]
    # Elsewhere, people talk without the bot.
    await restarted.event(message_event("on déjeune ?", thread_ts=new_ts()))
    await restarted.event(message_event("bonjour à tous"))
    await restarted.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 2
    assert len(await db.questions()) == 2


async def test_dm_answers_every_message(slack: SlackHarness) -> None:
    for text in (QUESTION, "Et à Caen ?"):
        await slack.event(message_event(text, channel="D0DM", channel_type="im"))
    posts = await slack.fake.wait_for("chat.postMessage", 2)
    assert {p.body["channel"] for p in posts} == {"D0DM"}
    assert all("thread_ts" not in p.body for p in posts)


async def test_retried_event_is_answered_once(slack: SlackHarness) -> None:
    event = mention_event(QUESTION)
    await slack.event(event, event_id="Ev0RETRY")
    await slack.event(event, event_id="Ev0RETRY", retry=1)
    await slack.event(event, event_id="Ev0RETRY", retry=2)
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("event", [
    message_event("edited", channel="D0DM", channel_type="im", subtype="message_changed"),
    message_event("", subtype="channel_join"),
    message_event("from a bot", channel="D0DM", channel_type="im", subtype="bot_message",
                  user=None, bot_id="B0OTHER"),
    message_event("another app", channel="D0DM", channel_type="im", bot_id="B0OTHER"),
    message_event("myself", channel="D0DM", channel_type="im", user=BOT_USER_ID),
], ids=["edit", "join", "bot_message", "bot_id", "self"])
async def test_subtypes_and_bots_are_ignored(slack: SlackHarness, event: dict[str, object]) -> None:
    assert (await slack.event(event)).status_code == 200
    await slack.settle()
    assert not slack.fake.calls_to("chat.postMessage")
    assert not slack.fake.calls_to("reactions.add")


@pytest.mark.parametrize("case", ["unsigned", "wrong", "stale"])
async def test_bad_signatures_are_refused_and_nothing_runs(
    slack: SlackHarness, db: Database, case: str
) -> None:
    body = json.dumps({"type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev0BAD",
                       "event": mention_event(QUESTION)}).encode()
    headers = {
        "unsigned": {},
        "wrong": sign(body, secret="not-the-secret"),
        "stale": sign(body, ts=int(time.time()) - 600),
    }[case]
    response = await slack.post(body, "application/json", headers=headers, signed=False)
    assert response.status_code == 401
    await slack.settle()
    assert slack.fake.calls == []
    assert await db.questions() == []


async def test_url_verification_challenge(slack: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"}).encode()
    response = await slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


async def test_ratelimited_post_is_retried_after_retry_after(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "0"})
    await slack.event(mention_event(QUESTION))
    [post] = await slack.fake.wait_for("chat.postMessage")
    [limited] = slack.fake.calls_to("chat.postMessage", ok=False)
    assert limited.status == 429
    assert limited.at < post.at
    assert post.body["blocks"] == limited.body["blocks"]


async def test_unreachable_channel_is_a_log_line_not_a_crash(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.fail("chat.postMessage", "channel_not_found")
    with caplog.at_level(logging.WARNING, logger="relocbot.slack"):
        await slack.event(mention_event(QUESTION))
        await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage", ok=None)) == 1  # no apology attempt
    [line] = [r for r in caplog.records if r.name == "relocbot.slack"]
    assert "channel_not_found" in line.getMessage()
    assert line.exc_info is None


class Boom:
    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        raise RuntimeError("index unavailable")


async def test_an_exception_in_the_assistant_gets_a_polite_reply(
    make_slack: MakeSlack, kb: KnowledgeBase, db: Database, catalog: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = build_assistant(kb=kb, db=db, catalog=catalog, middleware=[Boom()],
                       settings=Settings(_env_file=None))
    slack = await make_slack(assistant=broken)
    event = mention_event("Question confidentielle sur mon entreprise Zorglub ?")
    with caplog.at_level(logging.INFO):
        await slack.event(event)
        [post] = await slack.fake.wait_for("chat.postMessage")
        await slack.settle()
    assert post.body["text"] == catalog.t("error", "fr")
    assert post.body["thread_ts"] == event["ts"]
    [failure] = [r for r in caplog.records if r.name == "relocbot.slack" and r.exc_info]
    assert failure.levelno == logging.ERROR
    assert failure.exc_info
    assert failure.exc_info[0] is RuntimeError
    assert not any("Zorglub" in r.getMessage() for r in caplog.records)


class PrivateThenPublic:
    """A core answer made of a private reply then a public one."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def process(self, *, ctx: Context, next: Handler) -> list[Reply]:
        return [Reply(blocks=(self.catalog.t("advisor", "fr"),), private=True),
                Reply(blocks=(self.catalog.t("feedback_thanks", "fr"),))]


async def test_private_replies_are_ephemeral_in_channels_and_plain_in_dms(
    make_slack: MakeSlack, kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    assistant = build_assistant(kb=kb, db=db, catalog=catalog,
                                middleware=[PrivateThenPublic(catalog)],
                                settings=Settings(_env_file=None))
    slack = await make_slack(assistant=assistant)
    event = mention_event(QUESTION)
    await slack.event(event)
    [private] = await slack.fake.wait_for("chat.postEphemeral")
    [public] = await slack.fake.wait_for("chat.postMessage")
    assert private.at < public.at
    assert (private.body["channel"], private.body["user"], private.body["thread_ts"]) == (
        "C0HACK", "U0ALICE", event["ts"])
    assert private.body["text"] == catalog.t("advisor", "fr")
    await slack.event(message_event(QUESTION, channel="D0DM", channel_type="im"))
    posts = await slack.fake.wait_for("chat.postMessage", 3)
    assert [p.body["channel"] for p in posts[1:]] == ["D0DM", "D0DM"]
    assert len(slack.fake.calls_to("chat.postEphemeral")) == 1


async def test_app_home_shows_the_guide(slack: SlackHarness, catalog: Catalog) -> None:
    await slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0DM",
                       "tab": "home", "event_ts": "1.0"})
    [publish] = await slack.fake.wait_for("views.publish")
    assert publish.body["user_id"] == "U0ALICE"
    view = publish.body["view"]
    assert view["type"] == "home"
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == [catalog.t("slack_home_title", "fr"), catalog.t("slack_home_title", "en")]
    await slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0DM",
                       "tab": "messages", "event_ts": "2.0"})
    await slack.settle()
    assert len(slack.fake.calls_to("views.publish")) == 1


async def test_no_message_text_in_logs_even_at_debug_level(
    make_slack: MakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        slack = await make_slack()
        await slack.event(mention_event(QUESTION + " Zorglub"))
        [post] = await slack.fake.wait_for("chat.postMessage")
        await slack.settle()
    answer = post.body["blocks"][0]["text"]["text"][:40]
    ours = [r for r in caplog.records if r.name.startswith(("slack", "relocbot"))]
    assert ours  # the adapter and the core did log
    assert [r.name for r in ours if "Zorglub" in r.getMessage() or answer in r.getMessage()] == []
