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
_WORD = re.compile(r"[a-z0-9]+")
_PARTS = re.compile(r" et | and | / | — | - |: ")
STEM = 6        # words compared on their first letters (plural, -ation / -er)
LOOSE_MIN = 2   # distinctive name words a text must use to name a scheme loosely...
LOOSE_SHARE = 0.5  # ...and at least this share of them
_GENERIC_STEMS = frozenset({"entrep", "projet", "region", "france", "hauts", "industr",
                            "develo", "invest", "financ", "accomp", "nation", "regional",
                            "avec", "with", "pour", "from", "dans", "nouvea", "nouvel", "their"})
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
    name = fold(name).replace("’", "'").replace("(re)", "re")
    name = re.sub(r"[«»\"“”]", " ", name)
    return _SPACES.sub(" ", name).strip(" .,;:-")


def _parts(name: str, extra: tuple[str, ...] = ()) -> set[str]:
    """The parts of a compound name ("Prêt Vert (...) et nouveau Prêt Industrie Verte"):
    weaker keys, dropped when another record is named so in full."""
    keys = {_clean(part) for full in (name, *extra)
            for part in _PARTS.split(_PAREN.sub("", full))}
    return {k for k in keys if len(k) >= 3 and k not in _GENERIC}


def _keys(name: str, aliases: list[str], extra: tuple[str, ...] = ()) -> set[str]:
    return _strong_keys(name, aliases, extra) | _bracketed(name)


def _strong_keys(name: str, aliases: list[str], extra: tuple[str, ...] = ()) -> set[str]:
    """The name, without its brackets, and the record's own aliases."""
    keys = {_clean(name), _clean(_PAREN.sub("", name))}
    keys.update(_clean(a) for a in (*aliases, *extra))
    return {k for k in keys if len(k) >= 3 and k not in _GENERIC}


def _bracketed(name: str) -> set[str]:
    """What a name says in brackets ("(France Relance / Territoires d'industrie)"): a key of
    the record unless another record has it as its name or alias."""
    keys = {_clean(part) for inside in _PAREN.findall(name)
            for part in re.split(r"[,/;]| ou | or ", inside)}
    return {k for k in keys if len(k) >= 3 and k not in _GENERIC}


class RecordIndex:
    def __init__(self, names: dict[str, list[RecordRef]],
                 display: dict[RecordRef, str] | None = None) -> None:
        self._names = names
        self._words: dict[RecordRef, set[str]] = {}
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

        parts: dict[str, list[RecordRef]] = {}
        for aid in aids.values():
            ref = RecordRef("aid", aid.id)
            add(ref, _keys(aid.name, aid.aliases, (aid.name_en,)))
            for key in _parts(aid.name, (aid.name_en,)):
                parts.setdefault(key, []).append(ref)
        for partner in partners.values():
            add(RecordRef("partner", partner.id), _keys(partner.name, partner.aliases))
        for cci in ccis.values():
            add(RecordRef("cci", cci.id), _keys(cci.name, cci.aliases))
        for key, refs in parts.items():  # a full name or alias wins over a part
            if key not in names and len(set(refs)) == 1:
                names[key] = [refs[0]]
        strong: dict[str, list[RecordRef]] = {}
        for aid in aids.values():
            for key in _strong_keys(aid.name, aid.aliases, (aid.name_en,)):
                strong.setdefault(key, []).append(RecordRef("aid", aid.id))
        for key, refs in names.items():  # an alias beats another name's bracketed words
            owners = [r for r in refs if r in strong.get(key, [])]
            if len(refs) > 1 and len(owners) == 1:
                names[key] = owners
        for key, refs in names.items():  # the CCI's own record over its partner card
            chambers = [r for r in refs if r.kind == "cci"]
            if len(refs) > 1 and len(chambers) == 1 and all(
                    r.kind in ("cci", "partner") for r in refs):
                names[key] = chambers
        # A name shared by several records names none of them.
        index = cls({k: v for k, v in names.items() if len(v) == 1}, display)
        return index.with_loose_names(aids)

    def find(self, text: str) -> list[RecordRef]:
        """The records named in ``text``, in order of appearance, each once; failing an exact
        name, the one aid scheme whose distinctive name words the text uses ("l'appel à
        projets relocalisation de France Relance")."""
        found: list[RecordRef] = []
        if self._pattern is not None:
            for match in self._pattern.finditer(_clean(text)):
                for ref in self._names[match.group(1)]:
                    if ref not in found:
                        found.append(ref)
        if not found and self._words:
            found = self._loose(text)
        return found

    def _loose(self, text: str) -> list[RecordRef]:
        typed = {w[:STEM] for w in _WORD.findall(_clean(text))}
        scored = sorted(((len(words & typed), ref) for ref, words in self._words.items()
                         if len(words & typed) >= LOOSE_MIN
                         and len(words & typed) >= LOOSE_SHARE * len(words)),
                        key=lambda x: -x[0])
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return []  # nothing, or two schemes as likely: ask nothing, guess nothing
        return [scored[0][1]]

    def with_loose_names(self, aids: Mapping[str, AidScheme]) -> RecordIndex:
        """Index the distinctive words of aid scheme names (used by at most three names)."""
        bags = {RecordRef("aid", a.id): {w[:STEM] for name in (a.name, a.name_en)
                                         for w in _WORD.findall(_clean(name)) if len(w) > 3}
                for a in aids.values()}
        counts: dict[str, int] = {}
        for bag in bags.values():
            for w in bag:
                counts[w] = counts.get(w, 0) + 1
        self._words = {ref: {w for w in bag if counts[w] <= 3 and w not in _GENERIC_STEMS}
                       for ref, bag in bags.items()}
        return self
