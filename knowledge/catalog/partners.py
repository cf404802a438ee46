"""Partner matching: capabilities and sectors, the hybrid retriever for free-text needs, and
distance (nearest first when the company's place is known).

Usage::

    matches = match_partners("confection de chemises en lin", Profile(city="Roubaix"),
                             partners, geo=Geo.load(), ranked_ids=["resilience", ...])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from knowledge.catalog.communes import NEAR_ENOUGH
from knowledge.catalog.geo import Commune, Geo
from knowledge.catalog.matcher import Reason
from knowledge.catalog.profile import Profile
from knowledge.lexical import fold, tokenize
from knowledge.models import Partner
from knowledge.yamlfile import load_yaml

__all__ = ["RANK_WEIGHT", "PartnerMatch", "match_partners"]

SYNONYMS_FILE = Path(__file__).resolve().parents[1] / "data" / "partner_synonyms.yaml"
RANK_WEIGHT = 4.0  # the retriever's first partner (meaning, any language) weighs this
COVER_WEIGHT = 0.5  # each of its skills the need names, each word of the need they cover
PHRASE_WEIGHT = 1.0  # each skill of two words or more the need names whole


@dataclass(slots=True)
class PartnerMatch:
    partner: Partner
    score: float = 0.0
    distance_km: float | None = None
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, list[str]]:
    with SYNONYMS_FILE.open(encoding="utf-8") as fh:
        data: dict[str, list[str]] = load_yaml(fh)
    return {fold(k): v for k, v in data.items()}


# Words that ask rather than say what is needed: "qui peut nous aider à trouver un
# sous-traitant ?" must not match the public bodies' "aides à l'implantation" ("aider" and
# "aides" share a stem)
_REQUEST_WORDS = frozenset({"aider", "aidez", "aiderait", "aideront", "help", "helps",
                            "helping", "trouver", "find", "finding", "chercher", "cherche",
                            "cherchons", "looking", "search", "searching"})


def _with_synonyms(need: str) -> str:
    """The need with the catalogue's own words for what it says ("sew" -> "confection")."""
    said = [w for w in re.findall(r"[a-z0-9]+", fold(need)) if w not in _REQUEST_WORDS]
    folded = f" {' '.join(said)} "
    extra = [w for key, words in _synonyms().items() if f" {key} " in folded for w in words]
    for key in _synonyms():  # "market study" is "études de marché", not "marketing"
        if " " in key and f" {key} " in folded:
            folded = folded.replace(f" {key} ", " ")
    return " ".join([folded.strip(), *extra])


@lru_cache(maxsize=8192)  # the catalogue's skills and sectors, asked again on every search
def _stems(text: str) -> frozenset[str]:
    return frozenset(tokenize(text, "fr")) | frozenset(tokenize(text, "en"))


def _related(a: str, b: str) -> bool:
    """Same stem, or one a prefix of the other (Snowball leaves "confection"/"confect")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 5 and long_.startswith(short)


def _overlaps(text: str, wanted: frozenset[str] | set[str]) -> bool:
    return any(_related(s, w) for s in _stems(text) for w in wanted)


def _origin(profile: Profile, geo: Geo) -> Commune | None:
    """The company's commune, when its coordinates are near enough to measure distances."""
    found = None
    if profile.city:
        found = geo.locate(profile.city)
    elif profile.postal_code:
        communes = geo.by_postal_code(profile.postal_code)
        found = communes[0] if communes else None
    return found if found is not None and found.placed_by in NEAR_ENOUGH else None


def match_partners(
    need: str,
    profile: Profile,
    partners: Iterable[Partner],
    *,
    geo: Geo,
    ranked_ids: Sequence[str] = (),
    limit: int | None = None,
) -> list[PartnerMatch]:
    """Relevant partners, best first. ``ranked_ids`` is the retriever's ranking for ``need``."""
    wanted = _stems(_with_synonyms(need))
    rank = {pid: i for i, pid in enumerate(ranked_ids)}
    origin = _origin(profile, geo)
    out: list[PartnerMatch] = []
    for partner in partners:
        m = PartnerMatch(partner)
        skills = [c for c in partner.capabilities if _overlaps(c, wanted)]
        sectors = [s for s in partner.sectors if _overlaps(s, wanted)
                   or (profile.sector and _overlaps(s, {profile.sector}))]
        if skills:
            m.reasons.append(Reason.of("capabilities", values=", ".join(skills)))
            # "études de marché" covers both words of "étude de marché", "marchés publics" one
            covered = {w for w in wanted if any(_overlaps(c, {w}) for c in skills)}
            whole = [c for c in skills if len(_stems(c)) > 1  # a phrase, not one word
                     and all(_overlaps(s, wanted) for s in _stems(c))]
            m.score += 2.0 + COVER_WEIGHT * (len(skills) + len(covered)) \
                + PHRASE_WEIGHT * len(whole)
        if sectors:
            m.reasons.append(Reason.of("sectors", values=", ".join(sectors)))
            m.score += 1.0 + len(sectors)
        if partner.id in rank:
            m.score += RANK_WEIGHT / (1 + rank[partner.id])
        if m.score <= 0:
            continue
        if profile.department and partner.department == profile.department:
            m.reasons.append(Reason.of("same_department", department=profile.department))
            m.score += 1.0
        place = geo.locate(partner.city)
        if origin is not None and place is not None:
            m.distance_km = round(Geo.distance_km(origin, place))
            m.reasons.append(Reason.of("distance", km=m.distance_km, city=place.name)
                             if m.distance_km else Reason.of("same_town", city=place.name))
            m.score += 2.0 / (1 + m.distance_km / 25)
        if partner.caveat:
            m.warnings.append(Reason.of("caveat", text=partner.caveat))
        elif partner.uncertain:
            m.warnings.append(Reason.of("partner_to_confirm"))
        out.append(m)
    # Who can do what was asked comes first: a partner with the skill before one that only
    # shares the sector ("who can sew ponchos?": the sewing workshops before the sports brand).
    skilled = {id(m) for m in out if any(r.code == "capabilities" for r in m.reasons)}
    out.sort(key=lambda m: (id(m) not in skilled, -m.score,
                            m.distance_km if m.distance_km is not None else 1e9,
                            m.partner.name))
    return out[:limit] if limit else out
