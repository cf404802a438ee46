"""Route a lead to a CCI desk from its postal code or commune, by rules kept as data.

Every commune of the five départements has a desk, or a documented choice among candidate
desks (``knowledge/corpus/cci/territory.yaml``, resolved on the communes table at start-up).
A postal code shared by communes of different desks asks which commune (``Routing.communes``);
an unknown postal code of the region falls to its département's desks (``routing.yaml``).

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

from knowledge import CORPUS_DIR
from knowledge.catalog.geo import Commune, Geo
from knowledge.yamlfile import load_yaml

__all__ = ["LOCAL_DESKS", "Router", "Routing"]

ROUTING_FILE = CORPUS_DIR / "cci" / "routing.yaml"
LOCAL_DESKS = ("cci-grand-lille", "cci-grand-hainaut", "cci-littoral-hauts-de-france",
               "cci-artois", "cci-amiens-picardie", "cci-aisne", "cci-oise")
_POSTAL = re.compile(r"\b(\d{5})\b")
_LISTED = 6     # communes named in a rule
_DOMINANT = 10  # a homonym this many times more populous than the others is the one meant


@dataclass(frozen=True, slots=True)
class Routing:
    """The desk(s) for a place and the rule that fired (quoted to advisors)."""

    desk_ids: list[str]
    ambiguous: bool
    rule: str
    department: str | None = None
    commune: str | None = None
    postal_code: str | None = None
    communes: tuple[str, ...] = ()   # when ambiguous: the communes to choose among
    reason: str | None = None        # when ambiguous: why the territory leaves it open

    @property
    def desk_id(self) -> str | None:
        return self.desk_ids[0] if not self.ambiguous and self.desk_ids else None


def _desks(commune: Commune) -> list[str]:
    return [commune.cci] if commune.cci else list(commune.cci_candidates)


def _names(names: list[str]) -> str:
    more = f" et {len(names) - _LISTED} autres" if len(names) > _LISTED else ""
    return ", ".join(names[:_LISTED]) + more


def _label(commune: Commune, homonyms: bool) -> str:
    return f"{commune.name} ({commune.department})" if homonyms else commune.name


class Router:
    """Places to desks: the communes table first, then postal codes, then départements."""

    def __init__(self, *, geo: Geo, regional: str, departments: dict[str, list[str]],
                 sector_desks: dict[str, str]) -> None:
        self.geo = geo
        self.regional = regional
        self.departments = departments
        self.sector_desks = sector_desks

    @classmethod
    def load(cls, path: Path = ROUTING_FILE, *, geo: Geo | None = None) -> Router:
        with path.open(encoding="utf-8") as fh:
            data = load_yaml(fh)
        return cls(geo=geo or Geo.load(), regional=data["regional_desk"],
                   departments={str(k): list(v) for k, v in data["departments"].items()},
                   sector_desks=dict(data.get("sector_desks") or {}))

    def _from_communes(self, communes: list[Commune], what: str, code: str | None) -> Routing:
        desks = list(dict.fromkeys(d for c in communes for d in _desks(c)))
        names = _names([c.name for c in communes])
        department = communes[0].department
        one = communes[0].name if len(communes) == 1 else None
        if len(desks) == 1:
            return Routing([desks[0]], False, f"{what} ({names}) -> {desks[0]}", department,
                           one, code)
        if len({tuple(_desks(c)) for c in communes}) == 1:  # a documented territory choice
            commune = communes[0]
            return Routing(desks, True, f"{what} ({names}; {commune.territory}): plusieurs CCI "
                           f"possibles", department, one, code, reason=commune.cci_reason)
        homonyms = len({c.name for c in communes}) < len(communes)
        labels = tuple(_label(c, homonyms) for c in communes)
        groups: dict[str, list[str]] = {}
        for commune, label in zip(communes, labels, strict=True):
            groups.setdefault(" / ".join(_desks(commune)), []).append(label)
        detail = "; ".join(f"{_names(group)} -> {desk}" for desk, group in groups.items())
        shared = department if len({c.department for c in communes}) == 1 else None
        return Routing(desks, True, f"{what} partagé par plusieurs communes ({detail}) : "
                       f"préciser la commune", shared, None, code, communes=labels)

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

    def _by_code(self, code: str, place: str) -> Routing:
        communes = self.geo.by_postal_code(code)
        rest = _POSTAL.sub(" ", place).strip()
        if communes:  # "62380 Lumbres": the commune named picks among the code's communes
            named = self.geo.among(communes, rest) if rest else None
            return self._from_communes([named] if named else communes, f"code postal {code}",
                                       code)
        found = self.geo.find_in_text(rest, strict=False) if rest else None
        if found is not None:  # a CEDEX or a new code: the commune of that département
            named = self.geo.among([c for c in self.geo.named(found.name)
                                    if c.department == code[:2]], found.name)
            if named is not None:
                return self._from_communes([named], f"commune {named.name}", code)
        return self._from_department(code[:2], f"code postal {code}", code)

    def _by_name(self, place: str) -> Routing | None:
        communes = self.geo.named(place)
        if len(communes) > 1:
            first, second = sorted((c.population for c in communes), reverse=True)[:2]
            if first >= _DOMINANT * max(second, 1):
                communes = [max(communes, key=lambda c: c.population)]
        if not communes:
            found = self.geo.locate(place)
            communes = [found] if found is not None else []
        if not communes:
            return None
        if len(communes) > 1:
            return self._from_communes(communes, f"nom de commune {communes[0].name}", None)
        commune = communes[0]
        return self._from_communes([commune], f"commune {commune.name}",
                                   commune.postal_codes[0] if commune.postal_codes else None)

    def route(self, place: str, *, sector: str | None = None) -> Routing:
        """Desk(s) for a postal code or commune; ``ambiguous`` when the user must choose."""
        if sector and sector in self.sector_desks:
            desk = self.sector_desks[sector]
            return Routing([desk], False, f"secteur {sector} -> {desk}")
        match = _POSTAL.search(place)
        if match:
            return self._by_code(match.group(1), place)
        found = self._by_name(place)
        if found is not None:
            return found
        return Routing([*LOCAL_DESKS], True, "lieu inconnu : choix de la CCI par l'utilisateur")
