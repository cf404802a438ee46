"""The storage layer's error boundary: a database failure leaves ``bot.storage`` as a
``StorageError`` (a broken constraint as its subclass ``ConstraintError``), never as a
SQLAlchemy or driver exception, so the layers above catch ``bot.errors`` types only.

Usage::

    async with writing(self.sessions) as session:      # a transaction, errors translated
        session.add(row)
    async with reading(self.sessions) as session:      # reads (no explicit transaction)
        rows = (await session.scalars(query)).all()
    async with guarded():                              # anything else that talks to the server
        await conn.execute(...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import StorageError

__all__ = ["ConstraintError", "guarded", "reading", "writing"]

Sessions = async_sessionmaker[AsyncSession]


class ConstraintError(StorageError):
    """A write broke a constraint: typically a unique key a concurrent write took first."""


@asynccontextmanager
async def guarded() -> AsyncIterator[None]:
    """Translate SQLAlchemy's exceptions raised inside, and a driver's ``ConnectionError``
    (asyncpg's refused connection is not wrapped by SQLAlchemy), into ``StorageError``; the
    original is chained (its message never quotes the statement's values: ``hide_parameters``).
    """
    try:
        yield
    except IntegrityError as exc:
        raise ConstraintError(f"constraint violated ({type(exc).__name__})") from exc
    except (SQLAlchemyError, ConnectionError) as exc:
        raise StorageError(f"database unavailable ({type(exc).__name__})") from exc


@asynccontextmanager
async def reading(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session for reads; closed (and its implicit transaction ended) on exit."""
    async with guarded(), sessions() as session:
        yield session


@asynccontextmanager
async def writing(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session in a transaction, committed on exit (rolled back on an exception); commit
    errors are translated too."""
    async with guarded(), sessions.begin() as session:
        yield session
