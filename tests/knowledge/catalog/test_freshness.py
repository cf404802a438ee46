"""Deadlines and closing dates decided with the caller's ``today``; verification age."""

from __future__ import annotations

import datetime as dt

from knowledge import CORPUS_DIR
from knowledge.catalog import AidIndex, Profile, match_aids
from knowledge.catalog.freshness import closed_on, months_since, stale_months, stale_records
from knowledge.loader import load_corpus
from knowledge.models import AidScheme

AIDS = {a.id: a for a in load_corpus(CORPUS_DIR).aids}
DEADLINE = dt.date(2026, 12, 15)
PROFILE = Profile(department="59", size="PME", project_types=["investissement"])


def _aid(**update: object) -> AidScheme:
    return AIDS["bpi-pret-nouvelle-industrie"].model_copy(update=update)


def _ids(aid: AidScheme, today: dt.date) -> tuple[set[str], set[str]]:
    """What the matcher and the column index return, from an index built before ``today``."""
    index = AidIndex([aid])  # built once: only ``today`` changes below
    return ({m.aid.id for m in match_aids(PROFILE, [aid], today=today)},
            {m.aid.id for m in index.match(PROFILE, today=today)})


def test_a_scheme_is_offered_on_its_deadline_day_and_gone_the_day_after() -> None:
    aid = _aid(deadline=DEADLINE)
    assert _ids(aid, DEADLINE) == ({aid.id}, {aid.id})
    assert _ids(aid, DEADLINE + dt.timedelta(days=1)) == (set(), set())
    assert closed_on(aid, DEADLINE) is None
    assert closed_on(aid, DEADLINE + dt.timedelta(days=1)) == DEADLINE


def test_a_closing_date_closes_the_scheme_from_that_day() -> None:
    aid = _aid(closed_since=DEADLINE)   # announced closing, status still "open"
    day_before = DEADLINE - dt.timedelta(days=1)
    assert _ids(aid, day_before) == ({aid.id}, {aid.id})
    assert _ids(aid, DEADLINE) == (set(), set())
    assert aid.is_closed(DEADLINE)
    assert not aid.is_closed(day_before)
    assert closed_on(aid, DEADLINE) == DEADLINE


def test_closed_status_without_a_date_has_no_since() -> None:
    aid = _aid(status="closed", closed_since=None, deadline=None)
    assert aid.is_closed(DEADLINE)
    assert closed_on(aid, DEADLINE) is None


def test_months_since_counts_whole_calendar_months() -> None:
    day = dt.date(2025, 1, 31)
    assert months_since(day, dt.date(2026, 3, 30)) == 13
    assert months_since(day, dt.date(2026, 3, 31)) == 14
    assert months_since(day, dt.date(2024, 1, 1)) == 0


def test_stale_after_more_than_n_months_and_zero_switches_it_off() -> None:
    aid = _aid(last_verified=dt.date(2025, 9, 20))
    assert stale_months(aid, dt.date(2026, 9, 20), 12) is None      # exactly 12: not yet
    assert stale_months(aid, dt.date(2026, 10, 20), 12) == 13
    assert stale_months(aid, dt.date(2027, 11, 20), 12) == 26
    assert stale_months(aid, dt.date(2027, 11, 20), 0) is None


def test_stale_records_are_listed_oldest_first() -> None:
    old, older, fresh = (_aid(id=i, last_verified=d) for i, d in (
        ("old", dt.date(2025, 6, 1)), ("older", dt.date(2024, 6, 1)),
        ("fresh", dt.date(2026, 6, 1))))
    found = stale_records([("aid", r) for r in (old, older, fresh)],
                          today=dt.date(2026, 8, 1), max_months=12)
    assert [(s.id, s.months) for s in found] == [("older", 26), ("old", 14)]
