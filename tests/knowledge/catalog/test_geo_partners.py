from __future__ import annotations

import pytest

from knowledge import CORPUS_DIR
from knowledge.catalog import Geo, Profile, match_partners
from knowledge.loader import load_corpus

GEO = Geo.load()
PARTNERS = load_corpus(CORPUS_DIR).partners


@pytest.mark.parametrize(("text", "expected"), [
    ("j'ai eu des difficultés à Lille", "Lille"),
    ("nous avons eu un souci", None),
    ("PME à lens", "Lens"),
    ("a camera lens factory", None),
    ("usine dans la rue principale", None),
    ("Atelier à Eu", "Eu"),
    ("près de Villeneuve d'Ascq", "Villeneuve-d'Ascq"),
    ("MARCQ EN BAROEUL", "Marcq-en-Barœul"),
])
def test_communes_are_found_but_common_words_are_not_places(text: str,
                                                            expected: str | None) -> None:
    commune = GEO.find_in_text(text)
    assert (commune.name if commune else None) == expected


def test_postal_codes_and_distances() -> None:
    [roubaix] = GEO.by_postal_code("59100")
    assert roubaix.name == "Roubaix"
    assert roubaix.cci == "cci-grand-lille"
    lille, arras = GEO.get("Lille"), GEO.get("Arras")
    assert lille
    assert arras
    assert 40 < Geo.distance_km(lille, arras) < 55


def test_every_local_cci_has_communes_and_ids_are_known() -> None:
    ccis = {c.cci for c in GEO.communes if c.cci}
    assert ccis == {"cci-grand-lille", "cci-grand-hainaut", "cci-littoral-hauts-de-france",
                    "cci-artois", "cci-amiens-picardie", "cci-aisne", "cci-oise"}
    assert all(c.cci or c.cci_candidates for c in GEO.communes)


def test_partner_matching_by_capability_and_nearest_first() -> None:
    matches = match_partners("atelier de confection textile", Profile(city="Roubaix"),
                             PARTNERS, geo=GEO)
    assert "resilience" in [m.partner.id for m in matches[:2]]
    # located partners near Roubaix; a confection workshop in Lille (11 km) before a
    # materials cluster next door: it does more of what was asked
    assert all(m.distance_km is not None and m.distance_km <= 15 for m in matches[:3])
    assert "fou-de-coudre" in [m.partner.id for m in matches[:3]]
    far = match_partners("atelier de confection textile", Profile(city="Amiens"), PARTNERS,
                         geo=GEO)
    assert far[0].distance_km is not None
    assert far[0].distance_km > 50
    resilience = next(m for m in matches if m.partner.id == "resilience")
    assert resilience.distance_km == 0
    assert any(r.code == "capabilities" for r in resilience.reasons)
    assert any(w.code == "caveat" for w in resilience.warnings)  # fragile viability is said


def test_partner_caveat_for_a_closed_site() -> None:
    matches = match_partners("filature de lin", Profile(), PARTNERS, geo=GEO)
    safilin = next(m for m in matches if m.partner.id == "safilin")
    assert any("fermé" in w.as_dict().get("text", "") for w in safilin.warnings)


def test_nothing_relevant_gives_nothing() -> None:
    assert match_partners("xylophone quantique", Profile(), PARTNERS, geo=GEO) == []


@pytest.mark.parametrize(("need", "expected"), [
    ("who can knit socks in small runs near Lille?", "les-3-tricoteurs"),
    ("qui peut coudre des chemises ?", "resilience"),
    ("who could refurbish household appliances?", "reseau-envie"),
    ("who makes jeans in the region?", "fashioncube-denim-center"),
])
def test_a_need_in_english_or_everyday_words_finds_the_catalogues_words(
    need: str, expected: str
) -> None:
    matches = match_partners(need, Profile(city="Roubaix"), PARTNERS, geo=Geo.load(), limit=3)
    assert expected in [m.partner.id for m in matches]


def test_who_has_the_skill_comes_before_who_only_shares_the_sector() -> None:
    """"who can sew ponchos": the sewing workshops before the sports brand whose document
    mentions ponchos (it shares the sector and ranks first by meaning)."""
    partners = load_corpus(CORPUS_DIR).partners
    matches = match_partners("sew ponchos in small series", Profile(city="Roubaix",
                                                                     department="59"),
                             partners, geo=Geo.load(), ranked_ids=["decathlon"])
    codes = [[r.code for r in m.reasons] for m in matches]
    first_without = next(i for i, c in enumerate(codes) if "capabilities" not in c)
    assert all("capabilities" not in c for c in codes[first_without:])
    assert "capabilities" in codes[0]


def test_a_partner_in_the_company_s_town_is_said_so_not_zero_km_away() -> None:
    matches = match_partners("atelier de confection textile", Profile(city="Roubaix"),
                             PARTNERS, geo=GEO)
    resilience = next(m for m in matches if m.partner.id == "resilience")
    codes = [r.code for r in resilience.reasons]
    assert "same_town" in codes
    assert "distance" not in codes


def test_a_need_named_whole_by_a_skill_beats_a_skill_sharing_one_word() -> None:
    # "études de marché" covers both words; "marchés publics" one, "marketing" none once
    # "market study" is read as the catalogue's phrase
    for need in ("qui fait des études de marché ?", "and for the market study?"):
        top = match_partners(need, Profile(), PARTNERS, geo=GEO, limit=1)
        assert [m.partner.id for m in top] == ["edhec"], need


def test_a_retailer_is_found_by_its_catalogue_words() -> None:
    top = match_partners("a retailer that only sells European-made products", Profile(),
                         PARTNERS, geo=GEO, limit=1)
    assert [m.partner.id for m in top] == ["camif"]


def test_words_that_ask_do_not_match_skills() -> None:
    """"aider" and the public bodies' "aides à l'implantation" share a stem: asking for help
    finding a foundry is not asking for aid schemes."""
    asked = match_partners("qui peut nous aider a trouver un sous-traitant en fonderie ?",
                           Profile(), PARTNERS, geo=GEO)
    assert not any(r.code == "capabilities" for m in asked for r in m.reasons)
    said = match_partners("aides à l'implantation", Profile(), PARTNERS, geo=GEO)
    assert any(r.code == "capabilities" for r in said[0].reasons)
