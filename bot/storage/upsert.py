"""Statements that insert a row, or settle a clash with the row holding the same key, in one
statement (PostgreSQL and SQLite ``INSERT ... ON CONFLICT``, the two dialects the store runs
on).

Usage::

    async with writing(sessions) as session:
        await upsert(session, Conversation, {"key": "tg:1", "channel": "telegram", ...},
                     keys=("key",))
    conn.execute(upsert_statement(conn.dialect.name, Conversation, list(row), keys=("key",)),
                 row)
    conn.execute(insert_ignoring(conn.dialect.name, ProcessedEvent, keys=("event_id",)), row)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_ignoring", "upsert", "upsert_statement"]


def upsert_statement(dialect: str, table: Any, columns: Sequence[str], *,
                     keys: Sequence[str]) -> Insert:
    """Insert a row of ``columns`` into ``table`` (a mapped class), or update every other
    column of the row holding the same ``keys``; the values come as parameters
    (``conn.execute(statement, row)``), so the statement is built and compiled once."""
    return _upsert(dialect, table, tuple(columns), tuple(keys))


@functools.cache
def _upsert(dialect: str, table: Any, columns: tuple[str, ...], keys: tuple[str, ...]) -> Insert:
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(table)
    result: Insert = statement.on_conflict_do_update(
        index_elements=[getattr(table, k) for k in keys],
        set_={c: getattr(statement.excluded, c) for c in columns if c not in keys})
    return result


@functools.cache
def insert_ignoring(dialect: str, table: Any, *, keys: tuple[str, ...]) -> Insert:
    """Insert a row (given as parameters) unless a row holds the same ``keys`` (then
    nothing: rowcount 0)."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result: Insert = make(table).on_conflict_do_nothing(
        index_elements=[getattr(table, k) for k in keys])
    return result


async def upsert(session: AsyncSession, table: Any, row: dict[str, Any], *,
                 keys: Sequence[str]) -> None:
    """``upsert_statement`` executed in an ORM session."""
    dialect = session.get_bind().dialect.name
    await session.execute(upsert_statement(dialect, table, list(row), keys=keys), row)
