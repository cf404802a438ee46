"""What the desks' targets hear when an advisor moves a lead (``bot.leads.updates``): every move,
from a Slack button or the console, is an ``update`` to the desk's e-mail and webhook targets,
once per move; and once a lead ends (closed, abandoned) every Slack message of it that carried
buttons (the card, its reminders, its escalations) is redrawn without them, reminders not
sent yet are cancelled, and a card that went out while the lead ended is redrawn after.
Real notifiers: the fake Slack Web API, a signed-webhook receiver and an SMTP server, all on
127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.lead_cards import lead_blocks
from adapters.slack.notifier import SlackNotifier
from bot.errors import AccessDenied, InputError
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK, apply_action
from bot.leads.console import Console
from bot.leads.desks import Desk, Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery, EmailNotifier, Notifier, WebhookNotifier
from bot.leads.schedule import run_schedule
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.webhook_receiver import WebhookReceiver
from tests.leads.conftest import WEBHOOK_SECRET

HAINAUT = "cci-grand-hainaut"
MONDAY = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
DAY_3 = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
DAY_9 = dt.datetime(2026, 3, 13, 8, 0, tzinfo=dt.UTC)
DAY_45 = dt.datetime(2026, 5, 6, 7, 0, tzinfo=dt.UTC)
SECRET = WEBHOOK_SECRET  # the receiver fixture's (conftest)
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr"}


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


class Company:
    """The company's own chat (not what these tests look at)."""

    name = "company"

    async def send(self, *, item: Delivery) -> str | None:
        return "telegram:1:1"


class World:
    def __init__(self, db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
                 *, desks: Desks, notifiers: dict[str, Notifier] | None = None) -> None:
        self.db, self.clock, self.desks = db, Clock(), desks
        self.settings = Settings(data_dir=tmp_path, _env_file=None)
        self.service = LeadService(db=db, settings=self.settings, desks=desks, catalog=catalog,
                                   desk_names={HAINAUT: "CCI Grand Hainaut"}, clock=self.clock)
        self.notifiers: dict[str, Notifier] = {
            "slack": SlackNotifier(token="xoxb-test", catalog=catalog, base_url=slack.base_url,
                                   timeout=30),
            "company": Company(), **(notifiers or {})}
        self.dispatcher = Dispatcher(db, self.notifiers, max_attempts=2, backoff_seconds=1,
                                     clock=self.clock)

    async def submit(self) -> str:
        result = await self.service.submit(ANSWERS, channel="telegram",
                                           conversation_key="telegram:1:1",
                                           user_key="telegram:1",
                                           consent_at=self.clock().isoformat(),
                                           consent_version="2026-11", lang="fr")
        return result.ref

    async def schedule(self, at: dt.datetime) -> None:
        self.clock.now = at
        await run_schedule(self.db, desks=self.desks, settings=self.settings, now=at)

    async def act(self, ref: str, action: str, **where: Any) -> None:
        await apply_action(self.service, ref=ref, action=action, actor="U0CAMILLE", **where)


def with_buttons(slack: FakeSlackAPI) -> list[tuple[str, str]]:
    """The messages in Slack that show action buttons now."""
    return [key for key, message in slack.messages().items()
            if any(b.get("type") == "actions" for b in message.get("blocks") or [])]


def cards(slack: FakeSlackAPI) -> list[tuple[str, str]]:
    """The lead's messages outside threads (the card, reminders, escalations)."""
    return [key for key, message in slack.messages().items() if not message.get("thread_ts")]


