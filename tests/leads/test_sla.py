"""The SLA check: an unclaimed lead is reminded to its desk and escalated to the region, once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.i18n import Catalog
from bot.leads.desks import Desk, Desks
from bot.leads.dispatcher import Dispatcher, DispatchReport
from bot.leads.notifiers import core_notifiers
from bot.leads.sla import REGIONAL_DESK, check_sla
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
DESKS = Desks(desks={
    "cci-grand-hainaut": Desk(slack_channel="C0HAINAUT", emails=["leads@hainaut.example"]),
    REGIONAL_DESK: Desk(webhooks=["https://crm.region.example/hook"]),
})


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, lead_sla_hours=48, _env_file=None)


async def add_lead(db: Database, ref: str, *, age_hours: float, desk_id: str = "cci-grand-hainaut",
                   status: str = "new", owner: str | None = None, notify: bool = True) -> int:
    created = NOW - dt.timedelta(hours=age_hours)
    async with db.sessions.begin() as session:
        lead = Lead(ref=ref, submission_key=f"sub-{ref}", status=status, desk_id=desk_id,
                    rule=f"commune Valenciennes -> {desk_id}", score=72, tier="chaud",
                    channel="telegram", details={}, owner=owner, company="Textiles du Nord",
                    email="camille@textiles.example", created_at=created, updated_at=created)
        session.add(lead)
        await session.flush()
        if notify:
            payload: dict[str, Any] = {"ref": ref, "kind": "new", "desk_id": desk_id,
                                       "desk_name": "CCI Grand Hainaut", "tier": "chaud",
                                       "company": "Textiles du Nord", "status": "new",
                                       "owner": None}
            session.add(OutboxItem(lead_id=lead.id, kind="new", notifier="slack",
                                   target="C0HAINAUT", payload=payload,
                                   idempotency_key=f"{ref}:new:slack", status="sent",
                                   attempts=1, next_attempt_at=created, created_at=created,
                                   dead=False))
        return lead.id


async def outbox(db: Database, lead_id: int) -> list[OutboxItem]:
    async with db.sessions() as session:
        return list((await session.scalars(select(OutboxItem).where(
            OutboxItem.lead_id == lead_id).order_by(OutboxItem.id))).all())


async def test_an_overdue_lead_is_reminded_and_escalated_once(db: Database,
                                                               tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    lead_id = await add_lead(db, "REL-2026-00042", age_hours=49)
    assert await check_sla(db, desks=DESKS, settings=settings, now=NOW) == 1
    assert await check_sla(db, desks=DESKS, settings=settings, now=NOW) == 0
    later = NOW + dt.timedelta(days=3)
    assert await check_sla(db, desks=DESKS, settings=settings, now=later) == 0
    rows = await outbox(db, lead_id)
    assert [(r.kind, r.notifier, r.target) for r in rows] == [
        ("new", "slack", "C0HAINAUT"),
        ("reminder", "slack", "C0HAINAUT"),
        ("reminder", "email", "leads@hainaut.example"),
        ("escalation", "webhook", "https://crm.region.example/hook"),
    ]
    for row in rows[1:]:
        assert row.status == "pending" and row.attempts == 0
        assert row.payload["kind"] == row.kind
        assert row.payload["company"] == "Textiles du Nord"      # copied from the "new" payload
        assert row.payload["sla_hours"] == 48
    assert len({r.idempotency_key for r in rows}) == 4
    async with db.sessions() as session:
        lead = await session.get(Lead, lead_id)
        trail = list((await session.scalars(select(LeadEvent))).all())
    assert lead is not None and lead.escalated_at is not None and lead.status == "new"
    assert [(e.action, e.actor) for e in trail] == [("escalated", "sla")]
    assert trail[0].detail["notifications"] == 3


async def test_fresh_claimed_and_regional_leads(db: Database, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    fresh = await add_lead(db, "REL-2026-00001", age_hours=47)
    claimed = await add_lead(db, "REL-2026-00002", age_hours=100, status="claimed",
                             owner="U0ADVISOR")
    regional = await add_lead(db, "REL-2026-00003", age_hours=60, desk_id=REGIONAL_DESK)
    assert await check_sla(db, desks=DESKS, settings=settings, now=NOW) == 1
    assert [r.kind for r in await outbox(db, fresh)] == ["new"]
    assert [r.kind for r in await outbox(db, claimed)] == ["new"]
    # Already routed to the region: the escalation alone (no duplicate reminder).
    assert [r.kind for r in await outbox(db, regional)] == ["new", "escalation"]


async def test_concurrent_checks_escalate_once(db: Database, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    lead_ids = [await add_lead(db, f"REL-2026-0010{i}", age_hours=50) for i in range(5)]
    other = Database(db.url)
    try:
        counts = await asyncio.gather(
            check_sla(db, desks=DESKS, settings=settings, now=NOW),
            check_sla(other, desks=DESKS, settings=settings, now=NOW))
    finally:
        await other.close()
    assert sum(counts) == 5
    for lead_id in lead_ids:
        assert [r.kind for r in await outbox(db, lead_id)].count("escalation") == 1


async def test_default_desks_deliver_to_the_inbox_end_to_end(
    db: Database, tmp_path: Path, catalog: Catalog
) -> None:
    """No desks file: both notices go to the local inbox, rendered in French, from the row."""
    settings = settings_for(tmp_path)
    await add_lead(db, "REL-2026-00077", age_hours=72, notify=False)
    assert await check_sla(db, desks=Desks(), settings=settings, now=NOW) == 1
    dispatcher = Dispatcher(db, core_notifiers(settings, catalog=catalog), max_attempts=3,
                            backoff_seconds=1, clock=lambda: NOW)
    assert await dispatcher.run_once() == DispatchReport(sent=2)
    files = sorted(settings.inbox_dir.glob("*.json"))
    documents = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert sorted(d["kind"] for d in documents) == ["escalation", "reminder"]
    subjects = {d["kind"]: d["subject"] for d in documents}
    assert subjects["reminder"] == ("[Relocbot] Rappel : le contact REL-2026-00077 attend un "
                                    "conseiller")
    assert subjects["escalation"].startswith("[Relocbot] Escalade : le contact REL-2026-00077")
    assert all(d["payload"]["company"] == "Textiles du Nord" for d in documents)
    assert all("48 heures" in d["text"] for d in documents)
