"""Lead pipeline figures: leads/s end to end (submitted -> committed -> delivered to the inbox
notifier) and p95 submission-to-delivery, on SQLite and PostgreSQL, beside the bare
submission rate (no delivery) as the baseline."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from adapters.notifiers import build_notifiers
from bot.assistant import Assistant
from bot.leads.desks import Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from bot.storage.admin import drop_tables, ensure_database

__all__ = ["run"]

Row = tuple[str, str, str, str]


def _answers(i: int) -> dict[str, object]:
    return {"company": f"Bench {i}", "place": "59300", "postal_code": "59300",
            "department": "59", "desk": "cci-grand-hainaut", "routing_rule": "bench",
            "headcount": 40, "size": "PME", "product": "chemises", "stage": "pret",
            "timeline": "moins-6-mois", "contact_name": "Bench", "email": f"b{i}@example.org"}


async def _one_backend(assistant: Assistant, url: str, folder: Path, n: int) -> list[Row]:
    db = Database(url)
    if url.startswith("postgresql"):
        await drop_tables(db)
    await db.migrate()
    settings = Settings(_env_file=None, data_dir=folder)
    service = LeadService(db=db, settings=settings, desks=Desks(), catalog=assistant.catalog,
                          desk_names={}, enrich=assistant.leads.enrich)
    now = dt.datetime.now(dt.UTC).isoformat()

    async def submit(i: int) -> None:
        await service.submit(_answers(i), channel="bench", conversation_key=f"b:{i}",
                             user_key=f"b:{i}", consent_at=now, consent_version="bench")

    started = time.perf_counter()
    await asyncio.gather(*(submit(i) for i in range(n)))
    submit_rate = n / (time.perf_counter() - started)
    dispatcher = Dispatcher(db, build_notifiers(settings), max_attempts=3, backoff_seconds=1)
    started = time.perf_counter()
    await asyncio.gather(*(submit(i) for i in range(n, 2 * n)), _drain(dispatcher, 2 * n, db))
    end_to_end = n / (time.perf_counter() - started)
    rows = await db.outbox.delivery_times()
    waits = [(sent - created).total_seconds() * 1000 for created, sent in rows if sent]
    await db.close()
    name = url.split(":", 1)[0].split("+")[0]
    return [(f"leads/s end to end ({name})", f"{end_to_end:.0f}",
             f"submission only {submit_rate:.0f}/s", f"{end_to_end / submit_rate:.2f}"),
            (f"submission -> delivery p50 / p95 (ms) ({name})",
             f"{np.percentile(waits, 50):.0f} / {np.percentile(waits, 95):.0f}", "", "")]


async def _drain(dispatcher: Dispatcher, total: int, db: Database) -> None:
    sent = 0
    while sent < total:
        report = await dispatcher.run_once(limit=100)
        if not report.total:
            await asyncio.sleep(0.02)
        sent = await db.outbox.count(status="sent")


async def run(assistant: Assistant, *, n: int = 200, postgres_url: str | None = None
              ) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows += await _one_backend(assistant, f"sqlite+aiosqlite:///{folder / 'b.db'}", folder, n)
        if postgres_url and await ensure_database(postgres_url):   # the bench's own database
            rows += await _one_backend(assistant, postgres_url, folder, n)
    return rows
