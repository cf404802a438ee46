"""The advisor console's repository (``db.console``): one-time sign-in links and sessions
(stored as digests: the caller hashes the secret), the access log, and the lead queries of the
console's pages (a filtered, paged list; the light rows the statistics are computed from).

Usage::

    await db.console.add_link(digest=d, advisor="U01ADVISOR", now=now, ttl_seconds=900)
    advisor = await db.console.redeem_link(digest=d, now=now)    # once; None afterwards
    await db.console.open_session(digest=s, advisor=advisor, csrf=c, now=now,
                                  ttl_seconds=43200)
    session = await db.console.session(digest=s, now=now)        # SessionRecord | None
    page = await db.console.leads(query=LeadQuery(desks=("cci-grand-lille",), status="new"))
    facts = await db.console.facts(desks=None, since=now - dt.timedelta(days=365))
    await db.console.log(actor="U01ADVISOR", action="lead", target="REL-2026-00042",
                         status=200, at=now)
    allowed = await db.console.hit(bucket=digest, now=now, window_seconds=900, limit=10)

The sign-in rate limit (``hit``) is kept in the database, so every process and replica
serving the console shares it: one entry per bucket (a keyed digest of the client address or
the advisor, never the address itself) in the ``channel_store`` table (namespace
``console-throttle``), holding the times of the requests let through in the window; it is
read and written under a row lock (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite's single
writer), so two replicas never both let the last request through. Entries expire with the
window and go with the retention sweep's expired ``channel_store`` entries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.console_tables import ConsoleAccess, ConsoleLink, ConsoleSession
from bot.storage.guard import reading, writing
from bot.storage.lead_tables import Lead
from bot.storage.records import LeadRecord, lead_record
from bot.storage.tables import ChannelEntry
from bot.storage.upsert import insert_ignoring

__all__ = ["THROTTLE_NAMESPACE", "AccessRecord", "ConsoleRepository", "LeadFact", "LeadPage",
           "LeadQuery", "SessionRecord"]

THROTTLE_NAMESPACE = "console-throttle"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A live console session: who, its CSRF token, until when."""

    advisor: str
    csrf: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One line of the console's access log."""

    at: dt.datetime
    actor: str
    action: str
    target: str | None
    status: int


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """The console's list filters; ``desks`` None means every desk (the regional desk)."""

    desks: tuple[str, ...] | None = None
    status: str | None = None
    min_score: int | None = None
    sector: str | None = None
    created_after: dt.datetime | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class LeadPage:
    leads: list[LeadRecord]
    total: int


@dataclass(frozen=True, slots=True)
class LeadFact:
    """What the statistics need of a lead, no personal data."""

    desk_id: str
    status: str
    sector: str | None
    size: str | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None


