"""SQLite locked by another process or connection (a backup, a long `leads export`, a second
writer): a short lock is waited out; a long one gets a polite "resend in a minute", leaves
nothing half-written, and the very same message succeeds once the lock is gone."""

from __future__ import annotations

import io
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.terminal import run_terminal
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

FORM = ["/conseiller", "1", "Ateliers du Nord", "passer", "Valenciennes", "40", "passer",
        "Chemises", "passer", "4", "4", "Marie", "marie@example.fr", "passer"]


class Locker:
    """Another connection holding SQLite's write lock (``BEGIN IMMEDIATE``) until released."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)

    def hold(self, *, for_seconds: float | None = None) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        if for_seconds is not None:
            threading.Timer(for_seconds, self.release).start()

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
def locker(db_file: Path) -> Iterator[Locker]:
    lock = Locker(db_file)
    yield lock
    lock.release()
    lock.conn.close()


@pytest.fixture
async def bot(kb: KnowledgeBase, catalog: Catalog, db_file: Path, tmp_path: Path) -> Assistant:
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    await db.migrate()
    settings = Settings(_env_file=None, data_dir=tmp_path, rate_limit_per_minute=1000)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings)


async def _chat(bot: Assistant, *lines: str) -> str:
    out = io.StringIO()
    await run_terminal(bot, lines=[f"{line}\n" for line in lines], out=out, interactive=False)
    return out.getvalue()


async def test_a_short_lock_is_waited_out(bot: Assistant, locker: Locker,
                                          catalog: Catalog) -> None:
    locker.hold(for_seconds=1.0)               # well under the 5 s busy timeout
    reply = await _chat(bot, "/conseiller", "1")
    assert catalog.t("lead_q_company", "fr") in reply
    assert catalog.t("error_unavailable", "fr") not in reply


async def test_a_long_lock_is_refused_politely_then_the_same_message_succeeds(
    bot: Assistant, locker: Locker, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    counts: dict[str, tuple[int, int, int]] = {}

    def tables() -> tuple[int, int, int]:
        return locker.count("leads"), locker.count("lead_events"), locker.count("outbox")

    def user() -> Iterator[str]:                # one terminal session; the lock comes and goes
        yield from (f"{line}\n" for line in FORM)
        locker.hold()                           # held until released below
        yield "1\n"                             # confirm: the submission cannot be written
        counts["locked"] = tables()
        locker.release()
        yield "1\n"                             # the user resends the same answer
        counts["after"] = tables()
        yield "1\n"                             # a third "1" is not a second submission

    out = io.StringIO()
    await run_terminal(bot, lines=user(), out=out, interactive=False)
    transcript = out.getvalue()
    _, _, rest = transcript.partition("Transmettre")
    during, _, after = rest.partition(catalog.t("error_unavailable", "fr"))
    assert after, "no polite refusal while the database was locked"
    assert "REL-" not in during
    assert counts["locked"] == (0, 0, 0)        # nothing half-written
    assert transcript.count("REL-") == 1        # submitted once, after the lock
    assert counts["after"][:2] == (1, 1)
    assert counts["after"][2] >= 1
    assert tables() == counts["after"]
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "database is locked" in logged       # the failure is logged with its traceback...
    assert "marie@example.fr" not in logged     # ...but never the values it carried
    await bot.db.close()
