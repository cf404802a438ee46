"""Which CCI desk covers a commune, from the territories written in ``cci/territory.yaml``.

Each local CCI's territory is written as intercommunalities (EPCI SIREN, optionally scoped to
one département), whole départements or communes (INSEE code); where the regulation leaves it
open, a documented *choice* names the candidate desks and the reason. Resolution goes from the
most precise unit to the widest: commune, département, EPCI in that département, EPCI.

Usage::

    territory = Territory.load()
    territory.resolve(insee="62473", department="62", epci="200072460").desk  # "cci-artois"
    territory.resolve(insee="62765", department="62", epci="200069037").candidates
    # ("cci-littoral-hauts-de-france", "cci-artois", "cci-grand-lille")
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge import CORPUS_DIR
from knowledge.yamlfile import load_yaml

__all__ = ["TERRITORY_FILE", "Assignment", "Territory", "TerritoryError"]

TERRITORY_FILE = CORPUS_DIR / "cci" / "territory.yaml"


class TerritoryError(ValueError):
    """The territory file is malformed or claims a unit twice."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A desk, or a documented choice among ``candidates`` (``desk`` is then None)."""

    desk: str | None
    candidates: tuple[str, ...] = ()
    unit: str = ""              # what matched, e.g. "EPCI 200072460 (CA de Béthune-Bruay...)"
    choice: str | None = None   # the id of the documented choice
    reason: str | None = None

    @property
    def desks(self) -> tuple[str, ...]:
        return (self.desk,) if self.desk else self.candidates


class Territory:
    """Lookup tables built once from the territory file."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version = str(data.get("version", ""))
        self.by_commune: dict[str, Assignment] = {}
        self.by_department: dict[str, Assignment] = {}
        self.by_epci: dict[tuple[str, str | None], Assignment] = {}
        self.desks: dict[str, dict[str, Any]] = dict(data.get("desks") or {})
        self.choices: dict[str, dict[str, Any]] = {}
        for desk, spec in self.desks.items():
            self._register(spec, lambda unit, d=desk: Assignment(d, unit=unit))
        for spec in data.get("choices") or []:
            candidates = tuple(spec.get("candidates") or ())
            if len(candidates) < 2 or not spec.get("reason"):
                raise TerritoryError(f"choice {spec.get('id')}: needs 2+ candidates and a reason")
            unknown = [c for c in candidates if c not in self.desks]
            if unknown:
                raise TerritoryError(f"choice {spec['id']}: unknown desks {unknown}")
            self.choices[spec["id"]] = spec
            reason = " ".join(str(spec["reason"]).split())
            self._register(spec, lambda unit, s=spec, c=candidates, r=reason: Assignment(
                None, c, unit=f"{s.get('label', s['id'])}: {unit}", choice=s["id"], reason=r))

    def _register(self, spec: dict[str, Any], make: Any) -> None:
        def claim(table: dict[Any, Assignment], key: Any, unit: str) -> None:
            if key in table:
                raise TerritoryError(f"{unit} is claimed twice ({table[key].unit})")
            table[key] = make(unit)

        for code in spec.get("communes") or []:
            claim(self.by_commune, str(code), f"commune {code}")
        for dep in spec.get("departments") or []:
            claim(self.by_department, str(dep), f"département {dep}")
        for epci in spec.get("epcis") or []:
            dep = str(epci["departement"]) if epci.get("departement") else None
            where = f", {dep}" if dep else ""
            claim(self.by_epci, (str(epci["siren"]), dep),
                  f"EPCI {epci['siren']} ({epci.get('name', '?')}{where})")

    @classmethod
    def load(cls, path: Path = TERRITORY_FILE) -> Territory:
        return _load(path)

    def resolve(self, *, insee: str, department: str, epci: str) -> Assignment | None:
        """The desk or documented choice of one commune; None when nothing covers it."""
        return (self.by_commune.get(insee) or self.by_department.get(department)
                or self.by_epci.get((epci, department)) or self.by_epci.get((epci, None)))


@lru_cache(maxsize=4)
def _load(path: Path) -> Territory:
    with path.open(encoding="utf-8") as fh:
        return Territory(load_yaml(fh) or {})  # a safe loader (C if available)