async def test_every_move_from_slack_or_the_console_is_told_to_email_and_webhook_once(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        receiver: WebhookReceiver, smtp: FakeSMTPServer) -> None:
    desks = Desks(desks={HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE"],
                                       emails=["desk@hainaut.example"],
                                       webhooks=[receiver.url]),
                         REGIONAL_DESK: Desk(advisors=["U0REGION"])})
    world = World(db, tmp_path, catalog, slack, desks=desks, notifiers={
        "webhook": WebhookNotifier(secret=SECRET, allowed_hosts=["127.0.0.1"],
                                   allow_local_network=True),
        "email": EmailNotifier(host="127.0.0.1", port=smtp.port, starttls=False,
                               sender="relocbot@cci.example", catalog=catalog)})
    ref = await world.submit()
    assert (await world.dispatcher.run_once()).sent == 3          # card, e-mail, webhook
    await world.act(ref, "lead_claim", channel="C0HAINAUT", channel_restricted=True)  # Slack
    with pytest.raises(InputError):                                 # a second click
        await world.act(ref, "lead_claim", channel="C0HAINAUT", channel_restricted=True)
    console = Console(service=world.service)
    scope = console.scope("U0CAMILLE")
    assert scope is not None
    await console.act(scope, ref=ref, action="lead_close_helped")   # from the console
    await world.dispatcher.run_once()
    await world.dispatcher.run_once()
    assert (await world.dispatcher.run_once()).total == 0           # each told once
    hooks = [hit.json() for hit in receiver.hits]
    assert all(hit.valid for hit in receiver.hits)
    assert [(h["kind"], h["lead"]["status"]) for h in hooks] == [
        ("new", "new"), ("update", "taken"), ("update", "closed_helped")]
    assert [h["lead"]["transition"] for h in hooks[1:]] == [
        {"from": "new", "to": "taken", "by": "U0CAMILLE", "via": "lead_claim"},
        {"from": "taken", "to": "closed_helped", "by": "U0CAMILLE",
         "via": "lead_close_helped"}]
    assert len({h["idempotency_key"] for h in hooks}) == 3
    mails = [m.message for m in smtp.messages]
    assert [str(m["Subject"]) for m in mails[1:]] == [
        f"[Relocbot] Contact {ref} : pris en charge (Ateliers du Nord)",
        f"[Relocbot] Contact {ref} : clos : aidé (Ateliers du Nord)"]
    assert {str(m["In-Reply-To"]) for m in mails[1:]} == {str(mails[0]["Message-ID"])}
    body = mails[2].get_body(("plain",))
    assert body is not None
    assert "Le statut de ce contact a changé : clos : aidé" in body.get_content()
    assert with_buttons(slack) == []            # closed: the card lost its buttons
    notes = [c.body["text"] for c in slack.calls_to("chat.postMessage")
             if c.body.get("thread_ts")]
    assert notes == [f"Demande {ref} : clos : aidé. La fiche ci-dessus est actualisée."]
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [e.detail["desks_told"] for e in history.events if e.action == "transition"] == [
        2, 3]


DESKS = Desks(desks={HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE"]),
                     REGIONAL_DESK: Desk(slack_channel="C0REGION", advisors=["U0REGION"])})


async def test_closing_redraws_the_card_its_reminders_and_escalation_without_buttons(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI) -> None:
    world = World(db, tmp_path, catalog, slack, desks=DESKS)
    ref = await world.submit()
    await world.dispatcher.run_once()
    for day in (DAY_3, DAY_9):                 # reminded twice, the region told once
        await world.schedule(day)
        await world.dispatcher.run_once()
    assert len(with_buttons(slack)) == 4
    await world.act(ref, "lead_claim")
    await world.act(ref, "lead_close_unreachable")
    await world.dispatcher.run_once()
    assert len(cards(slack)) == 4
    assert with_buttons(slack) == []
    texts = [str(m.get("blocks")) for key, m in slack.messages().items() if key in cards(slack)]
    assert all("clos : injoignable" in text for text in texts)


async def test_an_abandonment_redraws_every_card_and_cancels_the_unsent_reminder(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI) -> None:
    world = World(db, tmp_path, catalog, slack, desks=DESKS)
    ref = await world.submit()
    await world.dispatcher.run_once()
    await world.schedule(DAY_3)
    await world.dispatcher.run_once()
    await world.schedule(DAY_9)                # its reminder and escalation wait: Slack is slow
    await world.schedule(DAY_45)
    await world.dispatcher.run_once()
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [(d.kind, d.status) for d in history.deliveries if d.kind != "company_notice"] == [
        ("new", "sent"), ("reminder", "sent"), ("reminder", "cancelled"),
        ("escalation", "cancelled"), ("abandoned", "sent"), ("abandoned", "sent")]
    # the card and the first reminder, redrawn; the region hears of the end alone
    assert [channel for channel, _ in cards(slack)] == ["C0HAINAUT", "C0HAINAUT", "C0REGION"]
    assert with_buttons(slack) == []
    reminders = [c for c in slack.calls_to("chat.postMessage")
                 if "Rappel" in str(c.body.get("blocks"))]
    assert len(reminders) == 1


