"""The relay for a desk with the console and no Slack channel (``bot.leads.console``,
``bot.leads.relay``, ``bot.leads.exchange``): an advisor writes from the console, the company
gets its "Répondre" (here in Telegram, through the fake Bot API), its answer is kept for the
console and shown on the lead's page, to that desk's advisors only; never in the audit trail;
/oublier blanks it there ("Message effacé à la demande de la personne"). A desk with Slack:
the answer goes to the card's thread and the console shows its words too."""

from __future__ import annotations

import datetime as dt
import json
from html import unescape
from pathlib import Path

import pytest

from adapters.company_notifier import CompanyNotifier
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.leads.console import Console
from bot.leads.dispatcher import Dispatcher, DispatchReport
from bot.leads.notifiers import InboxNotifier
from bot.leads.relay import relay_open, reply_to_desk
from bot.leads.survey import record_comment, run_surveys
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.console.console_harness import (
    CAMILLE,
    LILLE,
    PAUL,
    REGION,
    Harness,
    harness,
    nonce,
    session_csrf,
    sign_in,
)
from tests.console.test_console_leads import Cards
from tests.leads.test_relay import ANSWERS as RELAY_ANSWERS
from tests.leads.test_relay import NOW, Company, joined

ADVISOR_WORDS = "Pouvez-vous m'envoyer le plan de l'atelier ?"
COMPANY_WORDS = "Oui, le plan de l'usine de Marly part ce soir <b>signé</b>"
ERASED = "Message effacé à la demande de la personne."


async def write(h: Harness, email: str, ref: str, text: str) -> None:
    async with h.client() as http:
        await sign_in(h, http, email)
        page = (await http.get(f"/console/leads/{ref}")).text
        sent = await http.post(f"/console/leads/{ref}/message", data={
            "text": text, "csrf": await session_csrf(http), "nonce": nonce(page)})
        assert sent.status_code == 303


async def lead_page(h: Harness, email: str, ref: str) -> tuple[int, str]:
    async with h.client() as http:
        await sign_in(h, http, email)
        response = await http.get(f"/console/leads/{ref}")
        return response.status_code, unescape(response.text)


async def test_a_desk_without_slack_gets_the_company_s_answers_in_its_console(
        db: Database, tmp_path: Path, catalog: Catalog, telegram: FakeTelegramAPI) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="7", desk=LILLE)
    await write(h, PAUL, ref, ADVISOR_WORDS)
    company = CompanyNotifier(catalog=catalog, telegram_token=TOKEN,
                              telegram_base_url=telegram.base_url, timeout=5)
    inbox = tmp_path / "inbox"    # the desk's only target: its inbox folder
    dispatcher = Dispatcher(db, {"company": company, "inbox": InboxNotifier(catalog=catalog)},
                            max_attempts=1, backoff_seconds=1, clock=h.clock)
    await dispatcher.run_once()
    before = {path.name for path in inbox.iterdir()}
    [told] = [m for m in telegram.sent(7) if ADVISOR_WORDS in unescape(m["text"])]
    assert told["reply_markup"] == {"inline_keyboard": [[
        {"text": "Répondre", "callback_data": f"rl:reply:{ref}"}]]}
    opened = await relay_open(h.service, ref=ref, user_key="telegram:7")
    assert opened is not None               # the company's "Répondre" leads somewhere
    assert await reply_to_desk(h.service, ref=ref, user_key="telegram:7",
                               text=COMPANY_WORDS) == ref
    # the words stay in the console; the desk's inbox is told it answered, without them
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert (await dispatcher.run_once()).total == 0
    [alert] = [inbox / name for name in {p.name for p in inbox.iterdir()} - before]
    document = json.loads(alert.read_text(encoding="utf-8"))
    assert (document["kind"], document["ref"]) == ("company_answered", ref)
    assert document["subject"] == f"[Relocbot] Contact {ref} : l'entreprise a répondu"
    assert "Marly" not in json.dumps(document)    # no word of the answer
    status, page = await lead_page(h, PAUL, ref)
    assert status == 200
    conversation = page.split("Échanges avec l'entreprise", 1)[1].split("</section>", 1)[0]
    assert ADVISOR_WORDS in conversation
    assert COMPANY_WORDS in conversation
    assert "<b>signé</b>" not in page.replace(COMPANY_WORDS, "")    # escaped, not markup
    assert conversation.index(ADVISOR_WORDS) < conversation.index(COMPANY_WORDS)
    assert f"{PAUL} (conseiller)" in conversation
    assert "L'entreprise" in conversation
    for other in (CAMILLE,):                  # another desk's advisor: not found, no words
        status, page = await lead_page(h, other, ref)
        assert status == 404
        assert COMPANY_WORDS not in page
    assert COMPANY_WORDS in (await lead_page(h, REGION, ref))[1]   # the region sees all
    history = await db.leads.history(ref=ref)
    assert history is not None
    [reply] = [d for d in history.deliveries if d.kind == "company_reply"]
    assert (reply.notifier, reply.target, reply.status) == ("console", LILLE, "sent")
    [event] = [e for e in history.events if e.action == "relay_from_company"]
    assert event.detail == {"chars": len(COMPANY_WORDS), "to": "console"}
    assert COMPANY_WORDS not in json.dumps([e.detail for e in history.events])


