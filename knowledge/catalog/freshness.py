"""Is a record still true today? Deadlines and closing dates, and how old its verification is.

Everything takes ``today`` from the caller (the flows receive it by injection), never from the
index build: a scheme whose deadline passed yesterday leaves the results today, without a
re-ingest. A ``deadline`` is the last day one may apply (closed from the day after); a
``closed_since`` date is the first day the scheme is closed (``AidScheme.is_closed``).

Usage::

    closed_on(aid, today)                   # date it closed, or None while it is open
    months_since(aid.last_verified, today)  # whole months elapsed
    stale_records([*aids, *partners], today=today, max_months=12)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from knowledge.models import AidScheme

__all__ = ["DEFAULT_STALE_MONTHS", "StaleRecord", "closed_on", "months_since", "stale_months",
           "stale_records"]

DEFAULT_STALE_MONTHS = 12


class _Verified(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def last_verified(self) -> dt.date: ...


def closed_on(aid: AidScheme, today: dt.date) -> dt.date | None:
    """Since when the scheme is closed, if it is on ``today``: its ``closed_since`` date, else
    its passed deadline (the date the answers and cards quote); None while it is open, or when
    its status says closed without a date."""
    if not aid.is_closed(today):
        return None
    if aid.closed_since is not None and aid.closed_since <= today:
        return aid.closed_since
    return aid.deadline if aid.deadline is not None and aid.deadline < today else None


def months_since(day: dt.date, today: dt.date) -> int:
    """Whole calendar months from ``day`` to ``today`` (0 when ``day`` is in the future)."""
    months = (today.year - day.year) * 12 + today.month - day.month
    if today.day < day.day:
        months -= 1
    return max(months, 0)


def stale_months(record: _Verified, today: dt.date, max_months: int) -> int | None:
    """Months since the record was verified when that is more than ``max_months``, else None
    (``max_months`` <= 0 switches the flag off)."""
    if max_months <= 0:
        return None
    months = months_since(record.last_verified, today)
    return months if months > max_months else None


@dataclass(frozen=True, slots=True)
class StaleRecord:
    """A record past its verification age, for ``relocbot report stale``."""

    kind: str
    id: str
    name: str
    last_verified: dt.date
    months: int


def stale_records(records: Iterable[tuple[str, _Verified]], *, today: dt.date,
                  max_months: int) -> list[StaleRecord]:
    """``(kind, record)`` pairs verified more than ``max_months`` ago, oldest first."""
    out = [StaleRecord(kind, r.id, r.name, r.last_verified, months)
           for kind, r in records if (months := stale_months(r, today, max_months)) is not None]
    return sorted(out, key=lambda s: (s.last_verified, s.kind, s.id))