class ConsoleRepository:
    """Reached as ``db.console``; database failures raise ``StorageError``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_link(self, *, digest: str, advisor: str, now: dt.datetime,
                       ttl_seconds: float) -> None:
        async with writing(self._sessions) as session:
            session.add(ConsoleLink(digest=digest, advisor=advisor, created_at=now,
                                    expires_at=now + dt.timedelta(seconds=ttl_seconds)))

    async def hit(self, *, bucket: str, now: dt.datetime, window_seconds: float,
                  limit: int) -> bool:
        """Count one request in ``bucket`` (up to 255 characters) unless ``limit`` requests
        were let through in the last ``window_seconds``: ``True`` when this one is (and is
        counted), ``False`` when refused (not counted). Atomic across processes."""
        since = (now - dt.timedelta(seconds=window_seconds)).timestamp()
        key = (ChannelEntry.namespace == THROTTLE_NAMESPACE, ChannelEntry.key == bucket)
        async with writing(self._sessions) as session:
            dialect = session.get_bind().dialect.name
            # the first statement writes: SQLite's write lock is taken at once
            await session.execute(insert_ignoring(dialect, ChannelEntry,
                                                  keys=("namespace", "key")),
                                  {"namespace": THROTTLE_NAMESPACE, "key": bucket,
                                   "value": "{}", "expires_at": now, "updated_at": now})
            row = (await session.scalars(select(ChannelEntry).where(*key).with_for_update()
                                         .execution_options(populate_existing=True))).one()
            try:
                stored = json.loads(row.value).get("hits", [])
            except (ValueError, AttributeError):
                stored = []
            hits = [float(h) for h in stored if isinstance(h, int | float) and h > since]
            if len(hits) >= limit:
                return False
            hits.append(now.timestamp())
            row.value = json.dumps({"hits": hits}, separators=(",", ":"))
            row.expires_at = now + dt.timedelta(seconds=window_seconds)
            row.updated_at = now
            return True

    async def redeem_link(self, *, digest: str, now: dt.datetime) -> str | None:
        """The advisor of an unused, unexpired link, marking it used in the same statement
        (two concurrent redemptions: one wins); ``None`` otherwise."""
        async with writing(self._sessions) as session:
            result = await session.execute(update(ConsoleLink).where(
                ConsoleLink.digest == digest, ConsoleLink.used_at.is_(None),
                ConsoleLink.expires_at > now).values(used_at=now))
            if getattr(result, "rowcount", 0) != 1:
                return None
            return await session.scalar(select(ConsoleLink.advisor).where(
                ConsoleLink.digest == digest))

    async def open_session(self, *, digest: str, advisor: str, csrf: str, now: dt.datetime,
                           ttl_seconds: float) -> None:
        async with writing(self._sessions) as session:
            session.add(ConsoleSession(digest=digest, advisor=advisor, csrf=csrf,
                                       created_at=now,
                                       expires_at=now + dt.timedelta(seconds=ttl_seconds)))

    async def session(self, *, digest: str, now: dt.datetime) -> SessionRecord | None:
        async with reading(self._sessions) as session:
            row = (await session.scalars(select(ConsoleSession).where(
                ConsoleSession.digest == digest, ConsoleSession.expires_at > now))).first()
            return None if row is None else SessionRecord(row.advisor, row.csrf, row.expires_at)

    async def close_session(self, *, digest: str) -> None:
        async with writing(self._sessions) as session:
            await session.execute(delete(ConsoleSession).where(ConsoleSession.digest == digest))

    async def log(self, *, actor: str, action: str, target: str | None, status: int,
                  at: dt.datetime) -> None:
        async with writing(self._sessions) as session:
            session.add(ConsoleAccess(actor=actor[:128], action=action[:48],
                                      target=None if target is None else target[:128],
                                      status=status, at=at))

    async def access_log(self, *, limit: int = 1000) -> list[AccessRecord]:
        """The latest ``limit`` lines, oldest first."""
        async with reading(self._sessions) as session:
            rows = (await session.scalars(select(ConsoleAccess).order_by(
                ConsoleAccess.id.desc()).limit(limit))).all()
        return [AccessRecord(r.at, r.actor, r.action, r.target, r.status)
                for r in reversed(rows)]

    async def leads(self, *, query: LeadQuery) -> LeadPage:
        """One page of leads, newest first, and how many match."""
        where: list[ColumnElement[bool]] = []
        if query.desks is not None:
            where.append(Lead.desk_id.in_(query.desks))
        if query.status:
            where.append(Lead.status == query.status)
        if query.min_score is not None:
            where.append(Lead.score >= query.min_score)
        if query.sector:
            where.append(func.lower(Lead.sector) == query.sector.strip().lower())
        if query.created_after is not None:
            where.append(Lead.created_at >= query.created_after)
        async with reading(self._sessions) as session:
            total = int(await session.scalar(
                select(func.count()).select_from(Lead).where(*where)) or 0)
            rows = (await session.scalars(select(Lead).where(*where).order_by(
                Lead.created_at.desc(), Lead.id.desc()).limit(query.limit).offset(
                query.offset))).all()
        return LeadPage([lead_record(row) for row in rows], total)

    async def facts(self, *, desks: tuple[str, ...] | None,
                    since: dt.datetime) -> list[LeadFact]:
        """The statistics' rows for leads created since ``since`` (oldest first)."""
        query = select(Lead.desk_id, Lead.status, Lead.sector, Lead.size, Lead.created_at,
                       Lead.claimed_at).where(Lead.created_at >= since).order_by(Lead.created_at)
        if desks is not None:
            query = query.where(Lead.desk_id.in_(desks))
        async with reading(self._sessions) as session:
            rows = (await session.execute(query)).all()
        return [LeadFact(*row) for row in rows]
