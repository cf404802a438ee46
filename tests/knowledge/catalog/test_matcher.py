"""Table-driven matcher tests on the shipped aid schemes."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from knowledge import CORPUS_DIR
from knowledge.catalog import AidMatch, Profile, match_aids
from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.catalog.matcher import DEADLINE_SOON_DAYS, falls_short, generic_financing
from knowledge.loader import load_corpus
from knowledge.models import AidScheme, Size
from prompts import PROMPTS_DIR

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
    Profile(department="59", size="GE", project_types=["investissement"]),
    Profile(department="80", size="TPE", project_types=["ecoconception"]),
])
def test_closed_schemes_are_never_proposed(profile: Profile) -> None:
    closed = {a.id for a in AIDS.values() if a.is_closed(TODAY)}
    assert "fr-relance-aap-relocalisation-secteurs-critiques" in closed
    assert not closed & set(ids(profile))


def test_outside_the_region_only_national_and_european_schemes() -> None:
    found = ids(Profile(department="75", size="PME", project_types=["relocalisation"]))
    assert found
    assert all(AIDS[i].departments == [] for i in found)


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


# -- specificity and ties (issue: a 2,000-employee company in the Nord that invests) -----------

GE_59 = Profile(department="59", size="GE", project_types=["investissement"])
ETI_59 = Profile(department="59", size="ETI", headcount=2000, project_types=["investissement"])


def _key(m: AidMatch) -> tuple[float, float, int]:
    return (m.score, m.specificity, m.firmness)


def _position(matches: list[AidMatch], aid_id: str) -> int:
    return [m.aid.id for m in matches].index(aid_id)


@pytest.mark.parametrize("profile", [GE_59, ETI_59])
def test_no_tie_among_the_first_five(profile: Profile) -> None:
    top = match_aids(profile, AIDS.values(), today=TODAY)[:5]
    assert len({_key(m) for m in top}) == len(top), [(m.aid.id, _key(m)) for m in top]


def test_large_company_investing_in_the_nord_sees_adge() -> None:
    matches = match_aids(GE_59, AIDS.values(), today=TODAY)
    assert "hdf-adge-grandes-entreprises" in [m.aid.id for m in matches[:3]]
    adge = matches[_position(matches, "hdf-adge-grandes-entreprises")]
    assert {"sizes": "ETI, GE"} in [r.as_dict() for r in adge.reasons if r.code == "size_targeted"]


def test_a_2000_employee_company_sees_adge_in_the_first_five_and_above_generic_tools() -> None:
    matches = match_aids(ETI_59, AIDS.values(), today=TODAY)
    adge = _position(matches, "hdf-adge-grandes-entreprises")
    assert adge < 5
    for generic in ("hdf-fonds-regional-garantie", "rev3-livret-credit-cooperatif"):
        position = _position(matches, generic)
        assert position > adge
        assert "generic_financing" in [w.code for w in matches[position].warnings]


def _focus(m: AidMatch) -> tuple[int, float]:
    [focus] = [r.as_dict() for r in m.reasons if r.code == "projects_focus"]
    return int(focus["matched"]), int(focus["matched"]) / int(focus["total"])


@pytest.mark.parametrize("profile", [
    ETI_59, Profile(department="80", size="TPE", project_types=["investissement"]),
    Profile(department="62", size="PME", project_types=["investissement", "extension"]),
])
def test_a_generic_financing_tool_is_never_above_a_scheme_made_for_the_project(
    profile: Profile
) -> None:
    """A guarantee, an equity fund or a savings-book loan ranks below every other scheme that
    funds at least as much of the project, as centrally, with a status at least as firm."""
    matches = match_aids(profile, AIDS.values(), today=TODAY)
    generic = [(i, m) for i, m in enumerate(matches) if generic_financing(m.aid)]
    assert generic
    for i, tool in generic:
        assert "generic_financing" in [w.code for w in tool.warnings]
        for j, other in enumerate(matches):
            if (not generic_financing(other.aid) and other.firmness >= tool.firmness
                    and all(a >= b for a, b in zip(_focus(other), _focus(tool), strict=True))):
                assert j < i, (other.aid.id, tool.aid.id)


def test_a_tpe_gets_a_tpe_scheme_first() -> None:
    top = match_aids(Profile(department="80", size="TPE", project_types=["investissement"]),
                     AIDS.values(), today=TODAY)[:3]
    assert top[0].aid.id in {"hdf-dacs-tpe", "hdf-pret-croissance-tpe"}
    assert {"hdf-dacs-tpe", "hdf-pret-croissance-tpe"} <= {m.aid.id for m in top}
    assert "size_targeted" in [r.code for r in top[0].reasons]


def test_a_scheme_made_for_the_project_beats_a_broad_one() -> None:
    aid = AIDS["hdf-aide-implantation"]
    narrow = aid.model_copy(update={"id": "narrow", "name": "Z narrow",
                                    "project_types": ["relocalisation"]})
    broad = aid.model_copy(update={"id": "broad", "name": "A broad", "project_types": [
        "relocalisation", "implantation", "creation", "extension", "investissement",
        "modernisation", "innovation", "rd", "export", "formation"]})
    ranked = match_aids(Profile(department="62", size="PME", project_types=["relocalisation"]),
                        [broad, narrow], today=TODAY)
    assert [m.aid.id for m in ranked] == ["narrow", "broad"]
    assert [r.as_dict() for r in ranked[0].reasons if r.code == "projects_focus"] == [
        {"matched": "1", "total": "1"}]


def test_ties_are_broken_by_specificity_then_firmness_then_name() -> None:
    base = AIDS["bpi-pret-nouvelle-industrie"]   # national, open, no thresholds
    everyone: list[Size] = ["TPE", "PME", "ETI", "GE"]
    nord = Profile(department="59", size="PME")
    # same score 3.0: a national scheme for PME only (specificity 1.5 + 0.5) beats a regional
    # one open to every size (specificity 1.5, plus the Région's 0.5 that is not specificity)
    pme_only = base.model_copy(update={"id": "pme-only", "name": "Z", "sizes": ["PME"]})
    regional = base.model_copy(update={"id": "regional", "name": "A", "level": "regional",
                                       "departments": list(HDF_DEPARTMENTS), "sizes": everyone})
    ranked = match_aids(nord, [regional, pme_only], today=TODAY)
    assert [(m.aid.id, m.score) for m in ranked] == [("pme-only", 3.0), ("regional", 3.0)]
    assert ranked[0].specificity > ranked[1].specificity
    # same score and specificity: the firm status wins over a flagged one
    firm = base.model_copy(update={"id": "firm", "name": "Z", "sizes": everyone})
    flagged = base.model_copy(update={"id": "flagged", "name": "A", "sizes": everyone,
                                      "level": "regional", "uncertain": True})
    ranked = match_aids(nord, [flagged, firm], today=TODAY)
    assert [_key(m) for m in ranked] == [(1.5, 0.5, 2), (1.5, 0.5, 1)]
    assert [m.aid.id for m in ranked] == ["firm", "flagged"]
    # everything equal: by name
    twin = firm.model_copy(update={"id": "twin", "name": "A"})
    assert [m.aid.id for m in match_aids(nord, [firm, twin], today=TODAY)] == ["twin", "firm"]


def test_an_unsure_status_is_announced_and_ranks_lower() -> None:
    base = AIDS["bpi-pret-nouvelle-industrie"]
    unsure = base.model_copy(update={"id": "unsure", "name": "A unsure", "status": "uncertain"})
    ranked = match_aids(Profile(size="PME"), [unsure, base], today=TODAY)
    assert [m.aid.id for m in ranked] == [base.id, "unsure"]
    assert "status_uncertain" in [w.code for w in ranked[1].warnings]


def _catalog(lang: str) -> dict[str, str]:
    with (PROMPTS_DIR / f"{lang}.finder.yaml").open(encoding="utf-8") as fh:
        table: dict[str, str] = yaml.safe_load(fh)["reason"]
    return table


def test_every_reason_the_matcher_gives_has_a_sentence_in_both_languages() -> None:
    profiles = [Profile(), GE_59, ETI_59, Profile(size="TPE", project_types=["investissement"]),
                Profile(department="62", size="PME", jobs=5, investment_eur=10_000,
                        project_types=["relocalisation", "implantation"])]
    given = [r for p in profiles for m in match_aids(p, AIDS.values(), today=TODAY)
             for r in (*m.reasons, *m.warnings)]
    assert {"size_targeted", "projects_focus", "generic_financing", "status_uncertain"} <= {
        r.code for r in given}
    for lang in ("fr", "en"):
        table = _catalog(lang)
        for reason in given:
            assert table[reason.code].format(**reason.as_dict())


def test_falls_short_on_what_the_company_said_only() -> None:
    adge = AIDS["hdf-adge-grandes-entreprises"]   # 100 jobs, ETI/GE
    assert falls_short(adge, Profile(jobs=20))
    assert falls_short(adge, Profile(size="PME"))
    assert falls_short(adge, Profile(department="75"))
    assert not falls_short(adge, Profile())                       # nothing said: nothing ruled out
    assert not falls_short(adge, Profile(size="GE", jobs=150, department="59"))
    closed = AIDS["c3iv-credit-impot-industrie-verte"]
    assert not falls_short(closed, Profile(size="PME"))           # closed is not about the company
