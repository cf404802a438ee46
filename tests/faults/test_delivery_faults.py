"""Faults in the middle of an outbox delivery (issue #8): nothing lost, nothing doubled.

- ``relocbot worker`` killed (-9) while a signed webhook is in flight: a fresh worker takes the
  item once its lease expires and delivers it again with the same idempotency key; the lead
  exists once, the item ends ``sent`` after two attempts, and the worker stops cleanly (SIGTERM).
  On SQLite and on the local PostgreSQL.
- PostgreSQL stopped while a delivery is in flight: the receiver's 200 cannot be recorded, the
  in-process worker logs it and keeps running, then recovers by itself once the server is back
  (redelivered with the same key, ``sent``) and stops cleanly; a lead confirmed meanwhile gets
  the polite "database unavailable" answer, nothing of it is written, the answers are kept.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from adapters.terminal import run_terminal
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.notifiers import core_notifiers
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem
from bot.storage.tables import utcnow
from bot.wiring import build_assistant
from bot.worker import run_worker
from knowledge.base import KnowledgeBase
from ops.fakes.webhook_receiver import WebhookReceiver
from tests.faults.pg import PrivatePostgres, private_postgres

SECRET = "fault-s3cret"
UNTIL_SECONDS = 60.0                # what _until waits for, at most
DESK = "cci-grand-hainaut"          # Valenciennes, the place typed in FORM
FORM = ["/conseiller", "1", "Ateliers du Nord", "passer", "Valenciennes", "40", "passer",
        "Chemises", "passer", "4", "4", "Marie", "marie@example.fr", "passer"]


class HeldReceiver(WebhookReceiver):
    """Records each hit at once, then holds the answer until ``gate`` is open."""

    def __init__(self, *, secret: str) -> None:
        super().__init__(secret=secret)
        self.gate = asyncio.Event()

    async def _hook(self, request: web.Request) -> web.Response:
        response = await super()._hook(request)
        await self.gate.wait()
        return response

    def keys(self) -> set[str]:
        return {hit.headers["X-Relocbot-Idempotency-Key"] for hit in self.hits}


@pytest.fixture
async def receiver() -> AsyncIterator[HeldReceiver]:
    server = HeldReceiver(secret=SECRET)
    await server.start()
    yield server
    server.gate.set()               # let a held request finish so the server can stop
    await server.stop()


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    yield from private_postgres()


def _desks_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "desks.yaml"
    path.write_text(f"desks:\n  {DESK}:\n    webhooks: [{url}]\n", encoding="utf-8")
    return path


async def _until(check: Callable[[], Awaitable[bool] | bool], what: str, *,
                 worker: asyncio.Task[None] | None = None) -> None:
    """Poll ``check`` (a database outage counts as "not yet") for ``UNTIL_SECONDS`` at most."""
    deadline = time.monotonic() + UNTIL_SECONDS
    while True:
        assert worker is None or not worker.done(), f"the worker died waiting for {what}"
        try:
            result = check()
            done = await result if inspect.isawaitable(result) else result
        except (SQLAlchemyError, OSError):
            done = False
        if done:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _items(db: Database) -> list[OutboxItem]:
    async with db.sessions() as session:
        return list((await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all())


async def _is_sent(db: Database) -> bool:
    return [i.status for i in await _items(db)] == ["sent"]


async def _count(db: Database, table: type) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _actions(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(await session.scalars(select(LeadEvent.action).order_by(LeadEvent.id)))


async def _submit(db: Database, settings: Settings, catalog: Catalog) -> int:
    service = LeadService(db=db, settings=settings, desks=Desks.load(settings.desks_file),
                          catalog=catalog, desk_names={})
    answers = {"desk": DESK, "company": "Textiles du Nord", "email": "camille@textiles.example",
               "commune": "Valenciennes", "size": "10-49"}
    result = await service.submit(answers, channel="terminal", conversation_key="terminal:t",
                                  user_key="terminal:t", consent_at=utcnow().isoformat(),
                                  consent_version="2026-11")
    assert result.created
    return result.lead_id


def _relocbot() -> str:
    return str(Path(sys.executable).with_name("relocbot"))


# -- kill -9 during a delivery -------------------------------------------------------------------

async def test_worker_killed_mid_delivery_redelivers_once_with_the_same_key(
    db: Database, receiver: HeldReceiver, catalog: Catalog, tmp_path: Path
) -> None:
    desks = _desks_file(tmp_path, receiver.url)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", desks_file=desks)
    lead_id = await _submit(db, settings, catalog)
    url = db.url.replace("+aiosqlite", "").replace("+asyncpg", "")   # as an operator sets it
    env = {**os.environ, "DATABASE_URL": url, "RELOCBOT_DATA_DIR": str(tmp_path / "data"),
           "RELOCBOT_DESKS_FILE": str(desks), "RELOCBOT_WEBHOOK_SECRET": SECRET,
           "RELOCBOT_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
           "RELOCBOT_WEBHOOK_ALLOW_LOCAL_NETWORK": "true",
           "RELOCBOT_OUTBOX_LEASE_SECONDS": "2", "RELOCBOT_OUTBOX_BACKOFF_SECONDS": "0.5",
           "ORT_DISABLE_TELEMETRY": "1", "RELOCBOT_LOG_LEVEL": "WARNING"}

    def start(name: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:
            return subprocess.Popen([_relocbot(), "worker"], env=env, cwd=tmp_path,
                                    stdout=log, stderr=subprocess.STDOUT)

    first = start("first")
    try:
        await _until(lambda: len(receiver.hits) == 1, "the first worker's webhook request")
        first.send_signal(signal.SIGKILL)              # dies while the request is held
        assert await asyncio.to_thread(first.wait, 10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    receiver.gate.set()
    [item] = await _items(db)
    assert (item.status, item.attempts) == ("sending", 1)    # the answer was never recorded

    second = start("second")
    try:
        await _until(lambda: _is_sent(db), "the redelivery by a fresh worker")
        second.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(second.wait, 30)
    finally:
        if second.poll() is None:
            second.kill()
    assert code == 0, (tmp_path / "second.log").read_text(errors="replace")

    [item] = await _items(db)
    assert (item.lead_id, item.notifier, item.target) == (lead_id, "webhook", receiver.url)
    assert (item.status, item.attempts) == ("sent", 2)
    assert await _count(db, Lead) == 1
    assert len(receiver.hits) == 2
    assert all(hit.valid for hit in receiver.hits)
    assert receiver.keys() == {item.idempotency_key}        # one key: the CRM drops the copy
    assert await _actions(db) == ["created", "delivered"]


# -- PostgreSQL down during a delivery -----------------------------------------------------------

async def _chat(bot: Assistant, *lines: str) -> str:
    out = io.StringIO()
    await run_terminal(bot, lines=[f"{line}\n" for line in lines], out=out, interactive=False)
    return out.getvalue()


async def test_database_down_mid_delivery_then_back(
    private_pg: PrivatePostgres, receiver: HeldReceiver, kb: KnowledgeBase, catalog: Catalog,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.leads.dispatcher")
    db = Database(private_pg.url)
    await db.migrate()
    settings = Settings(
        _env_file=None, data_dir=tmp_path, rate_limit_per_minute=1000,
        desks_file=_desks_file(tmp_path, receiver.url), webhook_secret=SECRET,
        webhook_allowed_hosts=["127.0.0.1"], webhook_allow_local_network=True,
        outbox_lease_seconds=2.0,
        outbox_backoff_seconds=0.5)
    await _submit(db, settings, catalog)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    assert "Transmettre" in await _chat(bot, *FORM)      # a second lead, not yet confirmed

    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(db, settings, stop=stop, interval=0.2,
                                            notifiers=core_notifiers(settings)))
    try:
        await _until(lambda: len(receiver.hits) == 1, "the webhook request", worker=worker)

        def user() -> Iterator[str]:                      # one terminal session
            yield "1\n"                                   # text: the summary and its buttons
            private_pg.stop()                             # (the worker is held meanwhile)
            yield "1\n"                                   # presses "Transmettre"

        out = io.StringIO()
        await run_terminal(bot, lines=user(), out=out, interactive=False)
        shown, _, during = out.getvalue().rpartition("(1) Transmettre")
        assert shown, "the summary's buttons were not shown before the outage"
        assert catalog.t("error_unavailable", "fr") in during
        assert "REL-" not in during
        receiver.gate.set()                               # 200, but "sent" cannot be written
        await _until(lambda: "outbox dispatch failed" in caplog.text, "a logged failure",
                     worker=worker)                      # logged, and still running

        await asyncio.to_thread(private_pg.start)
        await _until(lambda: _is_sent(db), "the redelivery after the restart", worker=worker)
        [item] = await _items(db)
        assert item.attempts == 2
        assert receiver.keys() == {item.idempotency_key}
        assert await _count(db, Lead) == 1                # nothing of the refused confirmation
        assert await _count(db, OutboxItem) == 1
        assert await _actions(db) == ["created", "delivered"]
        state = await db.load_state("terminal:local", channel="terminal")
        assert state.data["lead"]["answers"]["email"] == "marie@example.fr"   # answers kept
        assert not worker.done()
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)                # clean exit, no exception
        await db.close()
    assert len(receiver.hits) == 2
    assert all(hit.valid for hit in receiver.hits)
