"""The outbox dispatcher on SQLite and PostgreSQL: retries with backoff, dead letters,
concurrent dispatchers, a crash between send and commit."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot.errors import DeliveryError
from bot.leads.dispatcher import Dispatcher, DispatchReport, dead_letters, retry_dead
from bot.leads.notifiers import Delivery, Notifier
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Recorder:
    """A notifier of our own: fails ``failures`` times (transient unless told), then delivers."""

    name = "fake"

    def __init__(self, *, failures: int = 0, transient: bool = True, pause: float = 0.0) -> None:
        self.failures = failures
        self.transient = transient
        self.pause = pause
        self.calls: list[Delivery] = []
        self.called = asyncio.Event()
        self.delivered: list[str] = []

    async def send(self, *, item: Delivery) -> str | None:
        self.calls.append(item)
        self.called.set()
        if self.pause:
            await asyncio.sleep(self.pause)
        if len(self.calls) <= self.failures:
            raise DeliveryError("fake: HTTP 503", transient=self.transient)
        self.delivered.append(item.idempotency_key)
        return f"remote-{len(self.delivered)}"


class Killed(BaseException):
    """The process dies: not an ``Exception``, nothing in the dispatcher catches it."""


class DiesAfterSending(Recorder):
    async def send(self, *, item: Delivery) -> str | None:
        ref = await super().send(item=item)
        if len(self.delivered) == 1:
            raise Killed
        return ref


async def add_lead(db: Database, ref: str = "REL-2026-00001", **extra: Any) -> int:
    async with db.sessions.begin() as session:
        lead = Lead(ref=ref, submission_key=f"sub-{ref}", status="new", desk_id="cci-test",
                    rule="test", score=50, tier="tiede", channel="terminal", details={},
                    company="Textiles du Nord", email="camille@textiles.example",
                    created_at=T0, updated_at=T0, **extra)
        session.add(lead)
        await session.flush()
        return lead.id


async def add_items(db: Database, lead_id: int, count: int = 1, *, notifier: str = "fake",
                    prefix: str = "REL-2026-00001:new") -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(count)]
    async with db.sessions.begin() as session:
        session.add_all(OutboxItem(
            lead_id=lead_id, kind="new", notifier=notifier, target=f"target-{i}",
            payload={"ref": "REL-2026-00001", "kind": "new", "email": "camille@textiles.example"},
            idempotency_key=key, status="pending", attempts=0, next_attempt_at=T0,
            created_at=T0, dead=False) for i, key in enumerate(keys))
    return keys


async def items(db: Database) -> list[OutboxItem]:
    async with db.sessions() as session:
        return list((await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all())


async def events(db: Database) -> list[LeadEvent]:
    async with db.sessions() as session:
        return list((await session.scalars(select(LeadEvent).order_by(LeadEvent.id))).all())


def dispatcher(db: Database, notifier: Notifier, clock: Clock, **options: Any) -> Dispatcher:
    settings: dict[str, Any] = {"max_attempts": 5, "backoff_seconds": 10.0,
                                "lease_seconds": 60.0}
    return Dispatcher(db, {"fake": notifier}, clock=clock, **(settings | options))


async def test_two_transient_failures_then_one_delivery(db: Database) -> None:
    lead_id = await add_lead(db)
    [key] = await add_items(db, lead_id)
    clock, notifier = Clock(), Recorder(failures=2)
    run = dispatcher(db, notifier, clock)
    assert await run.run_once() == DispatchReport(retried=1)
    assert await run.run_once() == DispatchReport()            # backing off
    clock.advance(9)
    assert await run.run_once() == DispatchReport()
    clock.advance(1)                                           # 10 s = backoff
    assert await run.run_once() == DispatchReport(retried=1)
    clock.advance(19)
    assert await run.run_once() == DispatchReport()            # 20 s = backoff doubled
    clock.advance(1)
    assert await run.run_once() == DispatchReport(sent=1)
    assert await run.run_once() == DispatchReport()
    assert notifier.delivered == [key]
    assert {c.idempotency_key for c in notifier.calls} == {key}
    assert [c.attempt for c in notifier.calls] == [1, 2, 3]
    [item] = await items(db)
    assert (item.status, item.attempts, item.remote_ref, item.dead) == ("sent", 3, "remote-1",
                                                                        False)
    assert item.sent_at is not None
    assert item.locked_until is None
    assert item.last_error is None
    trail = await events(db)
    assert [(e.action, e.actor, e.detail["attempt"]) for e in trail] == [
        ("delivery_failed", "dispatcher", 1), ("delivery_failed", "dispatcher", 2),
        ("delivered", "dispatcher", 3)]
    assert trail[0].detail["notifier"] == "fake"
    assert trail[0].detail["error"] == "DeliveryError: fake: HTTP 503"


async def test_a_notifier_down_for_good_ends_as_a_dead_letter(db: Database) -> None:
    lead_id = await add_lead(db)
    await add_items(db, lead_id)
    clock, notifier = Clock(), Recorder(failures=10**6)
    run = dispatcher(db, notifier, clock, max_attempts=3, backoff_seconds=1.0)
    outcomes = []
    for _ in range(5):
        outcomes.append(await run.run_once())
        clock.advance(3600)
    assert outcomes == [DispatchReport(retried=1), DispatchReport(retried=1),
                        DispatchReport(dead=1), DispatchReport(), DispatchReport()]
    [item] = await items(db)
    assert (item.status, item.dead, item.attempts) == ("dead", True, 3)
    assert item.last_error == "DeliveryError: fake: HTTP 503"
    assert "@" not in (item.last_error or "")
    assert [e.action for e in await events(db)][-1] == "dead_letter"
    async with db.sessions() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None
    assert (lead.status, lead.email) == ("new", "camille@textiles.example")
    assert [d.id for d in await dead_letters(db)] == [item.id]


async def test_permanent_failures_and_unknown_notifiers_die_at_once(db: Database) -> None:
    lead_id = await add_lead(db)
    await add_items(db, lead_id, prefix="k:perm")
    await add_items(db, lead_id, notifier="carrier-pigeon", prefix="k:pigeon")
    run = dispatcher(db, Recorder(failures=1, transient=False), Clock())
    assert await run.run_once() == DispatchReport(dead=2)
    dead = await dead_letters(db)
    assert [(d.attempts, d.status) for d in dead] == [(1, "dead"), (1, "dead")]
    assert "not configured" in (dead[1].last_error or "")


async def test_retry_dead_puts_dead_letters_back(db: Database) -> None:
    lead_id = await add_lead(db)
    [key] = await add_items(db, lead_id)
    clock = Clock()
    assert await dispatcher(db, Recorder(failures=1, transient=False), clock).run_once() == \
        DispatchReport(dead=1)
    assert await retry_dead(db, now=clock()) == 1
    [item] = await items(db)
    assert (item.status, item.attempts, item.dead) == ("pending", 0, False)
    assert await retry_dead(db) == 0
    working = Recorder()
    assert await dispatcher(db, working, clock).run_once() == DispatchReport(sent=1)
    assert working.delivered == [key]
    assert await dead_letters(db) == []
    assert "delivery_retried" in [e.action for e in await events(db)]


async def test_two_dispatchers_never_deliver_an_item_twice(db: Database) -> None:
    lead_id = await add_lead(db)
    keys = await add_items(db, lead_id, 40)
    other_db = Database(db.url)
    try:
        notifier, clock = Recorder(pause=0.01), Clock()   # long enough for both to claim
        first = dispatcher(db, notifier, clock)
        second = dispatcher(other_db, notifier, clock)
        reports = list(await asyncio.gather(first.run_once(limit=100),
                                            second.run_once(limit=100)))
        reports += await asyncio.gather(first.run_once(limit=100), second.run_once(limit=100))
    finally:
        await other_db.close()
    assert sum(r.sent for r in reports) == 40
    assert Counter(notifier.delivered) == Counter(keys)       # each exactly once
    assert len(notifier.calls) == 40
    assert all(r.sent for r in reports[:2])                   # both took a share
    rows = await items(db)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert [e.action for e in await events(db)].count("delivered") == 40


async def test_a_crash_between_send_and_commit_is_redelivered_after_the_lease(
    db: Database,
) -> None:
    lead_id = await add_lead(db)
    [key] = await add_items(db, lead_id)
    clock, notifier = Clock(), DiesAfterSending()
    with pytest.raises(Killed):
        await dispatcher(db, notifier, clock).run_once()
    [item] = await items(db)
    assert (item.status, item.attempts) == ("sending", 1)
    restarted = dispatcher(db, notifier, clock)
    clock.advance(59)
    assert await restarted.run_once() == DispatchReport()     # lease still held
    clock.advance(2)
    assert await restarted.run_once() == DispatchReport(sent=1)
    assert notifier.delivered == [key, key]                   # at least once, same key
    [item] = await items(db)
    assert (item.status, item.attempts) == ("sent", 2)
    assert [e.action for e in await events(db)] == ["delivered"]


async def test_a_dispatcher_that_lost_its_lease_does_not_overwrite(db: Database) -> None:
    lead_id = await add_lead(db)
    await add_items(db, lead_id)
    clock = Clock()
    slow, fast = Recorder(pause=0.3), Recorder()
    slow_run = asyncio.create_task(dispatcher(db, slow, clock).run_once())
    await asyncio.wait_for(slow.called.wait(), 10)
    clock.advance(61)                                          # the slow one's lease expires
    assert await dispatcher(db, fast, clock).run_once() == DispatchReport(sent=1)
    assert await slow_run == DispatchReport()                  # its late result is dropped
    [item] = await items(db)
    assert (item.status, item.attempts, item.remote_ref) == ("sent", 2, "remote-1")
    assert [e.detail["attempt"] for e in await events(db)] == [2]


async def test_run_forever_delivers_and_stops(db: Database) -> None:
    lead_id = await add_lead(db)
    await add_items(db, lead_id, 3)
    notifier, stop = Recorder(), asyncio.Event()
    run = dispatcher(db, notifier, Clock())
    task = asyncio.create_task(run.run_forever(interval=0.01, stop=stop))
    for _ in range(500):
        if len(notifier.delivered) == 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert len(notifier.delivered) == 3


def test_backoff_doubles_and_is_capped() -> None:
    run = Dispatcher(None, {}, max_attempts=3, backoff_seconds=30,  # type: ignore[arg-type]
                     max_backoff_seconds=3600)
    assert [run.backoff(n).total_seconds() for n in (1, 2, 3, 8, 50)] == [30, 60, 120, 3600,
                                                                            3600]
