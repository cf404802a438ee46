"""The background worker: delivers the outbox, runs the reminder schedule of unclaimed leads
(``bot.leads.schedule``), the satisfaction survey of closed ones (``bot.leads.survey``), the
advisors' weekly digest (``bot.leads.digest``) and the retention sweep
(``apply_retention``: idle conversations, old questions, feedback and event ids deleted, old
leads anonymised; the periods are settings, see docs/advisors.md).

Embedded in ``relocbot run``, ``chat`` and ``serve`` by default (so a fresh install delivers to
the inbox folder); run it as its own process with ``relocbot worker`` (several copies are safe
against PostgreSQL) and ``RELOCBOT_EMBEDDED_WORKER=false`` on the web processes.

Usage::

    stop = asyncio.Event()
    notifiers = build_notifiers(settings)     # adapters.notifiers, at the composition root
    task = asyncio.create_task(run_worker(db, settings, stop=stop, notifiers=notifiers))
    ...; stop.set(); await task
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping

from bot.errors import StorageError
from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.digest import run_digests
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Notifier
from bot.leads.schedule import run_schedule
from bot.leads.service import LeadService
from bot.leads.survey import run_surveys
from bot.settings import Settings
from bot.storage import Database, utcnow
from bot.storage.retention import Retention, prune

__all__ = ["apply_retention", "run_worker"]

log = logging.getLogger(__name__)


async def _sla_loop(db: Database, settings: Settings, *, stop: asyncio.Event,
                    interval: float) -> None:
    desks = Desks.load(settings.desks_file)
    digests: set[str] = set()      # this process's queued weekly digests (bot.leads.digest)
    while not stop.is_set():
        try:
            done = await run_schedule(db, desks=desks, settings=settings, now=utcnow())
            if any(done.values()):
                log.info("reminder schedule: %s", ", ".join(
                    f"{step} {count}" for step, count in done.items() if count))
            asked = await run_surveys(db, settings=settings, now=utcnow())
            if asked:
                log.info("satisfaction survey: %d lead(s) asked", asked)
            await run_digests(db, desks=desks, settings=settings, now=utcnow(), seen=digests)
        except (StorageError, OSError) as exc:
            log.warning("reminder schedule failed: %s", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def apply_retention(db: Database, settings: Settings, *,
                          now: dt.datetime | None = None) -> dict[str, int]:
    """One retention sweep; returns how many rows each rule removed or anonymised."""
    now = now or utcnow()
    removed = await prune(db, Retention.from_days(
        conversations=settings.retain_conversations_days,
        questions=settings.retain_questions_days, events=settings.retain_event_ids_days,
        console_access=settings.retain_console_access_days), now=now)
    if settings.retain_leads_months > 0:
        service = LeadService(db=db, settings=settings, desks=Desks.load(settings.desks_file),
                              catalog=Catalog.load(), desk_names={}, clock=lambda: now)
        removed["leads"] = await service.purge(
            older_than=dt.timedelta(days=30 * settings.retain_leads_months), actor="retention")
    return removed


async def _retention_loop(db: Database, settings: Settings, *, stop: asyncio.Event,
                          interval: float) -> None:
    while not stop.is_set():
        wait = interval
        try:
            removed = await apply_retention(db, settings)
            if any(removed.values()):
                log.info("retention sweep: %s", ", ".join(
                    f"{table} {count}" for table, count in removed.items() if count))
        except (StorageError, OSError) as exc:
            wait = min(interval, 60.0)
            log.warning("retention sweep failed (next try in %g s): %s", wait,
                        type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def run_worker(db: Database, settings: Settings, *, stop: asyncio.Event,
                     notifiers: Mapping[str, Notifier],
                     interval: float = 2.0, sla_interval: float = 60.0,
                     retention_interval: float = 3600.0) -> None:
    """Deliver due outbox items, escalate unclaimed leads and apply the retention periods
    (a sweep at start, then every ``retention_interval`` seconds) until ``stop`` is set."""
    dispatcher = Dispatcher(db, notifiers,
                            max_attempts=settings.outbox_max_attempts,
                            backoff_seconds=settings.outbox_backoff_seconds,
                            lease_seconds=settings.outbox_lease_seconds)
    await asyncio.gather(
        dispatcher.run_forever(interval=interval, stop=stop),
        _sla_loop(db, settings, stop=stop, interval=sla_interval),
        _retention_loop(db, settings, stop=stop, interval=retention_interval),
    )
    try:  # drain what became due while stopping (e.g. a lead sent just before exit)
        await dispatcher.run_once()
    except (StorageError, OSError) as exc:
        log.warning("final outbox drain failed: %s", type(exc).__name__)
