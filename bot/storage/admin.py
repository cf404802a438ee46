"""Throw-away databases for benches: create a PostgreSQL database, drop every table of ours.
Never pointed at a database that matters (``drop_tables`` deletes everything).

Usage::

    if await ensure_database("postgresql+asyncpg://postgres@127.0.0.1/relocbot_bench"):
        db = Database("postgresql+asyncpg://postgres@127.0.0.1/relocbot_bench")
        await drop_tables(db)          # a fresh schema: then db.migrate()
"""

from __future__ import annotations

from sqlalchemy import text

from bot.storage.database import Database
from bot.storage.guard import guarded

__all__ = ["TABLES", "drop_tables", "ensure_database"]

# Every table of ours, dependants first, and Alembic's own.
TABLES = ("outbox", "lead_events", "leads", "question_log", "feedback", "processed_events",
          "conversations", "channel_store", "alembic_version")


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
