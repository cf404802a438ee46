"""The background worker: delivers the outbox and runs the SLA timers.

Embedded in ``relocbot run``, ``chat`` and ``serve`` by default (so a fresh install delivers to
the inbox folder); run it as its own process with ``relocbot worker`` (several copies are safe
against PostgreSQL) and ``RELOCBOT_EMBEDDED_WORKER=false`` on the web processes.

Usage::

    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(db, settings, stop=stop))
    ...; stop.set(); await task
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.leads.desks import Desks
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import build_notifiers
from bot.leads.sla import check_sla
from bot.settings import Settings
from bot.storage import Database
from bot.storage.tables import utcnow

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


async def _sla_loop(db: Database, settings: Settings, *, stop: asyncio.Event,
                    interval: float) -> None:
    desks = Desks.load(settings.desks_file)
    while not stop.is_set():
        try:
            escalated = await check_sla(db, desks=desks, settings=settings, now=utcnow())
            if escalated:
                log.info("leads escalated", extra={"status": escalated})
        except (SQLAlchemyError, OSError) as exc:
            log.warning("SLA check failed: %s", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_worker(db: Database, settings: Settings, *, stop: asyncio.Event,
                     interval: float = 2.0, sla_interval: float = 60.0) -> None:
    """Deliver due outbox items and escalate unclaimed leads until ``stop`` is set."""
    dispatcher = Dispatcher(db, build_notifiers(settings),
                            max_attempts=settings.outbox_max_attempts,
                            backoff_seconds=settings.outbox_backoff_seconds,
                            lease_seconds=settings.outbox_lease_seconds)
    await asyncio.gather(
        dispatcher.run_forever(interval=interval, stop=stop),
        _sla_loop(db, settings, stop=stop, interval=sla_interval),
    )
    try:  # drain what became due while stopping (e.g. a lead sent just before exit)
        await dispatcher.run_once()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("final outbox drain failed: %s", type(exc).__name__)
