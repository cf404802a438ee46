"""The advisors' weekly digest (issue #15, part 3): on the digest's weekday each advisor gets
their desks' open leads once per ISO week, by Slack direct message or e-mail, without
personal data; nothing on other days, nothing for an advisor without open leads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.notifier import SlackNotifier
from bot.errors import ConfigError
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK, apply_action
from bot.leads.desks import AdvisorProfile, Desk, Desks
from bot.leads.digest import digest_key, digest_text, digest_weekday, run_digests
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery, EmailNotifier
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from ops.fakes.slack_api import FakeSlackAPI

THURSDAY = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)
HAINAUT, AISNE = "cci-grand-hainaut", "cci-aisne"
DESKS = Desks(desks={
    HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE", "U0DOM", "U0OFF"],
                  advisor_profiles={
                      "U0DOM": AdvisorProfile(email="dom@hainaut.example", digest="email"),
                      "U0OFF": AdvisorProfile(digest="off")}),
    AISNE: Desk(advisors=["U0AISNE"]),
    REGIONAL_DESK: Desk(advisors=["U0REGION"])})
ANSWERS: dict[str, Any] = {"postal_code": "59300", "commune": "Valenciennes",
                           "department": "59", "desk": HAINAUT, "sector": "textile",
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr"}


@pytest.fixture
def service(db: Database, tmp_path: Path, catalog: Catalog) -> LeadService:
    return LeadService(db=db, settings=Settings(data_dir=tmp_path, _env_file=None), desks=DESKS,
                       catalog=catalog, desk_names={HAINAUT: "CCI Grand Hainaut"},
                       clock=lambda: THURSDAY)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


async def submit(service: LeadService, user: str) -> str:
    result = await service.submit({**ANSWERS, "company": f"Ateliers Secrets {user}"},
                                  channel="telegram", conversation_key=f"telegram:{user}:{user}",
                                  user_key=f"telegram:{user}", consent_at=THURSDAY.isoformat(),
                                  consent_version="2026-11", lang="fr")
    return result.ref


async def test_each_advisor_gets_their_desks_open_leads_once_a_week(
        service: LeadService, db: Database, catalog: Catalog, fake_slack: FakeSlackAPI) -> None:
    waiting, taken, closed = [await submit(service, u) for u in ("1", "2", "3")]
    await apply_action(service, ref=taken, action="lead_claim", actor="U0CAMILLE")
    await apply_action(service, ref=closed, action="lead_claim", actor="U0DOM")
    await apply_action(service, ref=closed, action="lead_close_helped", actor="U0DOM")
    settings = service.settings
    assert await run_digests(db, desks=DESKS, settings=settings, now=THURSDAY) == 0
    seen: set[str] = set()
    assert await run_digests(db, desks=DESKS, settings=settings, now=MONDAY, seen=seen) == 2
    assert await run_digests(db, desks=DESKS, settings=settings, now=MONDAY, seen=seen) == 0
    later = MONDAY + dt.timedelta(hours=5)            # another worker, same week
    assert await run_digests(db, desks=DESKS, settings=settings, now=later) == 0
    assert digest_key("U0CAMILLE", MONDAY) in seen

    due = [await db.outbox.claim(item_id=i, now=MONDAY, lease=dt.timedelta(minutes=1))
           for i in await db.outbox.due(now=MONDAY, limit=50)]
    digests = {c.item.target: c.item for c in due if c is not None and c.item.kind == "digest"}
    assert sorted(digests) == ["U0CAMILLE", "dom@hainaut.example"]   # U0OFF: off; Aisne: none
    camille = digests["U0CAMILLE"]
    assert (camille.notifier, camille.lead_id, camille.idempotency_key) == (
        "slack", None, "digest:U0CAMILLE:2026-W11")
    assert [(r["ref"], r["status"], r["yours"]) for r in camille.payload["leads"]] == [
        (waiting, "new", False), (taken, "taken", True)]
    assert camille.payload["leads"][0]["days"] == 3
    assert "Ateliers Secrets" not in json.dumps(camille.payload)
    assert "marie@example.fr" not in json.dumps(camille.payload)

    text = digest_text(camille.payload, catalog=catalog)
    assert text.subject == catalog.t("digest_subject", "fr", week="2026-W11", count=2)
    assert f"{taken} · pris en charge (par vous) · " in text.plain()
    mail = EmailNotifier(host="127.0.0.1", port=1, sender="relocbot@cci.example",
                         catalog=catalog)
    message = mail.build(Delivery(idempotency_key=digests["dom@hainaut.example"]
                                  .idempotency_key, kind="digest",
                                  target="dom@hainaut.example",
                                  payload=digests["dom@hainaut.example"].payload))
    assert message["To"] == "dom@hainaut.example"
    assert waiting in message.get_content()


async def test_the_digest_reaches_the_advisor_s_direct_message(
        service: LeadService, db: Database, catalog: Catalog, fake_slack: FakeSlackAPI) -> None:
    ref = await submit(service, "7")
    one_desk = Desks(desks={HAINAUT: Desk(advisors=["U0CAMILLE"])})
    assert await run_digests(db, desks=one_desk, settings=service.settings, now=MONDAY) == 1
    slack = SlackNotifier(token="xoxb-test", catalog=catalog, base_url=fake_slack.base_url,
                          timeout=5)
    dispatcher = Dispatcher(db, {"slack": slack}, max_attempts=1, backoff_seconds=1,
                            clock=lambda: MONDAY + dt.timedelta(minutes=1))
    await dispatcher.run_once()
    posts = [c for c in fake_slack.calls_to("chat.postMessage")
             if c.body.get("channel") == "U0CAMILLE"]
    assert len(posts) == 1
    assert ref in posts[0].body["text"]
    history = await db.leads.history(ref=ref)
    assert history is not None                   # the digest is on no lead's timeline
    assert not [e for e in history.events if e.detail.get("kind") == "digest"]
    assert await db.outbox.count(status="sent") >= 1


def test_the_weekday_setting(tmp_path: Path) -> None:
    def weekday(value: str) -> int | None:
        return digest_weekday(Settings(data_dir=tmp_path, digest_weekday=value,
                                       _env_file=None))

    assert (weekday("monday"), weekday("Friday"), weekday("off")) == (0, 4, None)
    with pytest.raises(ConfigError):
        weekday("lundi")
