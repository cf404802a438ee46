"""Leads in Slack: the form in a DM, the desk notification, and the advisors' buttons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.notifiers import build_notifiers
from bot.leads.dispatcher import Dispatcher
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from ops.fakes.slack_api import FakeSlackAPI, message_event
from tests.scenarios.slack.slack_harness import MakeSlack, SlackHarness

DESK_CHANNEL = "C0DESK"
ADVISOR = "U0ADVISOR"
ANSWERS = {"company": "Ateliers du Nord", "siren": "732829320", "place": "Valenciennes",
           "postal_code": "59300", "commune": "Valenciennes", "department": "59",
           "desk": "cci-grand-hainaut", "routing_rule": "commune Valenciennes -> "
           "cci-grand-hainaut", "headcount": 40, "size": "PME", "product": "Chemises en lin",
           "stage": "pret", "timeline": "moins-6-mois", "contact_name": "Marie",
           "email": "marie@example.fr"}


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def desks(tmp_path: Path) -> Path:
    path = tmp_path / "desks.yaml"
    path.write_text(f"desks:\n  cci-grand-hainaut:\n    slack_channel: {DESK_CHANNEL}\n"
                    f"    advisors: [{ADVISOR}]\n")
    return path


async def _notified(make_slack: MakeSlack, fake: FakeSlackAPI,
                    tmp_path: Path) -> tuple[SlackHarness, str]:
    slack = await make_slack(desks_file=desks(tmp_path))
    service = slack.runtime.assistant.leads
    result = await service.submit(dict(ANSWERS), channel="telegram", conversation_key="t:1",
                                  user_key="telegram:1",
                                  consent_at=dt.datetime.now(dt.UTC).isoformat(),
                                  consent_version="2026-11")
    dispatcher = Dispatcher(slack.runtime.db, build_notifiers(slack.runtime.settings),
                            max_attempts=3, backoff_seconds=1)
    report = await dispatcher.run_once()
    assert report.sent == 1
    [post] = await fake.wait_for("chat.postMessage")
    assert post.body["channel"] == DESK_CHANNEL
    return slack, result.ref


async def test_advisor_claims_then_closes_and_the_card_follows(make_slack: MakeSlack,
                                                               fake_slack: FakeSlackAPI,
                                                               db: Database,
                                                               tmp_path: Path) -> None:
    slack, ref = await _notified(make_slack, fake_slack, tmp_path)
    [post] = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert action_ids(post.body["blocks"]) == [
        "lead_claim", "lead_refuse_territory", "lead_refuse_competence",
        "lead_refuse_duplicate", "lead_refuse_other"]
    response = await slack.action("lead_claim", ref, user=ADVISOR, channel=DESK_CHANNEL)
    assert response.status_code == 200
    [update] = await fake_slack.wait_for("chat.update")
    assert update.body["channel"] == DESK_CHANNEL
    assert ADVISOR in str(update.body["blocks"])                  # "Pris en charge par ..."
    assert action_ids(update.body["blocks"]) == [
        "lead_close_helped", "lead_close_no_help", "lead_close_unreachable", "lead_reassign"]
    await slack.action("lead_close_helped", ref, user=ADVISOR, channel=DESK_CHANNEL)
    closed = (await fake_slack.wait_for("chat.update", 2))[-1]
    assert action_ids(closed.body["blocks"]) == []                # closed: no buttons
    assert "clos : aidé" in json.dumps(closed.body["blocks"], ensure_ascii=False)
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
        assert (lead.status, lead.owner) == ("closed_helped", ADVISOR)
        assert lead.claimed_at is not None
        events = [e for e in (await session.scalars(select(LeadEvent).where(
            LeadEvent.lead_id == lead.id))).all() if e.action == "transition"]
    assert [(e.actor, e.detail["from"], e.detail["to"]) for e in events] == [
        (ADVISOR, "new", "taken"), (ADVISOR, "taken", "closed_helped")]
    # A stale card's button: refused politely, audited.
    await slack.action("lead_claim", ref, user=ADVISOR, channel=DESK_CHANNEL)
    [refusal] = await fake_slack.wait_for("response_url")
    assert refusal.body["response_type"] == "ephemeral"


async def test_pas_pour_nous_hands_the_lead_to_the_region(make_slack: MakeSlack,
                                                         fake_slack: FakeSlackAPI,
                                                         db: Database, tmp_path: Path) -> None:
    slack, ref = await _notified(make_slack, fake_slack, tmp_path)
    await slack.action("lead_refuse_competence", ref, user=ADVISOR, channel=DESK_CHANNEL)
    [update] = await fake_slack.wait_for("chat.update")
    assert action_ids(update.body["blocks"]) == []
    text = json.dumps(update.body["blocks"], ensure_ascii=False)
    assert "hors compétence" in text
    assert "Transmis à" in text
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
        kinds = [i.kind for i in (await session.scalars(select(OutboxItem).where(
            OutboxItem.lead_id == lead.id).order_by(OutboxItem.id))).all()]
    assert (lead.status, lead.desk_id) == ("new", "cci-hauts-de-france")
    assert kinds == ["new", "new"]                                # the region is notified


async def test_non_advisors_are_refused_and_audited(make_slack: MakeSlack,
                                                    fake_slack: FakeSlackAPI, db: Database,
                                                    tmp_path: Path) -> None:
    slack, ref = await _notified(make_slack, fake_slack, tmp_path)
    await slack.action("lead_claim", ref, user="U0INTRUDER", channel=DESK_CHANNEL, name="no")
    [refusal] = await fake_slack.wait_for("response_url")
    assert refusal.body["response_type"] == "ephemeral"
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
        assert lead.status == "new"
        assert lead.owner is None
        events = (await session.scalars(select(LeadEvent).where(
            LeadEvent.lead_id == lead.id))).all()
    assert [(e.action, e.actor) for e in events][-1] == ("action_refused", "U0INTRUDER")
    assert not [c for c in fake_slack.calls if c.method == "chat.update"]


async def test_reassign_forwards_to_the_regional_desk(make_slack: MakeSlack,
                                                      fake_slack: FakeSlackAPI, db: Database,
                                                      tmp_path: Path) -> None:
    slack, ref = await _notified(make_slack, fake_slack, tmp_path)
    await slack.action("lead_claim", ref, user=ADVISOR, channel=DESK_CHANNEL)
    await fake_slack.wait_for("chat.update")
    await slack.action("lead_reassign", ref, user=ADVISOR, channel=DESK_CHANNEL)
    await fake_slack.wait_for("chat.update", 2)
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
    assert (lead.desk_id, lead.status, lead.owner) == ("cci-hauts-de-france", "new", None)


async def test_lead_form_in_a_slack_dm(make_slack: MakeSlack, fake_slack: FakeSlackAPI,
                                       db: Database) -> None:
    slack = await make_slack()
    dm = "D0ALICE"

    async def say(text: str) -> None:
        await slack.event(message_event(text, channel=dm, channel_type="im"))
        await slack.settle()

    async def press(value: str) -> None:
        await slack.action("reloc.0", value, channel=dm)
        await slack.settle()

    await say("/conseiller")
    await press("lf:consent:yes")
    for text in ("Ateliers du Nord", "passer", "Valenciennes", "40", "passer",
                 "Chemises en lin", "passer"):
        await say(text)
    await press("lf:choice:pret")
    await press("lf:choice:moins-6-mois")
    await say("Marie")
    await say("marie@example.fr")
    await say("passer")
    await press("lf:confirm")
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
    assert (lead.channel, lead.desk_id, lead.company) == ("slack", "cci-grand-hainaut",
                                                          "Ateliers du Nord")


async def test_an_update_edits_the_card_and_says_so_in_its_thread(
    make_slack: MakeSlack, fake_slack: FakeSlackAPI, tmp_path: Path
) -> None:
    slack, ref = await _notified(make_slack, fake_slack, tmp_path)
    async with slack.runtime.db.sessions() as session:
        [remote] = (await session.scalars(select(OutboxItem.remote_ref))).all()
    channel, ts = str(remote).split(":")
    assert channel == DESK_CHANNEL
    service = slack.runtime.assistant.leads
    again = await service.submit({**ANSWERS, "product": "Chemises et vestes en lin"},
                                 channel="telegram", conversation_key="t:1",
                                 user_key="telegram:1",
                                 consent_at=dt.datetime.now(dt.UTC).isoformat(),
                                 consent_version="2026-11")
    assert again.ref == ref
    assert not again.created
    dispatcher = Dispatcher(slack.runtime.db, build_notifiers(slack.runtime.settings),
                            max_attempts=3, backoff_seconds=1)
    assert (await dispatcher.run_once()).sent == 1
    [edit] = await fake_slack.wait_for("chat.update")
    assert (edit.body["channel"], edit.body["ts"]) == (DESK_CHANNEL, ts)
    assert "vestes en lin" in str(edit.body["blocks"])
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2
    assert posts[1].body["thread_ts"] == ts     # a note, not a new card
    assert ref in posts[1].body["text"]
    assert "blocks" not in posts[1].body


async def test_an_update_whose_card_is_gone_posts_a_new_card(
    make_slack: MakeSlack, fake_slack: FakeSlackAPI, tmp_path: Path
) -> None:
    slack, _ = await _notified(make_slack, fake_slack, tmp_path)
    fake_slack.fail("chat.update", "message_not_found")
    service = slack.runtime.assistant.leads
    await service.submit({**ANSWERS, "product": "Vestes"}, channel="telegram",
                         conversation_key="t:1", user_key="telegram:1",
                         consent_at=dt.datetime.now(dt.UTC).isoformat(), consent_version="2026-11")
    dispatcher = Dispatcher(slack.runtime.db, build_notifiers(slack.runtime.settings),
                            max_attempts=3, backoff_seconds=1)
    assert (await dispatcher.run_once()).sent == 1
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2
    assert "thread_ts" not in posts[1].body
    assert "Vestes" in str(
        posts[1].body["blocks"])
