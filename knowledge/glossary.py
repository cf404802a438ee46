"""Acronyms people type (AAP, AMI, PGE, PNI, C3IV, IMPL, FEDER, FTJ, Rev3...) expanded for the
lexical search, read from the sourced glossary documents of the corpus
(``documents/glossaire-financement-entreprise*.md``: each ``## ACRONYM (expansion)`` section).

A question that says "PGE" then also matches passages that only write "prêt garanti par
l'État"; the dense embedding keeps the question as typed. Short acronyms match only in capitals
("AMI", not "ami").

Usage::

    glossary = Glossary.load()
    glossary.expand("Qui peut demander un PGE ?")
    # "Qui peut demander un PGE ? prêt garanti par l'État"
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import CORPUS_DIR

__all__ = ["GLOSSARY_FILES", "Glossary"]

GLOSSARY_FILES = ("glossaire-financement-entreprise.md", "glossaire-financement-entreprise-en.md")
_SECTION = re.compile(r"^## (?P<terms>[^(\n]+?) \((?P<expansion>[^)\n]+)\)\s*$", re.MULTILINE)
_ACRONYM = re.compile(r"^(?=.*[A-Z].*[A-Z0-9])[A-Za-z0-9'+]{2,8}$")


def _acronyms(terms: str) -> list[str]:
    """"BPI or Bpifrance", "ADGE ou AD'GE", "PME+ et PME2" -> the acronym-like words."""
    words = re.split(r"\s+(?:ou|or|et|and)\s+", terms.strip())
    return [w for w in words if (_ACRONYM.match(w) and not w.istitle()) or w in ("Rev3",)]


@functools.cache
def _pattern(acronym: str) -> re.Pattern[str]:
    flags = 0 if len(acronym) <= 4 else re.IGNORECASE
    return re.compile(rf"(?<![\w']){re.escape(acronym)}(?![\w'])", flags)


def _more_than(limit: int, pattern: re.Pattern[str], texts: list[str]) -> bool:
    """Whether more than ``limit`` of ``texts`` match (stops counting there: the synthetic
    bench corpora have 100,000 chunks)."""
    seen = 0
    for text in texts:
        if pattern.search(text):
            seen += 1
            if seen > limit:
                return True
    return False


@dataclass(frozen=True)
class Glossary:
    expansions: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, corpus_dir: Path = CORPUS_DIR) -> Glossary:
        expansions: dict[str, list[str]] = {}
        for name in GLOSSARY_FILES:
            path = corpus_dir / "documents" / name
            if not path.exists():
                continue
            for match in _SECTION.finditer(path.read_text(encoding="utf-8")):
                for acronym in _acronyms(match["terms"]):
                    found = expansions.setdefault(acronym, [])
                    if match["expansion"] not in found:
                        found.append(match["expansion"])
        return cls(expansions)

    def rare_in(self, texts: list[str], *, share: float = 0.05) -> Glossary:
        """Only the acronyms at most ``share`` of ``texts`` write: a common one ("PME", "CCI")
        already matches as typed, and its expansion would only add noise to the ranking."""
        limit = max(1, int(len(texts) * share))
        return Glossary({a: e for a, e in self.expansions.items()
                         if not _more_than(limit, _pattern(a), texts)})

    def expand(self, query: str) -> str:
        """``query`` followed by the expansions of the acronyms it contains (once each)."""
        extra: list[str] = []
        for acronym, texts in self.expansions.items():
            if _pattern(acronym).search(query):
                extra.extend(t for t in texts if t not in extra)
        return " ".join([query, *extra]) if extra else query
