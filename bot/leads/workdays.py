"""Working days in France (Monday to Friday, public holidays excluded), in Paris time.

The reminder schedule counts "unclaimed after N working days": ``working_cutoff(now, n)`` is
the instant a lead must have reached its desk by for ``n`` working days to have elapsed at
``now``. Public holidays are the eleven national ones (Easter Monday, Ascension and Whit
Monday computed from Easter), for any year.

Usage::

    is_working_day(dt.date(2026, 5, 1))           # False: 1er mai
    cutoff = working_cutoff(now, 3)                # routed_at <= cutoff: 3 working days passed
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

__all__ = ["PARIS", "easter", "holidays", "is_working_day", "working_cutoff"]

PARIS = ZoneInfo("Europe/Paris")
_DAY = dt.timedelta(days=1)


def easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian calendar; anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """The French national public holidays of ``year``."""
    sunday = easter(year)
    fixed = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
    return frozenset({*(dt.date(year, m, d) for m, d in fixed), sunday + _DAY,
                      sunday + 39 * _DAY, sunday + 50 * _DAY})


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and not a public holiday."""
    return day.weekday() < 5 and day not in holidays(day.year)


def working_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """The latest instant (UTC) such that ``days`` working days have elapsed since it at
    ``now``. On a weekend or holiday the clock stands still at the end of the last working
    day; each working day counted moves the cutoff back one calendar day, same time of day."""
    local = (now if now.tzinfo else now.replace(tzinfo=dt.UTC)).astimezone(PARIS)
    if not is_working_day(local.date()):   # stopped at the start of this day off (or run)
        day = local.date()
        while not is_working_day(day - _DAY):
            day -= _DAY
        local = dt.datetime.combine(day, dt.time(0), PARIS)
    counted = 0
    while counted < days:
        local = (local.replace(tzinfo=None) - _DAY).replace(tzinfo=PARIS)
        if is_working_day(local.date()):
            counted += 1
    return local.astimezone(dt.UTC)
