"""Desk channels without an advisors list (issue #13, item 10): their members may act on the
desk's leads only when Slack says the channel is private and not shared outside the workspace
(the hackathon teams share channels); otherwise the action is refused and audited, and
``relocbot config check`` says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.notifiers import build_notifiers
from bot.i18n import Catalog
from bot.leads.dispatcher import Dispatcher
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent
from ops.config_check import check_config
from ops.fakes.slack_api import FakeSlackAPI
from tests.scenarios.slack.slack_harness import TOKEN, MakeSlack, SlackHarness
from tests.scenarios.slack.test_slack_leads import ANSWERS

DESK_CHANNEL = "C0DESK"
MEMBER = "U0MEMBER"


def desks_without_advisors(tmp_path: Path) -> Path:
    path = tmp_path / "desks.yaml"
    path.write_text(f"desks:\n  cci-grand-hainaut:\n    slack_channel: {DESK_CHANNEL}\n")
    return path


async def notified(make_slack: MakeSlack, tmp_path: Path) -> tuple[SlackHarness, str]:
    slack = await make_slack(desks_file=desks_without_advisors(tmp_path))
    result = await slack.runtime.assistant.leads.submit(
        dict(ANSWERS), channel="telegram", conversation_key="t:1", user_key="telegram:1",
        consent_at=dt.datetime.now(dt.UTC).isoformat(), consent_version="2026-11")
    dispatcher = Dispatcher(slack.runtime.db, build_notifiers(slack.runtime.settings),
                            max_attempts=3, backoff_seconds=1)
    assert (await dispatcher.run_once()).sent == 1
    return slack, result.ref


@pytest.mark.parametrize("flags", [{"is_private": False},
                                   {"is_private": True, "is_ext_shared": True},
                                   {"is_private": True, "is_org_shared": True}],
                         ids=["public", "slack-connect", "org-shared"])
async def test_members_of_an_open_desk_channel_may_not_act(
    make_slack: MakeSlack, fake_slack: FakeSlackAPI, db: Database, catalog: Catalog,
    tmp_path: Path, flags: dict[str, Any]
) -> None:
    fake_slack.channels[DESK_CHANNEL] = flags
    slack, ref = await notified(make_slack, tmp_path)
    await slack.action("lead_claim", ref, user=MEMBER, channel=DESK_CHANNEL, name="no")
    [refusal] = await fake_slack.wait_for("response_url")
    assert refusal.body["text"] == catalog.t("lead_action_refused_channel", "fr")
    assert not fake_slack.calls_to("chat.update")
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
        events = (await session.scalars(select(LeadEvent).where(
            LeadEvent.lead_id == lead.id))).all()
    assert (lead.status, lead.owner) == ("new", None)
    assert [(e.action, e.actor) for e in events][-1] == ("action_refused", MEMBER)


async def test_members_of_a_private_unshared_desk_channel_may_act(
    make_slack: MakeSlack, fake_slack: FakeSlackAPI, db: Database, tmp_path: Path
) -> None:
    fake_slack.channels[DESK_CHANNEL] = {"is_private": True, "is_shared": False}
    slack, ref = await notified(make_slack, tmp_path)
    await slack.action("lead_claim", ref, user=MEMBER, channel=DESK_CHANNEL)
    await fake_slack.wait_for("chat.update")
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead).where(Lead.ref == ref))).one()
    assert (lead.status, lead.owner) == ("taken", MEMBER)


async def test_config_check_says_which_desk_channel_is_open(
    fake_slack: FakeSlackAPI, tmp_path: Path
) -> None:
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-aisne:\n    slack_channel: C0OPEN\n"
                     "  cci-oise:\n    slack_channel: C0CLOSED\n"
                     "  cci-artois:\n    slack_channel: C0ANY\n    advisors: [U1]\n")
    fake_slack.channels.update({"C0OPEN": {"is_private": False},
                                "C0CLOSED": {"is_private": True}})
    settings = Settings(_env_file=None, data_dir=tmp_path, desks_file=desks,
                        slack_bot_token=TOKEN, slack_signing_secret="s",
                        slack_api_base_url=fake_slack.base_url)
    results = {r.name: r for r in await check_config(settings)}
    assert results["desks: cci-aisne"].status == "error"
    assert "public" in results["desks: cci-aisne"].detail
    assert results["desks: cci-oise"].status == "ok"
    assert "desks: cci-artois" not in results                   # advisors listed: no question
    assert TOKEN not in " ".join(r.detail for r in results.values())
