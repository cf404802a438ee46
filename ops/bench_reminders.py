"""The reminder schedule's scan at scale: ``LeadRepository.due_reminders`` (the one query the
worker runs every minute, ``bot.leads.schedule``) over 100,000 leads on PostgreSQL, beside the
same scan over the first 1,000 of them in the same run (the baseline); and the satisfaction
survey's scan (``due_surveys``) the same way. The bench drops and creates its own database
(``relocbot_bench_reminders`` on the bench's PostgreSQL server).

The leads look like a busy region: most taken or closed, 1 in 16 still ``new``, their arrival
at their desk spread over the last 60 days, each at the reminder step its age calls for but
one in 40 a step behind (due); the closed ones surveyed when their survey was due: the
worker's steady state, where each scan finds the few leads that became due.

Usage::

    rows = await run(postgres_url="postgresql+asyncpg://postgres@127.0.0.1:5432/relocbot_bench")
    # [("reminder scan over 100,000 leads (ms, median)", "4.1", "1,000 leads 1.2 ms", "3.4x")...]
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.leads.states import ABANDONED, CLOSED, CLOSED_HELPED, CLOSED_NO_HELP, NEW, TAKEN
from bot.leads.workdays import working_cutoff
from bot.storage import Database
from bot.storage.admin import analyse_leads, bulk_leads, fresh_database

__all__ = ["DATABASE", "run"]

Row = tuple[str, str, str, str]
DATABASE = "relocbot_bench_reminders"
SURVEY_AFTER = dt.timedelta(days=10)
BEHIND = 40          # one new lead in BEHIND has a reminder step due
STATUSES = (TAKEN, CLOSED_HELPED, CLOSED_NO_HELP, TAKEN, CLOSED_HELPED) * 3 + (NEW,)  # 1 in 16


def _lead(i: int, now: dt.datetime, cutoffs: list[dt.datetime]) -> dict[str, Any]:
    status = STATUSES[i % len(STATUSES)]
    age = dt.timedelta(minutes=(i * 7919) % (60 * 24 * 60))      # spread over 60 days
    reached = sum(now - age <= cutoff for cutoff in cutoffs)      # steps due by now
    behind = reached and (i // len(STATUSES)) % BEHIND == 0
    step = reached - 1 if behind else reached                    # a few behind: due
    if status == NEW and step == len(cutoffs):                   # the last step: abandoned
        status = ABANDONED
    updated = now - age / 2
    asked = updated + SURVEY_AFTER if status in CLOSED and updated + SURVEY_AFTER < now else None
    return {"ref": f"REL-B-{i:07d}", "submission_key": f"bench-{i}", "status": status,
            "desk_id": "cci-grand-hainaut", "rule": "bench", "score": 50, "tier": "tiede",
            "channel": "bench", "details": {}, "created_at": now - age, "updated_at": updated,
            "routed_at": now - age, "reminder_step": step if status == NEW else 0,
            "surveyed_at": asked}


async def _median_ms(scan: Callable[[], Awaitable[object]], rounds: int) -> float:
    await scan()                                  # warm the plan and the cache
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await scan()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def run(*, postgres_url: str | None, leads: int = 100_000, baseline: int = 1_000,
              rounds: int = 7, database: str = DATABASE) -> list[Row]:
    """The rows for ``relocbot bench``; none without a PostgreSQL server. ``database`` (on
    the server of ``postgres_url``) is dropped and created again."""
    if not postgres_url:
        return []
    url = postgres_url.rpartition("/")[0] + "/" + database
    if not await fresh_database(url):
        return []
    db = Database(url)
    try:
        await db.migrate()
        now = dt.datetime.now(dt.UTC)
        cutoffs = [working_cutoff(now, n) for n in (3, 9, 21, 45)]
        surveyed = now - SURVEY_AFTER

        async def reminders() -> object:
            return await db.leads.due_reminders(cutoffs=cutoffs)

        async def surveys() -> object:
            return await db.leads.due_surveys(statuses=CLOSED, cutoff=surveyed)

        rows_all = [_lead(i, now, cutoffs) for i in range(leads)]
        await bulk_leads(db, rows=rows_all[:baseline])
        await analyse_leads(db)
        small = (await _median_ms(reminders, rounds), await _median_ms(surveys, rounds))
        await bulk_leads(db, rows=rows_all[baseline:])
        await analyse_leads(db)
        due = len(await db.leads.due_reminders(cutoffs=cutoffs))
        large = (await _median_ms(reminders, rounds), await _median_ms(surveys, rounds))
    finally:
        await db.close()
    out: list[Row] = []
    for name, big, base in (("reminder", large[0], small[0]), ("survey", large[1], small[1])):
        out.append((f"{name} scan over {leads:,} leads, PostgreSQL (ms, median)", f"{big:.1f}",
                    f"{baseline:,} leads {base:.1f} ms", f"{big / max(base, 1e-9):.1f}x"))
    out.append(("", f"{due:,} leads due a reminder step", "", ""))
    return out
