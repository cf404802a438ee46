"""Communes of Hauts-de-France: names, postal codes, départements, coordinates, CCI desk.

Usage::

    geo = Geo.load()
    geo.by_postal_code("59100")[0].name        # "Roubaix"
    geo.find_in_text("PME à Villeneuve d'Ascq")  # Commune(...)
    geo.distance_km(geo.get("Lille"), geo.get("Arras"))
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge import CORPUS_DIR
from knowledge.lexical import fold

__all__ = ["HDF_DEPARTMENTS", "Commune", "Geo"]

HDF_DEPARTMENTS = ("02", "59", "60", "62", "80")
GEO_FILE = CORPUS_DIR / "geo" / "communes.yaml"


class Commune(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    postal_codes: list[str]
    department: str
    lat: float
    lon: float
    cci: str | None = None
    cci_candidates: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    uncertain: bool = False


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()


# Commune names that are also everyday French or English words.
AMBIGUOUS = frozenset("eu ham hem lens guise albert croix avion rue loos marly roye nesle mouy "
                      "camon auby marck leers harnes barlin divion grenay bavay ascq vda".split())
_PLACE_BEFORE = re.compile(r"(?:\b(?:a|au|aux|in|at|near|pres de|de|du|sur|vers|from|to)) $")


def _proper(text: str, name: str) -> str:
    """The words of ``text`` that fold to ``name`` (to check their capitalisation)."""
    words = re.findall(r"[\w'-]+", text)
    return " ".join(w for w in words if _key(w) == name)


class Geo:
    def __init__(self, communes: list[Commune]) -> None:
        self.communes = communes
        self._by_name: dict[str, Commune] = {}
        self._by_code: dict[str, list[Commune]] = {}
        for commune in communes:
            for name in [commune.name, *commune.aliases]:
                self._by_name.setdefault(_key(name), commune)
            for code in commune.postal_codes:
                self._by_code.setdefault(code, []).append(commune)
        names = sorted(self._by_name, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b") \
            if names else None

    @classmethod
    def load(cls, path: Path = GEO_FILE) -> Geo:
        return _load(path)

    def get(self, name: str) -> Commune | None:
        return self._by_name.get(_key(name))

    def by_postal_code(self, code: str) -> list[Commune]:
        return list(self._by_code.get(code, []))

    def find_in_text(self, text: str) -> Commune | None:
        """The first commune named in ``text`` (accents, case, hyphens ignored).

        Names that are also common words ("Eu", "Lens", "Avion", "Rue"...) count only when
        capitalised or right after a place preposition ("à", "in", "près de"...).
        """
        if self._pattern is None:
            return None
        key = _key(text)
        for match in self._pattern.finditer(key):
            name = match.group(1)
            if name not in AMBIGUOUS or _PLACE_BEFORE.search(key[: match.start()]) or re.search(
                    r"(?<![\w-])" + re.escape(name[0].upper()) + r"\w*", _proper(text, name)):
                return self._by_name[name]
        return None

    def locate(self, place: str | None) -> Commune | None:
        """A commune from a name like ``"Roubaix (à confirmer)"`` or ``"Lille"``."""
        if not place:
            return None
        return self.get(place) or self.find_in_text(place)

    @staticmethod
    def distance_km(a: Commune, b: Commune) -> float:
        """Great-circle distance (haversine)."""
        lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
        h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
            (lon2 - lon1) / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(h))


@lru_cache(maxsize=4)
def _load(path: Path) -> Geo:
    if not path.exists():
        return Geo([])
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return Geo([Commune.model_validate(item) for item in data.get("communes", [])])
