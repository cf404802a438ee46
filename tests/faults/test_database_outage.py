"""PostgreSQL unavailable for a while: a private server (started by the test) is stopped and
restarted under the bot. Users get a polite answer meanwhile, nothing half-written remains,
and the bot recovers on its own (pool pre-ping) with the conversation state intact."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.terminal import run_terminal
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, OutboxItem
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from tests.faults.pg import PrivatePostgres, private_postgres


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    yield from private_postgres()


async def _chat(bot: Assistant, *lines: str) -> str:
    out = io.StringIO()
    await run_terminal(bot, lines=[f"{line}\n" for line in lines], out=out, interactive=False)
    return out.getvalue()


async def test_database_down_then_back(private_pg: PrivatePostgres, kb: KnowledgeBase,
                                       catalog: Catalog, tmp_path: Path) -> None:
    db = Database(private_pg.url)
    await db.migrate()
    settings = Settings(_env_file=None, data_dir=tmp_path, rate_limit_per_minute=1000)
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)
    before = await _chat(bot, "/conseiller", "1", "Ateliers du Nord")
    assert catalog.t("lead_q_siren", "fr") in before

    private_pg.stop()
    during = await _chat(bot, "732829320", "Quelle CCI couvre Valenciennes ?")
    assert during.count(catalog.t("error_unavailable", "fr")) == 2   # polite; the chat goes on

    private_pg.start()
    after = await _chat(bot, "732829320")                  # the same answer, again
    assert catalog.t("lead_q_place", "fr") in after         # state survived the outage
    state = await db.load_state("terminal:local", channel="terminal")
    assert state.data["lead"]["answers"] == {"company": "Ateliers du Nord",
                                             "siren": "732829320"}
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxItem)) == 0
    await db.close()