async def test_a_card_posted_while_the_lead_closes_is_redrawn_after(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI) -> None:
    world = World(db, tmp_path, catalog, slack, desks=DESKS)
    ref = await world.submit()
    await world.dispatcher.run_once()
    await world.schedule(DAY_3)
    real = world.notifiers["slack"]

    class Racing:
        """Slack, while an advisor closes the lead from the console during the reminder's
        post, and the closing's update goes out before the reminder is recorded."""

        name = "slack"

        async def send(self, *, item: Delivery) -> str | None:
            if item.kind == "reminder":
                await world.act(ref, "lead_claim")
                await world.act(ref, "lead_close_helped")
                await world.dispatcher.run_once()      # the update: the reminder is unknown
            return await real.send(item=item)

    world.notifiers["slack"] = world.dispatcher.notifiers["slack"] = Racing()
    await world.dispatcher.run_once()
    assert len(with_buttons(slack)) == 1       # the reminder, posted with its buttons
    await world.dispatcher.run_once()          # its redraw
    assert with_buttons(slack) == []
    assert len(cards(slack)) == 2
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [d.kind for d in history.deliveries].count("redraw") == 1


def state(blocks: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """What a card says of its lead's state: its context lines but the intro (the second
    block: "nouveau projet…" or "le statut a changé…"), and its buttons' action ids."""
    contexts = [str(b["elements"][0]["text"]) for b in blocks[2:] if b["type"] == "context"]
    actions = [str(e["action_id"]) for b in blocks if b["type"] == "actions"
               for e in b["elements"]]
    return contexts, actions


def card_of(slack: FakeSlackAPI, channel: str) -> list[dict[str, Any]]:
    """The blocks of the one card (outside threads) in ``channel``."""
    [blocks] = [m.get("blocks") or [] for (where, _), m in slack.messages().items()
                if where == channel and not m.get("thread_ts")]
    return list(blocks)


@pytest.mark.parametrize(("moves", "shown"), [
    (("lead_claim",), "Pris en charge par U0CAMILLE"),
    (("lead_refuse_territory",), "Transmis à CCI Hauts-de-France"),
    (("lead_claim", "lead_reassign"), "Transmis à CCI Hauts-de-France"),
])
async def test_a_move_from_the_console_redraws_the_slack_card_as_a_click_would(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI,
        moves: tuple[str, ...], shown: str) -> None:
    world = World(db, tmp_path, catalog, slack, desks=DESKS)
    world.service.desk_names[REGIONAL_DESK] = "CCI Hauts-de-France"
    ref = await world.submit()
    await world.dispatcher.run_once()                         # the card, with its buttons
    assert state(card_of(slack, "C0HAINAUT"))[1] == ["lead_claim", *(
        f"lead_refuse_{r}" for r in ("territory", "competence", "duplicate", "other"))]
    console = Console(service=world.service)
    scope = console.scope("U0CAMILLE")
    assert scope is not None
    for move in moves:
        clicked = await console.act(scope, ref=ref, action=move)   # what a click redraws
        with pytest.raises((InputError, AccessDenied)):   # a double submit (handed on: gone)
            await console.act(scope, ref=ref, action=move)
        await world.dispatcher.run_once()
        await world.dispatcher.run_once()
    assert (await world.dispatcher.run_once()).total == 0
    card = card_of(slack, "C0HAINAUT")                    # redrawn, not posted again
    assert state(card) == state(lead_blocks(clicked, catalog=catalog))
    assert shown in state(card)[0]
    notes = [c.body["text"] for c in slack.calls_to("chat.postMessage")
             if c.body.get("thread_ts")]
    status = {"lead_claim": "pris en charge", "lead_refuse_territory": "pas pour nous",
              "lead_reassign": "nouveau"}
    assert notes == [f"Demande {ref} : {status[m]}. La fiche ci-dessus est actualisée."
                     for m in moves]                      # one per move, never twice
    history = await db.leads.history(ref=ref)
    assert history is not None
    updates = [d for d in history.deliveries if d.kind == "update"]
    assert [(d.notifier, d.target, d.status) for d in updates] == [
        ("slack", "C0HAINAUT", "sent")] * len(moves)
    if shown.startswith("Transmis"):                      # the region got its own card
        assert state(card_of(slack, "C0REGION"))[1][0] == "lead_claim"


async def test_a_click_in_slack_queues_no_redraw_of_the_card_it_redraws_itself(
        db: Database, tmp_path: Path, catalog: Catalog, slack: FakeSlackAPI) -> None:
    world = World(db, tmp_path, catalog, slack, desks=DESKS)
    ref = await world.submit()
    await world.dispatcher.run_once()
    await world.act(ref, "lead_claim", channel="C0HAINAUT", channel_restricted=True)
    await world.dispatcher.run_once()
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert [d.kind for d in history.deliveries if d.notifier == "slack"] == ["new"]
    assert slack.calls_to("chat.update") == []
