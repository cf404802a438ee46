"""Load the communes table: Etalab's communes (``geo/communes-hdf.csv``), the project's
coordinates and spellings (``geo/communes.yaml``) and each commune's CCI (``cci/territory.yaml``).

Everything is read once per process (the router and the profile extractor share it). A
commune the project has no coordinates for is placed at the mean of the located communes that
share its postal code, else its intercommunality, else its arrondissement, else its
département (``placed_by``): the first two are good enough to rank partners by distance.

Usage::

    communes = load_communes()          # list[Commune], delegated communes as aliases
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge import CORPUS_DIR
from knowledge.catalog.territory import TERRITORY_FILE, Territory
from knowledge.yamlfile import load_yaml

__all__ = ["NEAR_ENOUGH", "OVERLAY_FILE", "PLACED_BY", "TABLE_FILE", "Commune", "load_communes",
           "read_table"]

TABLE_FILE = CORPUS_DIR / "geo" / "communes-hdf.csv"
OVERLAY_FILE = CORPUS_DIR / "geo" / "communes.yaml"
# How a commune's coordinates were had, most precise first; the first three are near enough
# (a few km) for partner distances, an arrondissement's mean is not.
PLACED_BY = ("commune", "postal code", "EPCI", "arrondissement", "département")
NEAR_ENOUGH = frozenset(PLACED_BY[:3])


@dataclass(slots=True, eq=False)
class Commune:
    """A current commune: where it is, its codes, and the CCI desk (or choice) covering it.

    Shared by every conversation: read it, never change it (not frozen only because a frozen
    dataclass takes ten times longer to build, and the table is built at start-up).
    """

    name: str
    postal_codes: list[str]
    department: str
    lat: float
    lon: float
    cci: str | None = None
    cci_candidates: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    uncertain: bool = False            # no single desk: a documented choice
    insee: str = ""
    arrondissement: str = ""
    epci: str = ""                     # SIREN of its intercommunality
    epci_name: str = ""
    population: int = 0
    placed_by: str = "commune"         # how lat / lon were had: PLACED_BY
    well_known: bool = False           # listed in geo/communes.yaml
    territory: str | None = None       # the territory unit that gave its desk(s)
    cci_reason: str | None = None      # why the user chooses, for a documented choice


def read_table(path: Path = TABLE_FILE) -> list[dict[str, str]]:
    """The CSV rows (its ``#`` manifest lines skipped); [] when the file is missing."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _overlay(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        data = load_yaml(fh) or {}  # a safe loader (C if available)
    return {str(item["insee"]): item for item in data.get("communes", [])}


def _places(rows: list[dict[str, str]], known: dict[str, dict[str, Any]]
            ) -> dict[str, tuple[float, float, str]]:
    """Coordinates of every commune: known ones as they are, the others approximated."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in rows:
        item = known.get(row["insee"])
        if item is None:
            continue
        lat, lon = float(item["lat"]), float(item["lon"])
        for key in {k for level in _groups(row) for k in level}:
            total = sums[key]
            total[0] += lat
            total[1] += lon
            total[2] += 1
    out: dict[str, tuple[float, float, str]] = {}
    for row in rows:
        item = known.get(row["insee"])
        if item is not None:
            out[row["insee"]] = (float(item["lat"]), float(item["lon"]), "commune")
            continue
        out[row["insee"]] = (50.0, 2.8, "region")  # the region's middle, never used in practice
        for by, level in zip(PLACED_BY[1:], _groups(row), strict=False):
            totals = [sums[k] for k in level if k in sums]
            count = sum(t[2] for t in totals)
            if count:
                out[row["insee"]] = (round(sum(t[0] for t in totals) / count, 2),
                                     round(sum(t[1] for t in totals) / count, 2), by)
                break
    return out


def _groups(row: dict[str, str]) -> list[list[str]]:
    """The groups a commune is placed by, nearest first: postal codes, EPCI, arrondissement..."""
    return [[f"cp:{c}" for c in row["codes_postaux"].split()], [f"epci:{row['epci_siren']}"],
            [f"arr:{row['arrondissement']}"], [f"dep:{row['departement']}"]]


def load_communes(table: Path = TABLE_FILE, overlay: Path = OVERLAY_FILE,
                  territory: Path = TERRITORY_FILE) -> list[Commune]:
    """Every current commune of the table as a ``Commune``, most populous first.

    A commune no territory covers keeps ``cci=None`` and no candidates: the tests walking the
    table fail on it (no silent fallback).
    """
    rows = read_table(table)
    current = [r for r in rows if r["type"] == "commune"]
    known = _overlay(overlay)
    attached: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row["parent"]:
            attached[row["parent"]].append(row["nom"])
    places = _places(current, known)
    desks = Territory.load(territory) if territory.exists() else None
    out = []
    for row in current:
        code = row["insee"]
        extra = known.get(code, {})
        where = desks.resolve(insee=code, department=row["departement"],
                              epci=row["epci_siren"]) if desks else None
        lat, lon, placed_by = places[code]
        out.append(Commune(
            name=row["nom"], postal_codes=row["codes_postaux"].split(),
            department=row["departement"], lat=lat, lon=lon,
            cci=where.desk if where else None,
            cci_candidates=list(where.candidates) if where else [],
            aliases=[*extra.get("aliases", []), *attached.get(code, [])],
            uncertain=bool(where and where.desk is None), insee=code,
            arrondissement=row["arrondissement"], epci=row["epci_siren"],
            epci_name=row["epci_nom"], population=int(row["population"] or 0),
            placed_by=placed_by, well_known=bool(extra),
            territory=where.unit if where else None, cci_reason=where.reason if where else None,
        ))
    out.sort(key=lambda c: -c.population)
    return out
