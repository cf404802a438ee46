"""The column index ranks exactly like the reference matcher (property test)."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import CORPUS_DIR
from knowledge.catalog import AidIndex, AidMatch, Profile, match_aids
from knowledge.catalog.matcher import match_aid
from knowledge.loader import load_corpus
from knowledge.models import AidForm, AidScheme, ProjectType, Size

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
    assert [_seen(m) for m in fast] == [_seen(m) for m in slow]
    _assert_columns_agree(INDEX, profile, today)


def _assert_columns_agree(index: AidIndex, profile: Profile, today: dt.date) -> None:
    """The numpy score and specificity of every eligible scheme, bit for bit."""
    score, specificity, _ = index.scores(profile)
    for i, aid in enumerate(index.aids):
        m = match_aid(aid, profile, today)
        if m is not None:
            assert (score[i], specificity[i]) == (m.score, m.specificity), aid.id


def _seen(m: AidMatch) -> tuple[object, ...]:
    """Everything the ranking and the explanation depend on."""
    return (m.aid.id, m.score, m.specificity, m.firmness, m.reasons, m.warnings)


# Synthetic catalogues: corpus schemes with random sizes, territories, purposes, forms and
# statuses, so that every scoring rule and tie-break is exercised (narrow departmental scopes,
# European schemes without départements, guarantee-only schemes, many exact ties...).
_DEPARTMENTS = ["02", "59", "60", "62", "80"]
variants = st.builds(
    lambda base, name, sizes, departments, level, projects, forms, status, uncertain: (
        base.model_copy(update={
            "id": f"{base.id}-{name}", "name": name, "sizes": sizes, "departments": departments,
            "level": level, "project_types": projects, "aid_forms": forms, "status": status,
            "uncertain": uncertain})),
    base=st.sampled_from(AIDS),
    name=st.sampled_from(["A", "B", "C", "Livret D", "E"]),
    sizes=st.lists(st.sampled_from(get_args(Size)), min_size=1, max_size=4, unique=True),
    departments=st.one_of(st.just([]), st.just(_DEPARTMENTS),
                          st.lists(st.sampled_from(_DEPARTMENTS), min_size=1, unique=True)),
    level=st.sampled_from(["regional", "national", "european"]),
    projects=st.lists(st.sampled_from(get_args(ProjectType)), max_size=6, unique=True),
    forms=st.one_of(st.just(["garantie"]), st.just(["fonds-propres"]), st.just(["pret"]),
                    st.lists(st.sampled_from(get_args(AidForm)), max_size=3, unique=True)),
    status=st.sampled_from(["open", "permanent", "uncertain", "closed"]),
    uncertain=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(aids=st.lists(variants, min_size=1, max_size=12, unique_by=lambda a: a.id),
       profile=profiles, limit=st.sampled_from([None, 3]))
def test_index_agrees_on_random_catalogues(aids: list[AidScheme], profile: Profile,
                                           limit: int | None) -> None:
    today = dt.date(2026, 11, 26)
    index = AidIndex(aids)
    fast = index.match(profile, today=today, limit=limit)
    slow = match_aids(profile, aids, today=today, limit=limit)
    assert [_seen(m) for m in fast] == [_seen(m) for m in slow]
    _assert_columns_agree(index, profile, today)
