"""The column index ranks exactly like the reference matcher (property test)."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import CORPUS_DIR
from knowledge.catalog import AidIndex, Profile, match_aids
from knowledge.loader import load_corpus
from knowledge.models import ProjectType

AIDS = load_corpus(CORPUS_DIR).aids
INDEX = AidIndex(AIDS)

profiles = st.builds(
    Profile,
    department=st.sampled_from([None, "02", "59", "60", "62", "80", "75", "00"]),
    size=st.sampled_from([None, "TPE", "PME", "ETI", "GE"]),
    project_types=st.lists(st.sampled_from(get_args(ProjectType)), max_size=3, unique=True),
    jobs=st.sampled_from([None, 0, 10, 20, 50, 100, 500]),
    investment_eur=st.sampled_from([None, 10_000, 100_000, 2_000_000, 10_000_000]),
)
days = st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2028, 12, 31))


@settings(max_examples=300, deadline=None)
@given(profile=profiles, today=days, limit=st.sampled_from([None, 1, 5]))
def test_index_agrees_with_the_reference_matcher(profile: Profile, today: dt.date,
                                                 limit: int | None) -> None:
    fast = INDEX.match(profile, today=today, limit=limit)
    slow = match_aids(profile, AIDS, today=today, limit=limit)
    assert [(m.aid.id, round(m.score, 6)) for m in fast] == [
        (m.aid.id, round(m.score, 6)) for m in slow]
    assert [m.reasons for m in fast] == [m.reasons for m in slow]
