"""Table-driven routing tests: postal code or commune -> CCI desk, with the rule that fired."""

from __future__ import annotations

import pytest

from bot.leads.routing import LOCAL_DESKS, Router

ROUTER = Router.load()


@pytest.mark.parametrize(("place", "desk"), [
    ("Valenciennes", "cci-grand-hainaut"),
    ("Dunkerque", "cci-littoral-hauts-de-france"),
    ("Calais", "cci-littoral-hauts-de-france"),
    ("Lille", "cci-grand-lille"),
    ("Douai", "cci-grand-lille"),
    ("Arras", "cci-artois"),
    ("Lens", "cci-artois"),
    ("Abbeville", "cci-littoral-hauts-de-france"),
    ("Amiens", "cci-amiens-picardie"),
    ("Beauvais", "cci-oise"),
    ("Saint-Quentin", "cci-aisne"),
    ("59300", "cci-grand-hainaut"),
    ("62000", "cci-artois"),
    ("80000", "cci-amiens-picardie"),
    ("60000", "cci-oise"),
    ("02100", "cci-aisne"),
    ("02999", "cci-aisne"),            # unknown code in a single-CCI département
    ("75011", "cci-hauts-de-france"),  # outside the region -> regional desk
    ("13001 Marseille", "cci-hauts-de-france"),
])
def test_places_route_to_their_desk(place: str, desk: str) -> None:
    routing = ROUTER.route(place)
    assert (routing.desk_ids, routing.ambiguous) == ([desk], False)
    assert desk in routing.rule


@pytest.mark.parametrize(("place", "candidates"), [
    ("62500", {"cci-artois", "cci-grand-lille", "cci-littoral-hauts-de-france"}),  # Saint-Omer
    ("Saint-Omer", {"cci-artois", "cci-grand-lille", "cci-littoral-hauts-de-france"}),
    ("59999", {"cci-grand-lille", "cci-grand-hainaut", "cci-littoral-hauts-de-france"}),
    ("80999", {"cci-amiens-picardie", "cci-littoral-hauts-de-france"}),
])
def test_ambiguous_places_ask_the_user(place: str, candidates: set[str]) -> None:
    routing = ROUTER.route(place)
    assert routing.ambiguous
    assert set(routing.desk_ids) == candidates
    assert routing.desk_id is None


def test_unknown_place_offers_every_local_desk() -> None:
    routing = ROUTER.route("Trifouilly-les-Oies")
    assert routing.ambiguous
    assert routing.desk_ids == list(LOCAL_DESKS)


def test_sector_desks_are_data() -> None:
    router = Router(geo=ROUTER.geo, regional="cci-hauts-de-france",
                    departments=ROUTER.departments, sector_desks={"textile": "cci-textile"})
    assert router.route("Lille", sector="textile").desk_ids == ["cci-textile"]
    assert router.route("Lille", sector="chimie").desk_ids == ["cci-grand-lille"]
