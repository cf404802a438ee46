"""One statement to insert a row or update the one with the same key (PostgreSQL and SQLite
``INSERT ... ON CONFLICT DO UPDATE``; another dialect falls back to the ORM's ``merge``).

Usage::

    async with writing(sessions) as session:
        await upsert(session, Conversation, {"key": "tg:1", "channel": "telegram", ...},
                     keys=("key",))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["upsert"]


async def upsert(session: AsyncSession, table: Any, row: dict[str, Any], *,
                 keys: Sequence[str]) -> None:
    """Insert ``row`` into ``table`` (a mapped class), or update every other column of the row
    holding the same ``keys``."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        await session.merge(table(**row))
        return
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**row)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[getattr(table, k) for k in keys],
        set_={c: getattr(statement.excluded, c) for c in row if c not in keys}))
