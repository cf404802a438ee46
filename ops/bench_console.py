"""The advisor console's pages with 10,000 leads (SQLite, in-process ASGI), each beside a
baseline from the same run: the leads list and a filtered list beside a bare SQL count of the
leads; a lead's page beside the repository's ``history`` alone; the statistics (the regional
advisor: every desk, 12 weeks) beside the repository's rows alone. Figures only, never
asserted (``relocbot bench``).

Usage::

    rows = asyncio.run(run(leads=10_000, rounds=40))   # [(metric, value, baseline, ratio)]
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from starlette.applications import Starlette
from starlette.routing import Mount

from adapters.console import ConsoleConfig, FileLinkSender, build_console
from bot.i18n import Catalog
from bot.leads.console import Console
from bot.leads.desks import AdvisorProfile, Desk, Desks
from bot.leads.service import LeadService
from bot.leads.signin import SignIn
from bot.leads.states import STATUSES
from bot.settings import Settings
from bot.storage import Database, LeadQuery

__all__ = ["run"]

Row = tuple[str, str, str, str]
DESKS = ("cci-grand-lille", "cci-artois", "cci-grand-hainaut", "cci-littoral-hauts-de-france",
         "cci-aisne", "cci-oise", "cci-amiens-picardie")
SECTORS = ("textile", "métallurgie", "agroalimentaire", "plasturgie", "bois", None)
SIZES = ("TPE", "PME", "ETI", None)


def _lead(i: int, now: dt.datetime, rng: random.Random) -> dict[str, Any]:
    created = now - dt.timedelta(hours=rng.uniform(0, 24 * 365))
    status = rng.choice(STATUSES)
    claimed = created + dt.timedelta(hours=rng.uniform(1, 200)) if status != "new" else None
    return {"ref": f"REL-BENCH-{i:06d}", "submission_key": f"bench-{i}", "status": status,
            "desk_id": DESKS[i % len(DESKS)], "rule": "bench", "score": rng.randint(0, 100),
            "tier": "tiede", "channel": "telegram", "user_key": f"telegram:{i}",
            "company": f"Ateliers {i}", "sector": rng.choice(SECTORS),
            "size": rng.choice(SIZES), "details": {"score_reasons": ["bench"]},
            "created_at": created, "updated_at": created, "claimed_at": claimed}


async def _fill(db: Database, *, leads: int, now: dt.datetime) -> None:
    rng = random.Random(15)  # noqa: S311 - synthetic bench data, not a secret
    for start in range(0, leads, 1000):
        async with db.leads.transaction() as tx:
            for i in range(start, min(start + 1000, leads)):
                await tx.insert(values=_lead(i, now, rng))


async def _p(fn: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    await fn()                                  # warm-up: caches, prepared statements
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


def _row(name: str, page: tuple[float, float], base_name: str,
         base: tuple[float, float]) -> Row:
    return (name, f"{page[0]:.1f} / {page[1]:.1f}", f"{base_name} p95 {base[1]:.1f}",
            f"{page[1] / max(base[1], 1e-9):.1f}x")


async def run(*, leads: int = 10_000, rounds: int = 40) -> list[Row]:
    """The console's p50 / p95 (ms) with ``leads`` leads, beside their baselines."""
    now = dt.datetime.now(dt.UTC)
    desks = Desks(desks={"cci-hauts-de-france": Desk(advisors=["U0REGION"], advisor_profiles={
        "U0REGION": AdvisorProfile(email="region@bench.example")})})
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        await _fill(db, leads=leads, now=now)
        service = LeadService(db=db, settings=Settings(_env_file=None, data_dir=Path(tmp)),
                              desks=desks, catalog=Catalog.load(), desk_names={})
        signin = SignIn(db=db, desks=desks, secret=secrets.token_urlsafe(32))
        app = build_console(console=Console(service=service), signin=signin,
                            catalog=service.catalog,
                            sender=FileLinkSender(folder=Path(tmp) / "links"),
                            config=ConsoleConfig(public_url="https://bench.example/console"))
        link = await signin.request(email="region@bench.example", client="bench")
        opened = None if link is None else await signin.redeem(token=link.token)
        if opened is None:
            raise RuntimeError("bench: cannot open a console session")
        transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/console", app=app)]))
        async with httpx.AsyncClient(transport=transport, base_url="https://bench.example",
                                     cookies={"relocbot_session": opened.secret}) as http:
            async def get(path: str) -> None:
                response = await http.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"bench: {path} answered {response.status_code}")

            count = await _p(db.leads.count, rounds)
            listing = await _p(lambda: get("/console/leads"), rounds)
            query = await _p(lambda: db.console.leads(query=LeadQuery()), rounds)
            filtered = await _p(lambda: get("/console/leads?status=new&sector=textile&age=90"),
                                rounds)
            lead = await _p(lambda: get("/console/leads/REL-BENCH-000042"), rounds)
            history = await _p(lambda: db.leads.history(ref="REL-BENCH-000042"), rounds)
            stats = await _p(lambda: get("/console/stats"), max(rounds // 4, 5))
            since = now - dt.timedelta(weeks=12)
            facts = await _p(lambda: db.console.facts(desks=None, since=since),
                             max(rounds // 4, 5))
        await db.close()
    n = f"{leads:,}"
    return [
        _row(f"console leads list p50 / p95 ms ({n} leads)", listing, "bare SQL count", count),
        _row("console leads list, repository query alone", query, "bare SQL count", count),
        _row("console filtered list (status, sector, age)", filtered, "bare SQL count", count),
        _row("console lead page", lead, "repository history", history),
        _row("console statistics (region, 12 weeks)", stats, "repository rows", facts),
    ]
