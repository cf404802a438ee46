"""Route a lead to a CCI desk from its postal code or commune, by rules kept as data.

Usage::

    router = Router.load()
    decision = router.route("59300")
    decision.desk_ids, decision.ambiguous, decision.rule
    # (["cci-grand-hainaut"], False, "code postal 59300 (Valenciennes) -> cci-grand-hainaut")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge import CORPUS_DIR
from knowledge.catalog.geo import Commune, Geo

__all__ = ["LOCAL_DESKS", "Router", "Routing"]

ROUTING_FILE = CORPUS_DIR / "cci" / "routing.yaml"
LOCAL_DESKS = ("cci-grand-lille", "cci-grand-hainaut", "cci-littoral-hauts-de-france",
               "cci-artois", "cci-amiens-picardie", "cci-aisne", "cci-oise")
_POSTAL = re.compile(r"\b(\d{5})\b")


@dataclass(frozen=True, slots=True)
class Routing:
    desk_ids: list[str]
    ambiguous: bool
    rule: str
    department: str | None = None
    commune: str | None = None
    postal_code: str | None = None

    @property
    def desk_id(self) -> str | None:
        return self.desk_ids[0] if not self.ambiguous and self.desk_ids else None


class Router:
    def __init__(self, *, geo: Geo, regional: str, departments: dict[str, list[str]],
                 sector_desks: dict[str, str]) -> None:
        self.geo = geo
        self.regional = regional
        self.departments = departments
        self.sector_desks = sector_desks

    @classmethod
    def load(cls, path: Path = ROUTING_FILE, *, geo: Geo | None = None) -> Router:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        return cls(geo=geo or Geo.load(), regional=data["regional_desk"],
                   departments={str(k): list(v) for k, v in data["departments"].items()},
                   sector_desks=dict(data.get("sector_desks") or {}))

    def _from_communes(self, communes: list[Commune], what: str, code: str | None) -> Routing:
        desks = sorted({c.cci for c in communes if c.cci} |
                       {d for c in communes if not c.cci for d in c.cci_candidates})
        names = ", ".join(c.name for c in communes)
        department = communes[0].department
        if len(desks) == 1:
            return Routing([desks[0]], False, f"{what} ({names}) -> {desks[0]}", department,
                           communes[0].name if len(communes) == 1 else None, code)
        return Routing(desks, True, f"{what} ({names}): plusieurs CCI possibles", department,
                       communes[0].name if len(communes) == 1 else None, code)

    def _from_department(self, department: str, what: str, code: str | None) -> Routing:
        desks = self.departments.get(department)
        if not desks:
            return Routing([self.regional], False,
                           f"{what} hors Hauts-de-France -> {self.regional}", department,
                           None, code)
        if len(desks) == 1:
            return Routing(desks, False, f"{what}, département {department} -> {desks[0]}",
                           department, None, code)
        return Routing(list(desks), True, f"{what}, département {department} partagé",
                       department, None, code)

    def for_department(self, department: str) -> Routing:
        """Desk(s) of a whole département (shared départements are ambiguous)."""
        return self._from_department(department, f"département {department}", None)

    def route(self, place: str, *, sector: str | None = None) -> Routing:
        """Desk(s) for a postal code or commune; ``ambiguous`` when the user must choose."""
        if sector and sector in self.sector_desks:
            desk = self.sector_desks[sector]
            return Routing([desk], False, f"secteur {sector} -> {desk}")
        match = _POSTAL.search(place)
        if match:
            code = match.group(1)
            communes = self.geo.by_postal_code(code)
            if communes:
                return self._from_communes(communes, f"code postal {code}", code)
            return self._from_department(code[:2], f"code postal {code}", code)
        commune = self.geo.locate(place)
        if commune is not None:
            return self._from_communes([commune], f"commune {commune.name}",
                                       commune.postal_codes[0] if commune.postal_codes else None)
        return Routing([*LOCAL_DESKS], True, "lieu inconnu : choix de la CCI par l'utilisateur")