async def test_oublier_blanks_the_answers_in_the_console(
        db: Database, tmp_path: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="8", desk=LILLE)
    await write(h, PAUL, ref, ADVISOR_WORDS)
    await reply_to_desk(h.service, ref=ref, user_key="telegram:8", text=COMPANY_WORDS)
    assert await h.service.erase(user_key="telegram:8", actor="telegram:8") == 1
    status, page = await lead_page(h, PAUL, ref)
    assert status == 200
    assert COMPANY_WORDS not in page
    assert ADVISOR_WORDS not in page
    assert page.count(ERASED) == 2
    history = await db.leads.history(ref=ref)
    assert history is not None
    stored = json.dumps([d.payload for d in history.deliveries], ensure_ascii=False)
    assert COMPANY_WORDS not in stored
    assert not [d for d in history.deliveries if d.kind == "erased"]   # nothing elsewhere
    assert COMPANY_WORDS not in caplog.text


async def test_with_a_slack_card_the_answer_goes_to_its_thread_and_shows_in_the_console(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="9")
    await Dispatcher(db, {"slack": Cards()}, max_attempts=1, backoff_seconds=1).run_once()
    await write(h, CAMILLE, ref, ADVISOR_WORDS)
    await reply_to_desk(h.service, ref=ref, user_key="telegram:9", text=COMPANY_WORDS)
    history = await db.leads.history(ref=ref)
    assert history is not None
    [reply] = [d for d in history.deliveries if d.kind == "company_reply"]
    assert (reply.notifier, reply.target, reply.payload["thread_ts"]) == (
        "slack", "C0HAINAUT", "1700000000.000001")
    page = (await lead_page(h, CAMILLE, ref))[1]
    assert COMPANY_WORDS in page
    assert "Camille (conseiller)" in page
    await h.service.erase(user_key="telegram:9", actor="telegram:9")
    page = (await lead_page(h, CAMILLE, ref))[1]
    assert COMPANY_WORDS not in page
    assert ERASED in page


async def test_a_survey_comment_without_a_slack_card_shows_in_the_console(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="5", desk=LILLE)
    console = Console(service=h.service)
    scope = console.scope(PAUL)
    assert scope is not None
    for action in ("lead_claim", "lead_close_helped"):
        await console.act(scope, ref=ref, action=action)
    later = h.clock.now + dt.timedelta(days=11)
    assert await run_surveys(db, settings=h.service.settings, now=later) == 1
    assert not await record_comment(h.service, ref=ref, user_key="telegram:5",
                                    text=COMPANY_WORDS)        # no thread: the console
    page = (await lead_page(h, PAUL, ref))[1]
    assert f"L'entreprise (commentaire après la clôture){COMPANY_WORDS}" in page.replace(
        "</strong><blockquote>", "")
    history = await db.leads.history(ref=ref)
    assert history is not None
    [comment] = [e for e in history.events if e.action == "survey_comment"]
    assert comment.detail == {"chars": len(COMPANY_WORDS), "desk_id": LILLE, "to": "console"}


@pytest.fixture
def console_bot(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path) -> Assistant:
    """A desk with the advisors' console and no Slack channel."""
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-grand-hainaut:\n    advisors: [U0CAMILLE]\n"
                     "    advisor_profiles:\n      U0CAMILLE: {first_name: Camille, "
                     "share_first_name: true, email: camille@hainaut.example}\n",
                     encoding="utf-8")
    settings = Settings(data_dir=tmp_path, desks_file=desks, rate_limit_per_minute=1000,
                        _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)


async def test_a_desk_without_slack_gets_the_answer_to_its_console_message(
        console_bot: Assistant, db: Database, catalog: Catalog) -> None:
    result = await console_bot.leads.submit(
        {**RELAY_ANSWERS, "company": "Ateliers marie"}, channel="terminal",
        conversation_key="terminal:marie", user_key="terminal:marie",
        consent_at=NOW.isoformat(), consent_version="2026-11", lang="fr")
    ref, marie = result.ref, Company(console_bot, "marie")
    console = Console(service=console_bot.leads)
    scope = console.scope("U0CAMILLE")
    assert scope is not None
    assert await console.message(scope, ref=ref, text="Pouvez-vous préciser ?", nonce="n1")
    history = await db.leads.history(ref=ref)
    assert history is not None
    [message] = [d for d in history.deliveries if d.kind == "company_message"]
    assert "replies" not in message.payload          # the company gets its "Répondre"
    armed = joined(await marie.press(f"rl:reply:{ref}"))
    assert armed == catalog.t("relay_armed", "fr", who="Camille (CCI Grand Hainaut)")
    [sent] = await marie.say(COMPANY_WORDS)
    assert sent.text == catalog.t("relay_sent", "fr", ref=ref)
    history = await db.leads.history(ref=ref)
    assert history is not None
    [reply] = [d for d in history.deliveries if d.kind == "company_reply"]
    assert (reply.notifier, reply.status, reply.payload["text"]) == ("console", "sent",
                                                                     COMPANY_WORDS)
    assert [e.detail for e in history.events if e.action == "relay_from_company"] == [
        {"chars": len(COMPANY_WORDS), "to": "console"}]
