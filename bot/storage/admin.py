"""Throw-away databases for benches: create a PostgreSQL database, drop every table of ours.
Never pointed at a database that matters (``drop_tables`` deletes everything).

Usage::

    if await ensure_database("postgresql+asyncpg://postgres@127.0.0.1/relocbot_bench"):
        db = Database("postgresql+asyncpg://postgres@127.0.0.1/relocbot_bench")
        await drop_tables(db)          # a fresh schema: then db.migrate()
    if await fresh_database(url):      # dropped and created again, empty
        await Database(url).migrate()
    await bulk_leads(db, rows=[{...}, ...])   # the reminder bench's 100,000 leads
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, text

from bot.storage import console_tables as _console_tables  # noqa: F401 - registers its tables
from bot.storage.database import Database
from bot.storage.guard import guarded
from bot.storage.lead_tables import Lead
from bot.storage.tables import Base

__all__ = ["TABLES", "analyse_leads", "bulk_leads", "drop_tables", "ensure_database",
           "fresh_database"]

# Every table of ours, dependants first (from the models, so a new table is never forgotten),
# and Alembic's own.
TABLES = (*(table.name for table in reversed(Base.metadata.sorted_tables)), "alembic_version")


async def drop_tables(db: Database) -> None:
    """Drop every table of ours (``db.migrate()`` builds them again); ``StorageError`` when
    the database fails."""
    cascade = " CASCADE" if db.url.startswith("postgresql") else ""
    async with guarded(), db.engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}{cascade}"))


async def ensure_database(url: str) -> bool:
    """``True`` when the PostgreSQL database at ``url`` is reachable, created first (through
    the server's ``postgres`` database) when missing; ``False`` when there is no server."""
    probe = Database(url)
    reachable = await probe.ping()
    await probe.close()
    if reachable:
        return True
    base, _, name = url.rpartition("/")
    admin = Database(f"{base}/postgres")
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        return True
    except Exception:  # no server here
        return False
    finally:
        await admin.close()


async def fresh_database(url: str) -> bool:
    """Drop the PostgreSQL database at ``url`` and create it again, empty (every table of every
    migration gone); ``False`` when there is no server."""
    base, _, name = url.rpartition("/")
    admin = Database(f"{base}/postgres")
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        return True
    except Exception:  # no server here
        return False
    finally:
        await admin.close()


async def bulk_leads(db: Database, *, rows: Sequence[Mapping[str, Any]],
                     chunk: int = 5000) -> None:
    """Insert synthetic ``leads`` rows (column -> value) in chunks: benches only."""
    for start in range(0, len(rows), chunk):
        async with guarded(), db.engine.begin() as conn:
            await conn.execute(insert(Lead), [dict(r) for r in rows[start:start + chunk]])


async def analyse_leads(db: Database) -> None:
    """Refresh the planner's statistics of ``leads`` after a bulk insert (PostgreSQL)."""
    if db.url.startswith("postgresql"):
        async with guarded(), db.engine.begin() as conn:
            await conn.execute(text("ANALYZE leads"))
