"""Profile extraction from a sentence, by rules over our own vocabulary and the communes table.

"PME de 40 salariés à Roubaix qui veut relocaliser la fabrication de parasols" ->
``Profile(department="59", city="Roubaix", size="PME", headcount=40,
project_types=["relocalisation"], sector="mobilier")``. What is not said stays unknown.

Usage::

    extractor = ProfileExtractor.load()
    profile = extractor.extract("SME with 40 employees in Lille that wants to hire 25 people")
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from knowledge.catalog.geo import Geo
from knowledge.catalog.profile import Profile, size_from_headcount
from knowledge.lexical import fold
from knowledge.models import ProjectType, Size
from knowledge.yamlfile import load_yaml

__all__ = ["ProfileExtractor"]

VOCAB_FILE = Path(__file__).resolve().parents[1] / "data" / "profile_vocabulary.yaml"
_NUMBER = r"(\d{1,3}(?:[ \u202f.,]\d{3})+(?![\d])|\d+(?:[.,]\d+)?)"
_GROUPED = re.compile(r"\d{1,3}(?:[ \u202f.,]\d{3})+")
_POSTAL = re.compile(r"\b(\d{5})\b")
# "une vingtaine d'emplois", "a dozen people": the round number they stand for
_ROUGHLY = {"dizaine": "10", "douzaine": "12", "quinzaine": "15", "vingtaine": "20",
            "trentaine": "30", "quarantaine": "40", "cinquantaine": "50", "soixantaine": "60",
            "centaine": "100", "dozen": "12"}
_ROUGH = re.compile(r"\b(?:une|a) (" + "|".join(_ROUGHLY) + r")(?: d'| de | of )?")
_HYPHENATED = re.compile(r"\b(\d+)-(person|people|employee|employees|staff|strong|man|salaries)\b")
_DEPT_NUMBER = re.compile(r"\b(?:departement|dept|dep|department)\s*(?:du\s+|de\s+l'|n°\s*)?"
                          r"(\d{2})\b|\((\d{2})\)|\b(?:dans le|in the) (\d{2})\b|\ben (\d{2})\b")
_MONEY = re.compile(_NUMBER + r"\s*(k€|k ?eur\b|keur\b|m€|m ?eur\b|meur\b|millions? d'euros|"
                    r"millions? (?:d')?eur(?:os)?|million euros|million eur\b|millions?\b|"
                    r"mds?\b|milliards?|€|euros?\b|eur\b)")


def _alternation(words: list[str]) -> re.Pattern[str]:
    ordered = sorted({fold(w) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ordered) + r")(?![\w-])")


def _number(raw: str) -> float:
    """``"2 500"``, ``"2.500"``, ``"800,000"`` -> thousands; ``"2,5"``, ``"1.5"`` -> decimals."""
    raw = raw.strip()
    if _GROUPED.fullmatch(raw):
        return float(re.sub(r"[ \u202f.,]", "", raw))
    return float(raw.replace(",", "."))


def _to_int(raw: str) -> int:
    return int(_number(raw))


def _money(value: str, unit: str) -> int:
    amount = _number(value)
    unit = unit.strip()
    if unit.startswith("k"):
        amount *= 1_000
    elif unit.startswith(("m", "million")):
        amount *= 1_000_000
    elif unit.startswith(("md", "milliard")):
        amount *= 1_000_000_000
    return int(amount)


class ProfileExtractor:
    def __init__(self, vocab: dict[str, Any], geo: Geo) -> None:
        self.geo = geo
        self._sizes = {size: _alternation(words) for size, words in vocab["sizes"].items()}
        self._projects = {p: _alternation(words) for p, words in vocab["projects"].items()}
        self._sectors = {s: _alternation(words) for s, words in vocab["sectors"].items()}
        self._departments = {d: _alternation(words) for d, words in vocab["departments"].items()}
        heads = "|".join(re.escape(fold(w)) for w in vocab["headcount_words"])
        self._headcount = re.compile(_NUMBER + r"\s*(?:" + heads + r")\b")
        verbs = "|".join(re.escape(fold(w)) for w in vocab["jobs_words"])
        self._jobs = re.compile(r"\b(?:" + verbs + r")\s+(?:que |seulement |only |just )?"
                                r"(?:environ |about |around |au moins |over |"
                                r"at least |plus de |more than )?" + _NUMBER +
                                r"\s*(?:nouveaux |new )?(?:emplois|postes|personnes|salaries|"
                                r"jobs|people|employees|positions|etp)?")
        self._jobs_after = re.compile(r"(?:(?:avec|with) )?" + _NUMBER +
                                      r"\s*(?:creations? d'emplois|emplois crees|embauches|"
                                      r"recrutements|hires\b|new hires|"
                                      r"nouveaux emplois|new jobs|jobs created|jobs\b|"
                                      r"emplois a la cle)")
        # "on est 12", "et si on était 300 ?", "we are 40": people, when no unit follows
        self._we_are = re.compile(r"\b(?:on (?:est|etait|serait|sera)|nous sommes|nous etions|"
                                  r"we are|we're|we were|if we were|if we had been) "
                                  r"(?:a |que |about |around |environ |only |seulement )?"
                                  + _NUMBER + r"(?!\s*(?:%|€|\w))")
        # "une usine avec 60 emplois": jobs it brings, not the company's headcount
        self._jobs_with = re.compile(r"\b(?:avec|with) " + _NUMBER + r"\s*(?:emplois|jobs)\b")

    @classmethod
    def load(cls) -> ProfileExtractor:
        return _cached()

    def extract(self, text: str) -> Profile:
        folded = _HYPHENATED.sub(r"\1 \2", fold(text))  # "a 12-person workshop"
        folded = _ROUGH.sub(lambda m: f"{_ROUGHLY[m.group(1)]} ", folded)
        profile = Profile()
        self._place(text, folded, profile)
        explicit = self._size_word(folded)
        headcount_match = self._headcount.search(folded)
        jobs = self._jobs.search(folded) or self._jobs_with.search(folded) \
            or self._jobs_after.search(folded)
        if jobs:
            profile.jobs = _to_int(jobs.group(1))
        if headcount_match and not (jobs and jobs.start(1) == headcount_match.start(1)):
            profile.headcount = _to_int(headcount_match.group(1))
        elif (we_are := self._we_are.search(folded)) is not None:
            profile.headcount = _to_int(we_are.group(1))
        if explicit:
            profile.size = explicit
        elif profile.headcount is not None:
            profile.size = size_from_headcount(profile.headcount)
        money = _MONEY.search(folded)
        if money:
            profile.investment_eur = _money(money.group(1), money.group(2))
        profile.project_types = [cast(ProjectType, p) for p, pattern in self._projects.items()
                                 if pattern.search(folded)]
        if profile.jobs and "recrutement" not in profile.project_types:
            profile.project_types.append("recrutement")
        profile.sector = next((s for s, pattern in self._sectors.items()
                               if pattern.search(folded)), None)
        return profile

    def _size_word(self, folded: str) -> Size | None:
        for size, pattern in self._sizes.items():
            if pattern.search(folded):
                return cast(Size, size)
        return None

    def _place(self, text: str, folded: str, profile: Profile) -> None:
        for match in _POSTAL.finditer(text):
            code = match.group(1)
            communes = self.geo.by_postal_code(code)
            profile.postal_code = code
            profile.department = communes[0].department if communes else code[:2]
            if len(communes) == 1:
                profile.city = communes[0].name
            return
        commune = self.geo.find_in_text(text)
        named = [m.group(0) for m in (p.search(folded) for p in self._departments.values()) if m]
        if commune is not None and any(fold(commune.name) in phrase for phrase in named):
            # "pas de calais" names the département, not the town of Calais: another town?
            rest = folded
            for phrase in named:
                rest = rest.replace(phrase, " ")
            commune = self.geo.find_in_text(rest)
        if commune is not None:
            profile.city, profile.department = commune.name, commune.department
            return
        number = _DEPT_NUMBER.search(folded)
        if number:
            profile.department = next(g for g in number.groups() if g)
            return
        for department, pattern in self._departments.items():
            if pattern.search(folded):
                profile.department = department
                return


@lru_cache(maxsize=1)
def _cached() -> ProfileExtractor:
    with VOCAB_FILE.open(encoding="utf-8") as fh:
        vocab = load_yaml(fh)
    return ProfileExtractor(vocab, Geo.load())
