"""Table-driven matcher tests on the shipped aid schemes."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge import CORPUS_DIR
from knowledge.catalog import Profile, match_aids
from knowledge.catalog.matcher import DEADLINE_SOON_DAYS
from knowledge.loader import load_corpus
from knowledge.models import AidScheme

TODAY = dt.date(2026, 11, 26)
AIDS = {a.id: a for a in load_corpus(CORPUS_DIR).aids}


def ids(profile: Profile, *, today: dt.date = TODAY, limit: int | None = None) -> list[str]:
    return [m.aid.id for m in match_aids(profile, AIDS.values(), today=today, limit=limit)]


def test_pme_of_40_in_62_relocalising() -> None:
    found = ids(Profile(department="62", size="PME", headcount=40,
                        project_types=["relocalisation"]))
    assert "hdf-aide-implantation" in found[:3]
    assert "bpi-pret-nouvelle-industrie" in found
    assert "hdf-adge-grandes-entreprises" not in found          # large companies only
    assert all(AIDS[i].departments == [] or "62" in AIDS[i].departments for i in found)
    assert all("PME" in AIDS[i].sizes for i in found)


def test_large_company_creating_150_jobs() -> None:
    matches = match_aids(Profile(department="59", size="GE", jobs=150,
                                 project_types=["implantation", "recrutement"]),
                         AIDS.values(), today=TODAY)
    top = [m.aid.id for m in matches[:2]]
    assert set(top) == {"hdf-aide-implantation", "hdf-adge-grandes-entreprises"}
    impl = next(m for m in matches if m.aid.id == "hdf-aide-implantation")
    assert [r.code for r in impl.reasons].count("jobs_ok") == 1
    assert "apply_before_start" in [w.code for w in impl.warnings]


def test_tpe_artisan_gets_the_tpe_scheme() -> None:
    found = ids(Profile(department="80", size="TPE", project_types=["investissement"]), limit=5)
    assert "hdf-dacs-tpe" in found
    assert "hdf-adge-grandes-entreprises" not in found


def test_pme_must_create_20_jobs_for_the_implantation_aid() -> None:
    [match] = [m for m in match_aids(Profile(department="59", size="PME", jobs=5,
                                             project_types=["implantation"]),
                                     AIDS.values(), today=TODAY)
               if m.aid.id == "hdf-aide-implantation"]
    assert [w.as_dict() for w in match.warnings if w.code == "jobs_required"] == [
        {"required": "20"}]


@pytest.mark.parametrize("profile", [
    Profile(),
    Profile(department="59", size="PME", project_types=["relocalisation"]),
    Profile(department="62", size="ETI", project_types=["investissement", "modernisation"]),
])
def test_closed_schemes_are_never_proposed(profile: Profile) -> None:
    closed = {a.id for a in AIDS.values() if a.is_closed(TODAY)}
    assert "fr-relance-aap-relocalisation-secteurs-critiques" in closed
    assert not closed & set(ids(profile))


def test_outside_the_region_only_national_and_european_schemes() -> None:
    found = ids(Profile(department="75", size="PME", project_types=["relocalisation"]))
    assert found and all(AIDS[i].departments == [] for i in found)


def _with_deadline(deadline: dt.date) -> AidScheme:
    return AIDS["bpi-pret-nouvelle-industrie"].model_copy(update={"deadline": deadline,
                                                                  "status": "open"})


def test_a_deadline_passed_yesterday_excludes_the_scheme() -> None:
    aid = _with_deadline(TODAY - dt.timedelta(days=1))
    assert match_aids(Profile(size="PME"), [aid], today=TODAY) == []


def test_a_near_deadline_is_announced() -> None:
    aid = _with_deadline(TODAY + dt.timedelta(days=12))
    [match] = match_aids(Profile(size="PME"), [aid], today=TODAY)
    [soon] = [w for w in match.warnings if w.code == "deadline_soon"]
    assert soon.as_dict()["days"] == "12"
    far = _with_deadline(TODAY + dt.timedelta(days=DEADLINE_SOON_DAYS + 1))
    [match] = match_aids(Profile(size="PME"), [far], today=TODAY)
    assert "deadline_soon" not in [w.code for w in match.warnings]


def test_unknown_fields_do_not_filter() -> None:
    everything = ids(Profile())
    open_aids = [a for a in AIDS.values() if not a.is_closed(TODAY)]
    assert len(everything) == len(open_aids)
