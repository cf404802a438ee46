"""The satisfaction survey (issue #15, part 4): some days after closure the company is asked in
its own chat whether it was contacted and whether it was useful; its answers go to the lead's
timeline and the per-desk statistics, its comment to the card's thread; never for an erased
lead, once per lead whoever runs the worker."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from adapters.company_notifier import CompanyNotifier, slack_blocks
from adapters.slack.notifier import SlackNotifier
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.leads.actions import apply_action
from bot.leads.company import company_text
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery
from bot.leads.survey import run_surveys
from bot.messages import Incoming, Reply
from bot.reports import stats
from bot.settings import Settings
from bot.storage import Database, utcnow
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.telegram_api import TOKEN, FakeTelegramAPI, plain

HAINAUT = "cci-grand-hainaut"
CARD = "C0HAINAUT:1700000000.000001"
COMMENT = "Très bon échange avec Camille, rendez-vous à l'usine de Marly"
ANSWERS = {"company": "Ateliers du Nord", "postal_code": "59300", "commune": "Valenciennes",
           "department": "59", "desk": HAINAUT, "product": "Chemises",
           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
           "email": "marie@example.fr"}


class Cards:
    """A stand-in Slack notifier: every card it posts is ``CARD``."""

    name = "slack"

    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def send(self, *, item: Delivery) -> str | None:
        self.sent.append(item)
        return CARD


@pytest.fixture
def bot(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path) -> Assistant:
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-grand-hainaut:\n    slack_channel: C0HAINAUT\n"
                     "    advisors: [U0CAMILLE]\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, desks_file=desks, rate_limit_per_minute=1000,
                        _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)


class Person:
    """The company in Telegram (private chat ``user``)."""

    def __init__(self, bot: Assistant, user: str) -> None:
        self.bot, self.user = bot, user
        self.key = f"telegram:{user}:{user}"

    async def press(self, action: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="telegram", user_id=self.user,
                                              conversation_key=self.key, action=action,
                                              kind="action"))

    async def say(self, text: str) -> list[Reply]:
        return await self.bot.handle(Incoming(channel="telegram", user_id=self.user,
                                              conversation_key=self.key, text=text))


async def closed_lead(bot: Assistant, dispatcher: Dispatcher, *, user: str) -> str:
    """A Telegram lead, carded, taken and closed (helped) by its advisor."""
    result = await bot.leads.submit({**ANSWERS, "company": f"Ateliers {user}"},
                                    channel="telegram", conversation_key=f"telegram:{user}:{user}",
                                    user_key=f"telegram:{user}",
                                    consent_at=utcnow().isoformat(), consent_version="2026-11",
                                    lang="fr")
    await dispatcher.run_once()
    await apply_action(bot.leads, ref=result.ref, action="lead_claim", actor="U0CAMILLE")
    await apply_action(bot.leads, ref=result.ref, action="lead_close_helped", actor="U0CAMILLE")
    await dispatcher.run_once()
    return result.ref


async def test_the_company_answers_the_survey_in_telegram(
        bot: Assistant, db: Database, catalog: Catalog, telegram: FakeTelegramAPI) -> None:
    company = CompanyNotifier(catalog=catalog, telegram_token=TOKEN,
                              telegram_base_url=telegram.base_url, timeout=5)
    cards, now = Cards(), utcnow()
    moment = [now + dt.timedelta(minutes=1)]     # the worker's clock, moved days ahead
    dispatcher = Dispatcher(db, {"slack": cards, "company": company}, max_attempts=1,
                            backoff_seconds=1, clock=lambda: moment[0])
    ref = await closed_lead(bot, dispatcher, user="42")
    settings = bot.leads.settings
    assert settings.satisfaction_days == 10
    assert await run_surveys(db, settings=settings, now=now + dt.timedelta(days=9)) == 0
    assert await run_surveys(db, settings=settings, now=now + dt.timedelta(days=11)) == 1
    assert await run_surveys(db, settings=settings, now=now + dt.timedelta(days=12)) == 0
    told = len(telegram.sent(42))
    assert told == 2                             # taken, then closed
    moment[0] = now + dt.timedelta(days=11, minutes=1)
    await dispatcher.run_once()
    [survey] = telegram.sent(42)[told:]
    assert catalog.t("survey_contacted_question", "fr") in plain(survey["text"])
    assert survey["reply_markup"] == {"inline_keyboard": [[
        {"text": "Oui", "callback_data": f"sv:contacted:{ref}:y"},
        {"text": "Non", "callback_data": f"sv:contacted:{ref}:n"}]]}

    marie, paul = Person(bot, "42"), Person(bot, "43")
    [refused] = await paul.press(f"sv:contacted:{ref}:n")          # not his request
    assert refused.text == catalog.t("survey_closed", "fr")
    [second] = await marie.press(f"sv:contacted:{ref}:y")
    assert second.text == catalog.t("survey_useful_question", "fr")
    assert [b.action for b in second.buttons] == [f"sv:useful:{ref}:y", f"sv:useful:{ref}:n"]
    await marie.press(f"sv:contacted:{ref}:n")                     # a second press: ignored
    [prompt] = await marie.press(f"sv:useful:{ref}:y")
    assert prompt.text == catalog.t("survey_comment_prompt", "fr")
    [thanks] = await marie.say(COMMENT)
    assert thanks.text == catalog.t("survey_thanks", "fr", ref=ref)
    after = await marie.say("Quelles aides pour relocaliser la confection ?")
    assert catalog.t("survey_thanks", "fr", ref=ref) not in "\n".join(r.text for r in after)

    history = await db.leads.history(ref=ref)
    assert history is not None
    survey_events = [(e.action, e.detail.get("answer")) for e in history.events
                     if e.action.startswith("survey_")]
    assert survey_events == [("survey_sent", None), ("survey_contacted", "yes"),
                             ("survey_useful", "yes"), ("survey_comment", None)]
    [comment] = [e for e in history.events if e.action == "survey_comment"]
    assert comment.detail["chars"] == len(COMMENT)
    assert COMMENT not in json.dumps([e.detail for e in history.events], ensure_ascii=False)
    [relayed] = [d for d in history.deliveries if d.kind == "company_reply"]
    assert (relayed.notifier, relayed.target) == ("slack", "C0HAINAUT")
    assert relayed.payload | {"text": COMMENT, "survey": True,
                              "thread_ts": "1700000000.000001"} == relayed.payload
    await dispatcher.run_once()
    assert cards.sent[-1].kind == "company_reply"

    [row] = (await stats(db))["surveys"]
    assert row == {"desk": HAINAUT, "sent": 1, "contacted_yes": 1, "contacted_no": 0,
                   "useful_yes": 1, "useful_no": 0, "comment": 1}


async def test_no_survey_for_an_erased_lead_and_none_after_oublier(
        bot: Assistant, db: Database, catalog: Catalog) -> None:
    dispatcher = Dispatcher(db, {"slack": Cards()}, max_attempts=1, backoff_seconds=1)
    erased = await closed_lead(bot, dispatcher, user="50")
    asked = await closed_lead(bot, dispatcher, user="51")
    assert await bot.leads.erase(user_key="telegram:50", actor="telegram:50") == 1
    later = utcnow() + dt.timedelta(days=11)
    assert await run_surveys(db, settings=bot.leads.settings, now=later) == 1
    for ref, expected in ((erased, []), (asked, ["company_survey"])):
        history = await db.leads.history(ref=ref)
        assert history is not None
        assert [d.kind for d in history.deliveries if d.kind == "company_survey"] == expected
    await bot.leads.erase(user_key="telegram:51", actor="telegram:51")
    history = await db.leads.history(ref=asked)
    assert history is not None
    [survey] = [d for d in history.deliveries if d.kind == "company_survey"]
    assert (survey.status, survey.payload.get("erased")) == ("cancelled", True)
    [closed] = await Person(bot, "51").press(f"sv:contacted:{asked}:y")
    assert closed.text == catalog.t("survey_closed", "fr")


async def test_switched_off_with_zero_days(bot: Assistant, db: Database) -> None:
    dispatcher = Dispatcher(db, {"slack": Cards()}, max_attempts=1, backoff_seconds=1)
    await closed_lead(bot, dispatcher, user="60")
    off = bot.leads.settings.model_copy(update={"satisfaction_days": 0})
    assert await run_surveys(db, settings=off, now=utcnow() + dt.timedelta(days=400)) == 0


def test_the_survey_s_words_by_medium(catalog: Catalog) -> None:
    payload = {"ref": "REL-2026-00042", "kind": "company_survey", "lang": "en"}
    chat = company_text(payload, catalog=catalog)
    assert [b.label for b in chat.buttons] == ["Yes", "No"]
    email = company_text(payload, catalog=catalog, medium="email")
    assert email.buttons == ()
    assert catalog.t("survey_useful_question", "en") in email.plain()
    assert catalog.t("survey_email_hint", "en") in email.plain()
    actions = [b for b in slack_blocks(chat) if b["type"] == "actions"]
    assert [[e["value"] for e in block["elements"]] for block in actions] == [[
        "sv:contacted:REL-2026-00042:y", "sv:contacted:REL-2026-00042:n"]]
    assert [e["action_id"] for e in actions[0]["elements"]] == ["reloc.survey.0",
                                                              "reloc.survey.1"]


async def test_the_comment_is_posted_in_the_card_s_thread(catalog: Catalog) -> None:
    fake = FakeSlackAPI()
    await fake.start()
    try:
        notifier = SlackNotifier(token="xoxb-test", catalog=catalog, base_url=fake.base_url)
        await notifier.send(item=Delivery(
            idempotency_key="REL-2026-00042:company_survey:comment", kind="company_reply",
            target="C0HAINAUT", payload={"ref": "REL-2026-00042", "kind": "company_reply",
                                         "survey": True, "text": "Très utile <!here>",
                                         "thread_ts": "1700000000.000001"}))
    finally:
        await fake.stop()
    [post] = fake.calls_to("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.000001"
    assert post.body["text"] == (
        f"*{catalog.t('notify_survey_comment', 'fr', ref='REL-2026-00042')}*\n"
        "> Très utile &lt;!here&gt;")
