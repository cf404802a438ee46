"""The communes table built from Etalab's package: complete, described, found in texts."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from knowledge import CORPUS_DIR
from knowledge.catalog import Geo, Profile, match_partners
from knowledge.catalog.communes import TABLE_FILE, load_communes, read_table
from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.loader import load_corpus

GEO = Geo.load()


def test_the_table_says_where_it_comes_from_and_holds_the_whole_region() -> None:
    manifest = [line for line in TABLE_FILE.read_text(encoding="utf-8").splitlines()
                if line.startswith("#")]
    text = "\n".join(manifest)
    assert "@etalab/decoupage-administratif 6.0.0" in text
    assert "Licence Ouverte" in text
    assert "make territory" in text
    rows = read_table()
    in_region = [r for r in rows if r["departement"] in HDF_DEPARTMENTS]
    assert len(in_region) == 3881   # current, delegated and associated communes of région 32
    current = Counter(r["departement"] for r in in_region if r["type"] == "commune")
    assert current == {"62": 887, "02": 797, "80": 771, "60": 680, "59": 647}
    assert all(r["codes_postaux"] and r["epci_siren"] for r in rows if r["type"] == "commune")
    assert len({(r["insee"], r["type"]) for r in rows}) == len(rows)


def test_every_commune_has_coordinates_known_or_approximated() -> None:
    lille, bouvines, zuytpeene, fruges = (GEO.get(n) for n in (
        "Lille", "Bouvines", "Zuytpeene", "Fruges"))
    assert lille
    assert lille.well_known
    assert lille.placed_by == "commune"
    assert bouvines
    assert bouvines.placed_by == "postal code"   # 59830, with Cysoing
    assert zuytpeene
    assert zuytpeene.placed_by == "EPCI"        # Cœur de Flandre's towns
    assert 50.6 < zuytpeene.lat < 50.85
    assert 2.4 < zuytpeene.lon < 2.9
    assert fruges
    assert fruges.placed_by == "arrondissement"    # too coarse for distances
    assert all(48.8 < c.lat < 51.2 and 1.3 < c.lon < 4.3 for c in GEO.communes)
    placed = Counter(c.placed_by for c in GEO.communes)
    print("\ncoordinates:", dict(placed))
    assert placed["commune"] >= 230
    assert not placed["region"]


def test_partner_distances_from_a_small_commune_only_when_it_is_placed_near_enough() -> None:
    partners = load_corpus(CORPUS_DIR).partners
    need = "atelier de confection textile"
    near = match_partners(need, Profile(city="Bouvines"), partners, geo=GEO, limit=3)
    assert near
    assert all(m.distance_km is not None for m in near)
    coarse = match_partners(need, Profile(city="Fruges"), partners, geo=GEO, limit=3)
    assert coarse
    assert all(m.distance_km is None for m in coarse)


@pytest.mark.parametrize(("text", "expected"), [
    ("il y a des aides ?", None),                       # Y is a commune of the Somme
    ("Long story short, we make bags", None),            # so is Long
    ("je cherche un bus pour mes salariés", None),       # and Bus, in the Pas-de-Calais
    ("Notre usine d'Isbergues recrute", "Isbergues"),
    ("une PME basée à isbergues", "Isbergues"),
    ("Fruges : quelle CCI ?", "Fruges"),
    ("PME de 40 salariés à Marquise", "Marquise"),
    ("atelier à St-Omer", "Saint-Omer"),
])
def test_any_commune_of_the_table_is_found_but_common_words_are_not(
        text: str, expected: str | None) -> None:
    commune = GEO.find_in_text(text)
    assert (commune.name if commune else None) == expected


def test_load_time_of_the_table() -> None:
    """Built once at start-up: CSV, coordinates, territory and indexes (figure in the README)."""
    start = time.process_time()
    geo = Geo(load_communes())
    spent = time.process_time() - start
    print(f"\ncommunes table: {len(geo.communes)} communes indexed in {spent * 1000:.0f} ms CPU")
    assert spent < 2.0
