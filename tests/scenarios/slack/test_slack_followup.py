"""The company kept informed, in its own channel (issue #15, part 2), end to end: the bolt
``AsyncApp`` and the PTB ``Application`` of one process against the fake Slack and Telegram
APIs. An advisor takes and closes a lead in Slack: the company reads it in its Telegram chat,
in its language, with the advisor's first name only if the advisor allows it. An advisor's
reply in the card's thread reaches the company; the company presses "Répondre" and its
answer lands in that thread; after /oublier nothing goes through any more."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.notifiers import build_notifiers
from adapters.telegram import TelegramChannel
from adapters.telegram.channel import TelegramConfig
from bot.i18n import Catalog
from bot.leads.dispatcher import Dispatcher, DispatchReport
from bot.storage import Database
from ops.fakes.slack_api import FakeSlackAPI, message_event
from ops.fakes.telegram_api import (
    TOKEN,
    FakeTelegramAPI,
    callback_update,
    message_update,
    plain,
    user,
)
from tests.scenarios.slack.slack_harness import MakeSlack, SlackHarness
from tests.scenarios.slack.test_slack_leads import ANSWERS

DESK_CHANNEL = "C0DESK"
CAMILLE, DISCREET = "U0CAMILLE", "U0DISCREET"


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI()
    await fake.start()
    yield fake
    await fake.stop()


def desks(tmp_path: Path) -> Path:
    path = tmp_path / "desks.yaml"
    path.write_text(f"desks:\n  cci-grand-hainaut:\n    slack_channel: {DESK_CHANNEL}\n"
                    f"    advisors: [{CAMILLE}, {DISCREET}]\n    advisor_profiles:\n"
                    f"      {CAMILLE}: {{first_name: Camille, share_first_name: true}}\n"
                    f"      {DISCREET}: {{first_name: Dominique}}\n", encoding="utf-8")
    return path


async def harness(make_slack: MakeSlack, telegram: FakeTelegramAPI,
                  tmp_path: Path) -> SlackHarness:
    return await make_slack(desks_file=desks(tmp_path), telegram_bot_token=TOKEN,
                            telegram_api_base_url=telegram.base_url,
                            rate_limit_per_minute=1000)


async def deliver(slack: SlackHarness) -> DispatchReport:
    dispatcher = Dispatcher(slack.runtime.db, build_notifiers(slack.runtime.settings),
                            max_attempts=3, backoff_seconds=1)
    return await dispatcher.run_once()


async def lead_of(slack: SlackHarness, chat: int, *, lang: str) -> tuple[str, str]:
    """A lead made in the Telegram chat ``chat``, its card posted: (ref, card ts)."""
    result = await slack.runtime.assistant.leads.submit(
        {**ANSWERS, "company": f"Ateliers {chat}", "email": f"c{chat}@example.fr",
         "siren": None}, channel="telegram", conversation_key=f"telegram:{chat}:{chat}",
        user_key=f"telegram:{chat}", consent_at=dt.datetime.now(dt.UTC).isoformat(),
        consent_version="2026-11", lang=lang)
    assert (await deliver(slack)).sent == 1
    card = next(c for c in slack.fake.calls_to("chat.postMessage")
                if result.ref in json.dumps(c.body))
    return result.ref, str(card.answer["ts"])


async def test_taking_and_closing_in_slack_tell_the_company_in_telegram(
        make_slack: MakeSlack, fake_slack: FakeSlackAPI, fake_telegram: FakeTelegramAPI,
        catalog: Catalog, tmp_path: Path) -> None:
    slack = await harness(make_slack, fake_telegram, tmp_path)
    french, _ = await lead_of(slack, 501, lang="fr")
    english, _ = await lead_of(slack, 502, lang="en")
    await slack.action("lead_claim", french, user=CAMILLE, channel=DESK_CHANNEL)
    await slack.action("lead_claim", english, user=DISCREET, channel=DESK_CHANNEL)
    await fake_slack.wait_for("chat.update", 2)
    assert (await deliver(slack)).sent == 2
    [taken_fr] = fake_telegram.sent(501)
    assert plain(taken_fr["text"]).startswith(
        f"Bonne nouvelle : votre demande {french} est prise en charge par Camille "
        "(CCI Grand Hainaut).")
    [taken_en] = fake_telegram.sent(502)
    assert plain(taken_en["text"]).startswith(
        f"Good news: your request {english} has been taken on by CCI Grand Hainaut.")
    assert "Dominique" not in taken_en["text"]           # this advisor keeps their name
    await slack.action("lead_close_no_help", french, user=CAMILLE, channel=DESK_CHANNEL)
    await fake_slack.wait_for("chat.update", 3)
    assert (await deliver(slack)).sent == 2      # the company's notice, the desk's update
    closed = plain(fake_telegram.sent(501)[-1]["text"])
    assert catalog.t("followup_closed_no_help", "fr", ref=french,
                     who="Camille (CCI Grand Hainaut)") in closed
    assert catalog.t("followup_closed_no_help_next", "fr") in closed
    assert (await deliver(slack)).total == 0             # each notice once


async def wait_sent(fake: FakeTelegramAPI, chat: int, count: int) -> str:
    await fake.wait_calls("sendMessage", count, chat_id=chat)
    return plain(fake.sent(chat)[count - 1]["text"])


async def test_an_advisor_and_the_company_talk_through_the_lead_s_thread(
        make_slack: MakeSlack, fake_slack: FakeSlackAPI, fake_telegram: FakeTelegramAPI,
        db: Database, catalog: Catalog, tmp_path: Path) -> None:
    slack = await harness(make_slack, fake_telegram, tmp_path)
    ref, card_ts = await lead_of(slack, 601, lang="fr")
    question = "Bonjour, êtes-vous disponibles jeudi pour une visite de l'atelier ?"
    await slack.event(message_event(question, user=CAMILLE, channel=DESK_CHANNEL,
                                    thread_ts=card_ts))
    [reaction] = await fake_slack.wait_for("reactions.add")
    assert reaction.body["name"] == "envelope_with_arrow"
    assert (await deliver(slack)).sent == 1
    relayed = fake_telegram.sent(601)[0]
    assert question in plain(relayed["text"])
    assert "Camille (CCI Grand Hainaut) vous écrit" in plain(relayed["text"])
    assert relayed["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        f"rl:reply:{ref}"

    settings = slack.runtime.settings
    telegram = TelegramChannel(slack.runtime.assistant,
                               config=TelegramConfig.from_settings(settings), poll_timeout=1)
    task = asyncio.create_task(telegram.run_forever())
    try:
        await asyncio.wait_for(telegram.ready.wait(), 10)
        me = user(601)
        fake_telegram.push(callback_update(f"rl:reply:{ref}", sender=me))
        assert await wait_sent(fake_telegram, 601, 2) == catalog.t(
            "relay_armed", "fr", who="Camille (CCI Grand Hainaut)")
        answer = "Oui, jeudi 10 h <b>à Marly</b> & ensuite"
        fake_telegram.push(message_update(answer, sender=me))
        assert await wait_sent(fake_telegram, 601, 3) == catalog.t("relay_sent", "fr", ref=ref)
        assert (await deliver(slack)).sent == 1
        reply = fake_slack.calls_to("chat.postMessage")[-1]
        reply_ts = str(reply.answer["ts"])
        assert (reply.body["channel"], reply.body["thread_ts"]) == (DESK_CHANNEL, card_ts)
        assert "\n> Oui, jeudi 10 h &lt;b&gt;à Marly&lt;/b&gt; &amp; ensuite" in \
            reply.body["text"]                             # quoted, escaped: no forged markup
        fake_telegram.push(message_update("/oublier", sender=me))
        await wait_sent(fake_telegram, 601, 4)
    finally:
        await telegram.stop()
        await asyncio.wait_for(task, 10)

    await slack.event(message_event("Et vendredi ?", user=CAMILLE, channel=DESK_CHANNEL,
                                    thread_ts=card_ts))
    [refusal] = await fake_slack.wait_for("chat.postEphemeral")
    assert (refusal.body["user"], refusal.body["thread_ts"]) == (CAMILLE, card_ts)
    assert refusal.body["text"] == catalog.t("notify_relay_refused_erased", "fr")
    assert (await deliver(slack)).sent == 2               # the card and the reply, redrawn
    history = await db.leads.history(ref=ref)
    assert history is not None
    trail = [(e.action, e.actor) for e in history.events if e.action.startswith("relay")]
    assert trail == [("relay_to_company", CAMILLE), ("relay_from_company", "personne")]
    stored = json.dumps([e.detail for e in history.events]
                        + [d.payload for d in history.deliveries], ensure_ascii=False)
    for words in (question, "jeudi 10 h", "Et vendredi"):
        assert words not in stored, words
    shown = fake_slack.messages()
    assert shown[(DESK_CHANNEL, reply_ts)]["text"] == catalog.t("notify_reply_erased", "fr")
    assert catalog.t("notify_erased_note", "fr") in json.dumps(
        shown[(DESK_CHANNEL, card_ts)]["blocks"], ensure_ascii=False)
    assert "jeudi 10 h" not in json.dumps(list(shown.values()), ensure_ascii=False)
