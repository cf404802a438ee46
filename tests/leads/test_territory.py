"""The full territory: every commune of the five départements routes to one desk or to a
documented choice, never to a silent département fallback; the regulation's own list agrees."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.i18n import Catalog
from bot.leads.routing import LOCAL_DESKS, Router
from bot.storage import Database
from knowledge.base import KnowledgeBase
from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.catalog.territory import TERRITORY_FILE, Territory, TerritoryError

ROUTER = Router.load()
COMMUNES = [c for c in ROUTER.geo.communes if c.department in HDF_DEPARTMENTS]
TERRITORY = Territory.load()


def test_every_commune_routes_to_one_desk_or_a_documented_choice() -> None:
    desks: Counter[str] = Counter()
    choices: Counter[str] = Counter()
    for commune in COMMUNES:
        place = f"{commune.postal_codes[0]} {commune.name}"
        routing = ROUTER.route(place)
        assert "département" not in routing.rule, place   # no département fallback
        assert routing.commune == commune.name, place      # the code + name find the commune
        if commune.cci:
            assert (routing.desk_ids, routing.ambiguous) == ([commune.cci], False), place
            desks[commune.cci] += 1
        else:
            assert routing.ambiguous, place
            assert len(routing.desk_ids) >= 2, place
            assert routing.reason, place  # the choice says why
            assert commune.territory, place
            choices[" / ".join(routing.desk_ids)] += 1
        assert set(routing.desk_ids) <= set(LOCAL_DESKS), place
    print("\ncommunes per desk:", dict(desks.most_common()))
    print("explicit choices:", dict(choices.most_common()), sum(choices.values()))
    assert len(COMMUNES) == sum(desks.values()) + sum(choices.values()) > 3700
    assert set(desks) == set(LOCAL_DESKS)
    assert all(n >= 100 for n in desks.values())
    assert sum(choices.values()) < len(COMMUNES) // 10


def test_whole_departements_and_arrondissements_as_the_texts_say() -> None:
    by_arr: dict[str, set[str | None]] = {}
    for commune in COMMUNES:
        by_arr.setdefault(commune.arrondissement, set()).add(commune.cci)
    assert by_arr["593"] == by_arr["595"] == {"cci-grand-lille"}   # Douai, Lille
    assert by_arr["591"] == by_arr["592"] == by_arr["596"] == {"cci-grand-hainaut"}
    assert by_arr["594"] == {"cci-grand-lille", "cci-littoral-hauts-de-france"}  # Dunkerque
    assert {c.cci for c in COMMUNES if c.department == "02"} == {"cci-aisne"}
    assert {c.cci for c in COMMUNES if c.department == "60"} == {"cci-oise"}
    for arr in ("623", "624", "626"):   # Boulogne-sur-Mer, Montreuil, Calais
        assert by_arr[arr] == {"cci-littoral-hauts-de-france"}
    assert by_arr["627"] == {"cci-artois"}                          # Lens


def test_the_fifteen_communes_of_the_canton_of_wormhout_named_by_the_grand_lille_text() -> None:
    named = ("Arnèke Bavinchove Buysscheure Hardifort Houtkerque Noordpeene Ochtezeele "
             "Oudezeele Rubrouck Steenvoorde Terdeghem Wemaers-Cappel Winnezeele Zermezeele "
             "Zuytpeene").split()
    for name in named:
        [commune] = [c for c in ROUTER.geo.named(name) if c.department == "59"]
        assert commune.cci == "cci-grand-lille", name
    for other in ("Wormhout", "Esquelbecq", "Herzeele", "Bollezeele"):  # the rest of the canton
        assert ROUTER.route(other).desk_ids == ["cci-littoral-hauts-de-france"], other


@pytest.mark.parametrize(("place", "desk"), [
    ("Isbergues", "cci-artois"),
    ("62330 Isbergues", "cci-artois"),
    ("Fruges", "cci-littoral-hauts-de-france"),
    ("Marquise", "cci-littoral-hauts-de-france"),
    ("62250", "cci-littoral-hauts-de-france"),          # Marquise's postal code
    ("Steenvoorde", "cci-grand-lille"),
    ("Abbeville", "cci-littoral-hauts-de-france"),
    ("Péronne", "cci-amiens-picardie"),
    ("Le Tréport", "cci-littoral-hauts-de-france"),
    ("59034 Lille Cedex", "cci-grand-lille"),          # a CEDEX code: the commune decides
])
def test_communes_once_left_to_their_departement(place: str, desk: str) -> None:
    routing = ROUTER.route(place)
    assert (routing.desk_ids, routing.ambiguous) == ([desk], False), routing.rule


@pytest.mark.parametrize(("variant", "name"), [
    ("St-Omer", "Saint-Omer"), ("SAINT OMER", "Saint-Omer"), ("st omer", "Saint-Omer"),
    ("Saint-Andre-les-Lille", "Saint-André-lez-Lille"), ("Villeneuve d'Ascq", "Villeneuve-d'Ascq"),
    ("Marcq en Baroeul", "Marcq-en-Barœul"), ("Lomme", "Lille"), ("Hellemmes-Lille", "Lille"),
    ("Le Touquet", "Le Touquet-Paris-Plage"), ("Ste-Catherine", "Sainte-Catherine"),
    ("Saint-Pol-sur-Mer", "Dunkerque"), ("amiens", "Amiens"),
])
def test_name_variants_resolve(variant: str, name: str) -> None:
    assert ROUTER.route(variant).commune == name


def test_a_postal_code_shared_by_communes_of_two_desks_asks_which_commune() -> None:
    routing = ROUTER.route("59171")          # Hornaing, Erre (Douaisis) and Hélesmes (Hainaut)
    assert routing.ambiguous
    assert routing.commune is None
    assert {"Hornaing", "Erre", "Hélesmes"} <= set(routing.communes)
    assert set(routing.desk_ids) == {"cci-grand-lille", "cci-grand-hainaut"}
    assert ROUTER.route("59171 Hélesmes").desk_ids == ["cci-grand-hainaut"]
    assert ROUTER.route("59171 Hornaing").desk_ids == ["cci-grand-lille"]
    same = ROUTER.route("59160")             # Lille (Lomme) and Capinghem: one desk, no question
    assert same.desk_ids == ["cci-grand-lille"]
    assert not same.ambiguous


def test_homonyms_ask_which_commune_unless_one_dominates() -> None:
    dury = ROUTER.route("Dury")
    assert dury.ambiguous
    assert set(dury.communes) == {"Dury (02)", "Dury (62)", "Dury (80)"}
    assert ROUTER.route("Bailleul").desk_ids == ["cci-grand-lille"]  # 15,000 people vs 300


def test_documented_choices_are_sourced_and_name_real_desks() -> None:
    for choice in TERRITORY.choices.values():
        assert choice["reason"], choice["id"]
        assert choice["sources"], choice["id"]
        assert all(url.startswith(("http://", "https://")) for url in choice["sources"])
    for desk, spec in TERRITORY.desks.items():
        assert desk in LOCAL_DESKS
        refs = [*spec.get("sources", []), *(ref["url"] for ref in spec.get("legal", []))]
        assert refs, desk
        assert all(url.startswith(("http://", "https://")) for url in refs), desk


def test_a_unit_claimed_twice_is_an_error(tmp_path: Path) -> None:
    text = TERRITORY_FILE.read_text(encoding="utf-8").replace(
        '{siren: "200033579", name: "CU d\'Arras"}',
        '{siren: "200033579", name: "CU d\'Arras"}\n      - {siren: "200093201", name: "MEL"}')
    path = tmp_path / "territory.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TerritoryError, match="200093201"):
        Territory.load(path)


async def test_the_lead_form_asks_which_commune_for_a_shared_postal_code(
    kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path
) -> None:
    from tests.leads.test_lead_flow import joined, make, press, say

    bot = make(kb, db, catalog, tmp_path)
    await bot.handle(say("/conseiller"))
    await bot.handle(press("lf:consent:yes"))
    await bot.handle(say("Ateliers du Nord"))
    await bot.handle(press("lf:skip"))                      # SIREN
    desk = await bot.handle(say("59171"))                   # Hornaing, Erre or Hélesmes?
    assert catalog.t("lead_q_desk", "fr") in joined(desk)
    assert catalog.t("lead_q_headcount", "fr") in joined(await bot.handle(say("Hélesmes")))
    assert ROUTER.route("59171 Hélesmes").desk_ids == ["cci-grand-hainaut"]
