"""Communes of Hauts-de-France: names, postal codes, départements, coordinates, CCI desk.

The table holds every commune of the five départements (``communes.py``); this module indexes
it by name (accents, case, hyphens, "St"/"Saint", "lez"/"lès" ignored; delegated and associated
communes as aliases of their commune) and by postal code, and finds communes named in a text.

Usage::

    geo = Geo.load()
    geo.by_postal_code("59100")[0].name        # "Roubaix"
    geo.find_in_text("PME à Villeneuve d'Ascq")  # Commune(...)
    geo.named("St-Omer")                       # [Commune(name="Saint-Omer", ...)]
    geo.distance_km(geo.get("Lille"), geo.get("Arras"))
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from knowledge.catalog.communes import OVERLAY_FILE, TABLE_FILE, Commune, load_communes
from knowledge.catalog.territory import TERRITORY_FILE
from knowledge.lexical import LANG_STOPWORDS, fold

__all__ = ["AMBIGUOUS", "HDF_DEPARTMENTS", "Commune", "Geo"]

HDF_DEPARTMENTS = ("02", "59", "60", "62", "80")

# Well-known commune names that are also everyday French or English words.
AMBIGUOUS = frozenset("eu ham hem lens guise albert croix avion rue loos marly roye nesle mouy "
                      "camon auby marck leers harnes barlin divion grenay bavay ascq vda".split())
_STOP = LANG_STOPWORDS["fr"] | LANG_STOPWORDS["en"]
_PLACE_BEFORE = re.compile(r"(?:\b(?:a|au|aux|in|at|near|pres de|de|du|sur|vers|from|to)) $")
# Before a commune the bot did not list among the well-known ones, only a real place word.
_STRICT_BEFORE = re.compile(r"(?:\b(?:a|au|aux|in|at|near|pres de|vers|based in|basee a)) $")
_WORD = re.compile(r"[^\W_]+")
_SAME = {"st": "saint", "ste": "sainte", "lez": "les", "sainct": "saint"}


def _fold(text: str) -> str:
    return fold(text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
                .replace("Æ", "ae"))


def _tokens(text: str) -> list[tuple[str, str]]:
    """(normalised key word, original word) for each word of ``text``."""
    out = []
    for word in _WORD.findall(text):
        folded = _fold(word)
        out.append((_SAME.get(folded, folded), word))
    return out


def _key(name: str) -> str:
    """``"St-André-lez-Lille"`` -> ``"saint andre les lille"``."""
    return " ".join(_SAME.get(w, w) for w in _WORD.findall(_fold(name)))


class Geo:
    """Name and postal-code indexes over the communes (built once, then read-only)."""

    def __init__(self, communes: list[Commune]) -> None:
        self.communes = communes
        self._by_name: dict[str, list[Commune]] = {}
        self._by_code: dict[str, list[Commune]] = {}
        self._well_known: set[str] = set()
        ranked = sorted(communes, key=lambda c: (not c.well_known, -c.population))
        for pass_aliases in (False, True):  # real names first, then other spellings
            for commune in ranked:
                for name in (commune.aliases if pass_aliases else [commune.name]):
                    key = _key(name)
                    found = self._by_name.setdefault(key, [])
                    if all(c is not commune for c in found) and not (pass_aliases and found):
                        found.append(commune)
                    if commune.well_known:
                        self._well_known.add(key)
        for commune in communes:
            for code in commune.postal_codes:
                self._by_code.setdefault(code, []).append(commune)
        self._max_words = max((k.count(" ") + 1 for k in self._by_name), default=0)

    @classmethod
    def load(cls, path: Path = TABLE_FILE, *, overlay: Path = OVERLAY_FILE,
             territory: Path = TERRITORY_FILE) -> Geo:
        return _load(path, overlay, territory)

    def get(self, name: str) -> Commune | None:
        """The commune called ``name`` (the best known, then most populous, of homonyms)."""
        found = self._by_name.get(_key(name))
        return found[0] if found else None

    def named(self, name: str) -> list[Commune]:
        """Every commune called ``name`` (homonyms in several départements)."""
        return list(self._by_name.get(_key(name), []))

    def by_postal_code(self, code: str) -> list[Commune]:
        return list(self._by_code.get(code, []))

    @staticmethod
    def among(communes: list[Commune], text: str) -> Commune | None:
        """The one of ``communes`` that ``text`` names ("62380 Lumbres"), longest name first."""
        key, best, size = f" {_key(text)} ", None, 0
        for commune in communes:
            for name in (commune.name, *commune.aliases):
                found = _key(name)
                if len(found) > size and f" {found} " in key:
                    best, size = commune, len(found)
        return best

    def _accept(self, name: str, words: list[tuple[str, str]], at: int, *,
                strict: bool) -> bool:
        if name in _STOP:
            return False
        if not strict:
            return len(name) > 2 or words[at][1][:1].isupper()
        before = " ".join(k for k, _ in words[max(0, at - 2):at]) + " "
        capital = words[at][1][:1].isupper()
        if name in self._well_known:
            return name not in AMBIGUOUS or capital or bool(_PLACE_BEFORE.search(before))
        if _STRICT_BEFORE.search(before):
            return True
        letters = len(name.replace(" ", ""))
        return capital and name not in AMBIGUOUS and (letters >= 6 or (letters >= 4 and at > 0))

    def find_in_text(self, text: str, *, strict: bool = True) -> Commune | None:
        """The first commune named in ``text`` (accents, case, hyphens ignored).

        Well-known names that are also common words ("Eu", "Lens", "Avion", "Rue"...) count only
        when capitalised or right after a place preposition ("à", "in", "près de"...). Other
        communes of the table count when capitalised (sentence-initial: six letters at least)
        or right after "à" / "in" / "près de"; ``strict=False`` (a text that is a place, like a
        form's answer) accepts any name but stopwords.
        """
        words = _tokens(text)
        keys = [k for k, _ in words]
        for at in range(len(keys)):
            for size in range(min(self._max_words, len(keys) - at), 0, -1):
                name = " ".join(keys[at:at + size])
                found = self._by_name.get(name)
                if found is None:
                    continue
                if self._accept(name, words, at, strict=strict):
                    return found[0]
                break
        return None

    def locate(self, place: str | None) -> Commune | None:
        """A commune from a name like ``"Roubaix (à confirmer)"`` or ``"Lille"``."""
        if not place:
            return None
        return self.get(place) or self.find_in_text(place, strict=False)

    @staticmethod
    def distance_km(a: Commune, b: Commune) -> float:
        """Great-circle distance (haversine)."""
        lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
        h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
            (lon2 - lon1) / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(h))


@lru_cache(maxsize=4)
def _load(path: Path, overlay: Path, territory: Path) -> Geo:
    return Geo(load_communes(path, overlay, territory))
