"""A desk without a Slack thread is told when the company answers (``bot.leads.answered``):
the words stay in the console, and the desk's e-mail, webhook and inbox targets get a
``company_answered`` with the lead's reference and the console's link, never the words, once
per answer. A desk whose card has a thread gets the words there and no such notice. Real
notifiers: a signed-webhook receiver and an SMTP server on 127.0.0.1, the inbox folder."""

from __future__ import annotations

import json
from pathlib import Path

from bot.i18n import Catalog
from bot.leads.console import Console
from bot.leads.desks import Desk, Desks
from bot.leads.dispatcher import DispatchReport
from bot.leads.notifiers import EmailNotifier, InboxNotifier, WebhookNotifier
from bot.leads.relay import reply_to_desk
from bot.leads.survey import record_comment
from bot.settings import Settings
from bot.storage import Database
from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.webhook_receiver import WebhookReceiver
from tests.leads.test_lead_updates import HAINAUT, SECRET, World

CONSOLE = "https://relocbot.cci.example/console"
ADVISOR = "Pouvez-vous nous envoyer le plan ?"
ANSWER = "Le plan de l'usine de Marly part ce soir"


def world(db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
          receiver: WebhookReceiver, smtp: FakeSMTPServer, *, desk: Desk,
          console_url: str | None = CONSOLE) -> World:
    built = World(db, tmp_path, catalog, slack, desks=Desks(desks={HAINAUT: desk}), notifiers={
        "webhook": WebhookNotifier(secret=SECRET, allowed_hosts=["127.0.0.1"],
                                   allow_local_network=True),
        "email": EmailNotifier(host="127.0.0.1", port=smtp.port, starttls=False,
                               sender="relocbot@cci.example", catalog=catalog),
        "inbox": InboxNotifier(catalog=catalog)})
    built.service.settings = Settings(data_dir=tmp_path, console_url=console_url,
                                      _env_file=None)
    return built


async def write(w: World, ref: str) -> None:
    """Camille writes to the company from the console."""
    console = Console(service=w.service)
    scope = console.scope("U0CAMILLE")
    assert scope is not None
    assert await console.message(scope, ref=ref, text=ADVISOR, nonce="n1")


def console_only(receiver: WebhookReceiver) -> Desk:
    return Desk(advisors=["U0CAMILLE"], emails=["desk@hainaut.example"],
                webhooks=[receiver.url], inbox=True)


async def test_a_console_desk_is_told_of_each_answer_without_its_words(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        receiver: WebhookReceiver, smtp: FakeSMTPServer) -> None:
    w = world(db, tmp_path, catalog, slack, receiver, smtp, desk=console_only(receiver))
    ref = await w.submit()
    await write(w, ref)
    assert (await w.dispatcher.run_once()).sent == 4     # e-mail, webhook, inbox, company
    smtp.messages.clear()
    receiver.hits.clear()
    for words in (ANSWER, "Et le devis de Marly aussi"):
        await reply_to_desk(w.service, ref=ref, user_key="telegram:1", text=words)
    assert await w.dispatcher.run_once() == DispatchReport(sent=6)   # 2 answers x 3 targets
    assert (await w.dispatcher.run_once()).total == 0               # each told once
    link = f"{CONSOLE}/leads/{ref}"
    hooks = [hit.json() for hit in receiver.hits]
    assert all(hit.valid for hit in receiver.hits)
    assert [(h["kind"], h["lead"]) for h in hooks] == [("company_answered", {
        "ref": ref, "kind": "company_answered", "desk_id": HAINAUT,
        "desk_name": "CCI Grand Hainaut", "console_url": link})] * 2
    assert len({h["idempotency_key"] for h in hooks}) == 2
    mails = [m.message for m in smtp.messages]
    assert [str(m["Subject"]) for m in mails] == [
        f"[Relocbot] Contact {ref} : l'entreprise a répondu"] * 2
    body = mails[0].get_body(("plain",))
    assert body is not None
    assert link in body.get_content()
    files = sorted((tmp_path / "inbox").glob(f"{ref}_company_answered*.json"))
    assert len(files) == 2
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    assert all(link in document["text"] for document in documents)
    texts = [part.get_content() for m in mails for part in m.walk()
             if part.get_content_maintype() == "text"]    # decoded: plain and HTML
    assert len(texts) == 4
    everything = json.dumps(hooks) + json.dumps(documents) + "".join(texts)
    assert "Marly" not in everything                     # the words stay in the console
    history = await db.leads.history(ref=ref)
    assert history is not None
    answered = [d for d in history.deliveries if d.kind == "company_answered"]
    assert sorted(d.notifier for d in answered) == ["email"] * 2 + ["inbox"] * 2 + [
        "webhook"] * 2


async def test_without_a_console_address_the_notice_has_no_link(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        receiver: WebhookReceiver, smtp: FakeSMTPServer) -> None:
    w = world(db, tmp_path, catalog, slack, receiver, smtp, desk=console_only(receiver),
              console_url=None)
    ref = await w.submit()
    await write(w, ref)
    await w.dispatcher.run_once()
    receiver.hits.clear()
    await reply_to_desk(w.service, ref=ref, user_key="telegram:1", text=ANSWER)
    await w.dispatcher.run_once()
    [hook] = [hit.json() for hit in receiver.hits]
    assert hook["kind"] == "company_answered"
    assert "console_url" not in hook["lead"]


async def test_the_survey_comment_kept_for_the_console_is_told_too(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        receiver: WebhookReceiver, smtp: FakeSMTPServer) -> None:
    w = world(db, tmp_path, catalog, slack, receiver, smtp, desk=console_only(receiver))
    ref = await w.submit()
    await w.act(ref, "lead_claim")
    await w.act(ref, "lead_close_helped")
    await w.dispatcher.run_once()
    receiver.hits.clear()
    history = await db.leads.history(ref=ref)
    assert history is not None
    async with db.leads.transaction() as tx:     # the survey went out (bot.leads.survey)
        await tx.update(lead_id=history.lead.id, changes={"surveyed_at": w.clock()})
    assert await record_comment(w.service, ref=ref, user_key="telegram:1",
                                text=ANSWER) is False
    await w.dispatcher.run_once()
    [hook] = [hit.json() for hit in receiver.hits]
    assert hook["kind"] == "company_answered"
    assert "Marly" not in json.dumps(hook)


async def test_a_desk_with_a_card_thread_gets_the_words_there_and_no_notice(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        receiver: WebhookReceiver, smtp: FakeSMTPServer) -> None:
    desk = Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE"], webhooks=[receiver.url])
    w = world(db, tmp_path, catalog, slack, receiver, smtp, desk=desk)
    ref = await w.submit()
    await w.dispatcher.run_once()                        # the card is posted
    await write(w, ref)
    await w.dispatcher.run_once()
    await reply_to_desk(w.service, ref=ref, user_key="telegram:1", text=ANSWER)
    await w.dispatcher.run_once()
    threaded = [c.body["text"] for c in slack.calls_to("chat.postMessage")
                if c.body.get("thread_ts")]
    [reply] = threaded
    assert "Marly" in reply
    assert [hit.json()["kind"] for hit in receiver.hits] == ["new"]
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert "company_answered" not in [d.kind for d in history.deliveries]
