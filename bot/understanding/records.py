"""Named records in free text: aid schemes, partners and CCIs found by name or alias.

"Quel est le montant maximum du PNI ?" -> ``RecordRef("aid", "bpi-pret-nouvelle-industrie")``.
Names are matched as whole words on folded text (no accents, lowercase); the longest name
wins, so "Prêt Nouvelle Industrie" beats "Prêt". Aliases come from the records themselves
(``aliases:`` in the corpus, acronyms in parentheses of a name).

Usage::

    index = RecordIndex.build(aids=kb.aids, partners=kb.partners, ccis=kb.ccis)
    index.find("comment demander l'aide à l'implantation ?")  # [RecordRef("aid", "hdf-...")]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from knowledge.lexical import fold
from knowledge.models import AidScheme, Cci, Partner

__all__ = ["RecordIndex", "RecordKind", "RecordRef"]

RecordKind = Literal["aid", "partner", "cci"]
_PAREN = re.compile(r"\(([^)]*)\)")
_SPACES = re.compile(r"\s+")
# Words too common to name one record on their own.
_GENERIC = frozenset(fold(w) for w in (
    "aide", "aides", "pret", "prêt", "fonds", "région", "region", "france", "cci", "bpifrance",
    "ademe", "etat", "état", "europe", "programme", "dispositif", "garantie", "subvention",
    "hauts-de-france", "hauts de france", "nord", "industrie", "entreprise", "entreprises",
    "pme", "eti", "tpe", "national", "regional", "le", "la", "les", "des",
))


@dataclass(frozen=True, slots=True)
class RecordRef:
    kind: RecordKind
    id: str


def _clean(name: str) -> str:
    return _SPACES.sub(" ", fold(name).replace("’", "'")).strip(" .,;:-")


def _keys(name: str, aliases: list[str], extra: tuple[str, ...] = ()) -> set[str]:
    keys = {_clean(name), _clean(_PAREN.sub("", name))}
    for inside in _PAREN.findall(name):
        for part in re.split(r"[,/;]| ou | or ", inside):
            keys.add(_clean(part))
    keys.update(_clean(a) for a in (*aliases, *extra))
    return {k for k in keys if len(k) >= 3 and k not in _GENERIC}


class RecordIndex:
    def __init__(self, names: dict[str, list[RecordRef]],
                 display: dict[RecordRef, str] | None = None) -> None:
        self._names = names
        self.names = display or {}  # a record's display name (to restate a follow-up)
        ordered = sorted(names, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w])(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])"
        ) if ordered else None

    @classmethod
    def build(cls, *, aids: Mapping[str, AidScheme], partners: Mapping[str, Partner],
              ccis: Mapping[str, Cci]) -> RecordIndex:
        names: dict[str, list[RecordRef]] = {}
        display = {RecordRef("aid", a.id): a.name for a in aids.values()}
        display |= {RecordRef("partner", p.id): p.name for p in partners.values()}
        display |= {RecordRef("cci", c.id): c.name.split(" (")[0] for c in ccis.values()}

        def add(ref: RecordRef, keys: set[str]) -> None:
            for key in keys:
                refs = names.setdefault(key, [])
                if ref not in refs:
                    refs.append(ref)

        for aid in aids.values():
            add(RecordRef("aid", aid.id), _keys(aid.name, aid.aliases, (aid.name_en,)))
        for partner in partners.values():
            add(RecordRef("partner", partner.id), _keys(partner.name, partner.aliases))
        for cci in ccis.values():
            add(RecordRef("cci", cci.id), _keys(cci.name, cci.aliases))
        # A name shared by several records names none of them.
        return cls({k: v for k, v in names.items() if len(v) == 1}, display)

    def find(self, text: str) -> list[RecordRef]:
        """The records named in ``text``, in order of appearance, each once."""
        if self._pattern is None:
            return []
        found: list[RecordRef] = []
        for match in self._pattern.finditer(_clean(text)):
            for ref in self._names[match.group(1)]:
                if ref not in found:
                    found.append(ref)
        return found
