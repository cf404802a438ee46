"""Lead statistics for the advisor console, from rows without personal data
(``bot.storage.LeadFact``): leads per week, time to take charge (median, share under 72 h),
outcomes, leads by sector and by headcount band; and the same per desk and week as CSV rows.

Usage::

    facts = await console.facts(scope, desk=None, since=now - dt.timedelta(weeks=12))
    stats = lead_stats(facts, now=now, weeks=12)
    stats.per_week            # [(date(2026, 9, 7), 4), ...] oldest first, Mondays
    stats.median_hours, stats.under_72h
    rows = csv_rows(facts, now=now, weeks=12)   # header first
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.leads.states import CLOSED, STATUSES
from bot.storage import LeadFact

__all__ = ["CSV_HEADER", "LeadStats", "csv_rows", "lead_stats", "week_start"]

TAKE_TARGET_HOURS = 72
CSV_HEADER = ("desk", "week", "leads", "taken", "median_hours_to_take",
              "share_taken_under_72h", *CLOSED)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def week_start(moment: dt.datetime) -> dt.date:
    """The Monday of ``moment``'s week (UTC)."""
    day = _aware(moment).astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class LeadStats:
    total: int
    per_week: list[tuple[dt.date, int]]
    taken: int
    median_hours: float | None
    under_72h: float | None
    outcomes: dict[str, int]
    by_sector: list[tuple[str, int]]
    by_size: list[tuple[str, int]]


def _hours(facts: Sequence[LeadFact]) -> list[float]:
    return [(_aware(f.claimed_at) - _aware(f.created_at)).total_seconds() / 3600
            for f in facts if f.claimed_at is not None]


def _weeks(now: dt.datetime, weeks: int) -> list[dt.date]:
    last = week_start(now)
    return [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def lead_stats(facts: Sequence[LeadFact], *, now: dt.datetime, weeks: int = 12) -> LeadStats:
    """The figures of ``facts`` (the ``weeks`` last weeks for the weekly counts)."""
    counts = Counter(week_start(f.created_at) for f in facts)
    hours = _hours(facts)
    statuses = Counter(f.status for f in facts)
    sectors = Counter((f.sector or "").strip().lower() or "-" for f in facts)
    sizes = Counter(f.size or "-" for f in facts)
    return LeadStats(
        total=len(facts), per_week=[(w, counts.get(w, 0)) for w in _weeks(now, weeks)],
        taken=len(hours), median_hours=statistics.median(hours) if hours else None,
        under_72h=(sum(h <= TAKE_TARGET_HOURS for h in hours) / len(hours)) if hours else None,
        outcomes={s: statuses.get(s, 0) for s in STATUSES},
        by_sector=sectors.most_common(8), by_size=sorted(sizes.items()))


def csv_rows(facts: Sequence[LeadFact], *, now: dt.datetime,
             weeks: int = 12) -> list[tuple[str, ...]]:
    """One row per desk and week (header first); empty weeks included."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]
    for desk in sorted({f.desk_id for f in facts}):
        mine = [f for f in facts if f.desk_id == desk]
        for week in _weeks(now, weeks):
            these = [f for f in mine if week_start(f.created_at) == week]
            stats = lead_stats(these, now=now, weeks=1)
            rows.append((desk, week.isoformat(), str(stats.total), str(stats.taken),
                         "" if stats.median_hours is None else f"{stats.median_hours:.1f}",
                         "" if stats.under_72h is None else f"{stats.under_72h:.2f}",
                         *(str(stats.outcomes[s]) for s in CLOSED)))
    return rows
