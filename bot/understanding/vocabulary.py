"""The exact-rule part of understanding: phrase lists from ``vocabulary.yaml``, matched as whole
words on folded text.

Usage::

    vocab = Vocabulary.load()
    vocab.has("advisor", "je voudrais parler a un conseiller")   # True
    vocab.attribute("quel est le montant du pni ?")             # "amount"
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.lexical import fold
from knowledge.yamlfile import load_yaml

__all__ = ["VOCABULARY_FILE", "Vocabulary", "clean", "is_question", "words"]

VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.yaml"
_PUNCT = re.compile(r"[^\w'’°#&@.+-]+")
_WORD = re.compile(r"[\w'@.+-]+")
_QUESTION_START = re.compile(
    r"^(?:qui|que|quoi|quel|quelle|quels|quelles|comment|pourquoi|combien|ou|quand|est-ce|"
    r"c koi|c quoi|ckoi|c'est koi|kesako|whats|what's|"
    r"c'est quoi|qu'est-ce|qu'est ce|y a-t-il|peut-on|puis-je|pouvez-vous|peux-tu|existe-t-il|"
    r"what|who|how|why|which|where|when|is|are|can|could|do|does|should)\b")


# "qui peut garantir une partie du prêt ?", "a guarantee on my bank loan", "loan guarantee":
# the loan is what is to be guaranteed, not a second form of aid asked for ("un prêt garanti"
# is a loan: the loan comes first there)
_LOAN_GUARANTEED = re.compile(
    r"\b(?:garant\w*|guarantee\w*)\b(?:\W+\w+){0,6}?\W+(?:pret|prets|emprunt|loan|loans)\b"
    r"|\b(?:loan|loans) guarantees?\b")

_FUNCTION_WORDS = frozenset(
    "le la les l' lui leur leurs il elle ils elles on je j' nous vous ca cela c' c'est ce "
    "est-ce que qu' qui quoi quel quelle quels quelles comment combien ou quand y a faut "
    "il-faut faire fait peut on-peut est sont et alors du de des d' un une pour "
    "it its they them their this that i we you do does can could how much many what which "
    "who when where is are the a an to for of about so then".split())


def clean(text: str) -> str:
    """Folded text with punctuation turned into single spaces (apostrophes kept)."""
    folded = fold(text).replace("’", "'")
    return " ".join(_PUNCT.sub(" ", folded).split()).strip(" .-")


def words(text: str) -> list[str]:
    return _WORD.findall(clean(text))


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    ordered = sorted({clean(p) for p in phrases if clean(p)}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in ordered) + r")(?:s|x)?(?!\w)")


class Vocabulary:
    def __init__(self, data: dict[str, Any]) -> None:
        self._sets = {k: {clean(p) for p in v} for k, v in data.items() if isinstance(v, list)}
        self._patterns = {k: _pattern(v) for k, v in data.items() if isinstance(v, list)}
        self._attributes: dict[str, re.Pattern[str]] = {
            str(k): _pattern(v) for k, v in data["attributes"].items()}
        self._ordinals = {int(k): _pattern(v) for k, v in data["ordinals"].items()}
        self._forms = {str(k): _pattern(v) for k, v in data["aid_forms"].items()}
        spelling = {clean(str(k)): str(v) for k, v in data.get("spelling", {}).items()}
        self._spelling = spelling
        self._spelling_pattern = re.compile(
            r"(?<![\w'])(" + "|".join(re.escape(k) for k in sorted(spelling, key=len,
                                                                   reverse=True))
            + r")(?![\w'])", re.IGNORECASE) if spelling else None
        self._funders = {str(k): _pattern(v) for k, v in data["funders"].items()}

    @classmethod
    def load(cls, path: Path = VOCABULARY_FILE) -> Vocabulary:
        return _load(path)

    def normalise(self, text: str) -> str:
        """Chat spelling in plain words ("c koi une ETI" -> "c'est quoi une ETI"); the rest of
        the message, capitals and accents included, is kept as typed."""
        if self._spelling_pattern is None:
            return text
        return self._spelling_pattern.sub(
            lambda m: self._spelling.get(clean(m.group(1)), m.group(1)), text)

    def has(self, group: str, text: str) -> bool:
        """A phrase of ``group`` occurs in ``text`` (whole words)."""
        return self._patterns[group].search(clean(text)) is not None

    def without_attribute(self, text: str) -> list[str]:
        """The words of ``text`` that are neither an attribute phrase nor a function word:
        none in "qui le finance ?", "how do I apply?" (they ask about something unnamed)."""
        rest = clean(text)
        for pattern in self._attributes.values():
            rest = pattern.sub(" ", rest)
        return [w for w in _WORD.findall(rest) if w not in _FUNCTION_WORDS]

    def after(self, group: str, text: str) -> str:
        """The cleaned text after the first phrase of ``group`` ("" when none occurs)."""
        cleaned = clean(text)
        match = self._patterns[group].search(cleaned)
        return cleaned[match.end():].strip() if match else ""

    def is_only(self, group: str, text: str) -> bool:
        """``text`` is exactly one phrase of ``group`` (small talk, typed button answers)."""
        return clean(text) in self._sets[group]

    def made_of(self, groups: tuple[str, ...], text: str) -> bool:
        """``text`` is made only of phrases of ``groups`` ("bonjour merci", "hello hi")."""
        rest = clean(text)
        if not any(self._patterns[g].search(rest) for g in groups):
            return False
        for group in groups:
            rest = self._patterns[group].sub(" ", rest)
        rest = re.sub(r"\b(?:relocbot|bot|a vous|a toi|to you|you|vous|toi|tous|all|"
                      r"encore|again|beaucoup|bcp|much|very|so|a lot|lots|bien|well|et|and|"
                      r"!)\b", " ", rest)
        return bool(clean(text)) and not rest.strip(" .!?,")

    def strip_leading(self, group: str, text: str) -> str:
        """``text`` without the phrases of ``group`` that open it ("Bonjour, quelles aides"),
        in its original spelling (place names keep their capitals)."""
        cleaned = clean(text)
        while True:
            match = self._patterns[group].match(cleaned)
            if match is None:
                break
            cleaned = cleaned[match.end():].strip(" ,.!-")
            cleaned = re.sub(r"^(?:relocbot|bot)\b", "", cleaned).strip(" ,.!-")
        tokens = text.split()
        for start in range(len(tokens) + 1):
            rest = " ".join(tokens[start:])
            if clean(rest) == cleaned:
                return rest
        return cleaned

    def starts_with(self, group: str, text: str) -> bool:
        return self._patterns[group].match(clean(text)) is not None

    def attribute(self, text: str) -> str | None:
        """Which attribute of a record is asked for, in the catalog's order of precedence; a
        phrase inside a longer phrase of another attribute does not count ("who can I call"
        is the contact, though "who can" alone asks who is eligible)."""
        cleaned = clean(text)
        spans = [(m.start(), m.end(), name) for name, pattern in self._attributes.items()
                 for m in pattern.finditer(cleaned)]

        def inside(start: int, end: int, name: str) -> bool:
            return any(other != name and s <= start and end <= e and e - s > end - start
                       for s, e, other in spans)

        counted = {name for start, end, name in spans if not inside(start, end, name)}
        return next((name for name in self._attributes if name in counted), None)

    def asks(self, attribute: str, text: str) -> bool:
        """``text`` asks for ``attribute`` ("c'est quoi" -> ``summary``)."""
        return self._attributes[attribute].search(clean(text)) is not None

    def aid_preferences(self, text: str) -> tuple[list[str], list[str]]:
        """The aid forms and the funders a request names (``["credit-impot"], ["ademe"]``)."""
        cleaned = clean(text)
        forms = [k for k, p in self._forms.items() if p.search(cleaned)]
        if "garantie" in forms and _LOAN_GUARANTEED.search(cleaned):
            forms = [f for f in forms if f != "pret"]
        return forms, [k for k, p in self._funders.items() if p.search(cleaned)]

    def only_pointing(self, text: str) -> bool:
        """Nothing but a pointer at a result ("et le deuxième ?", "what about the last one")."""
        rest = clean(text)
        for index in self._ordinals:
            rest = self._ordinals[index].sub(" ", rest)
        rest = self._patterns["continuation"].sub(" ", rest)
        rest = re.sub(r"\b(?:one|alors|donc|svp|please|about|what|et|and|le|la|the|ok)\b",
                      " ", rest)
        return not rest.strip(" ?!.")

    def ordinal(self, text: str) -> int | None:
        cleaned = clean(text)
        for index, pattern in self._ordinals.items():
            if pattern.search(cleaned):
                return index
        return None


def is_question(text: str) -> bool:
    """A question by its form: a question mark, or a question word opening it."""
    stripped = text.strip()
    return stripped.endswith("?") or _QUESTION_START.match(clean(stripped)) is not None


@lru_cache(maxsize=2)
def _load(path: Path) -> Vocabulary:
    with path.open(encoding="utf-8") as fh:
        return Vocabulary(load_yaml(fh))
