"""Deterministic, explainable matching of a profile to aid schemes.

Hard filters: status (closed, or deadline passed), territory, beneficiary size.
Soft scoring: project-type overlap, thresholds the company may or may not meet, and how
specifically a scheme targets the profile (a narrow list of sizes, a small territory, a purpose
that is mostly the company's project), minus generic financing tools (guarantee, equity fund,
savings-book loan) when a concrete project is named and minus schemes whose status is unsure.
Ties are broken by specificity, then status firmness, then name (``rank_key``).
Every rule leaves a ``Reason`` (rendered in the user's language by ``bot.finder``).

Usage::

    matches = match_aids(Profile(department="62", size="PME", project_types=["relocalisation"]),
                         aids, today=dt.date.today())
    matches[0].aid.name, matches[0].reasons, matches[0].warnings
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.catalog.profile import Profile
from knowledge.models import AidScheme

__all__ = [
    "DEADLINE_SOON_DAYS", "AidMatch", "Reason", "falls_short", "firmness", "generic_financing",
    "match_aids", "quantize", "rank_key", "required_jobs", "size_targeting", "territory_weight",
]

DEADLINE_SOON_DAYS = 60

SIZE_TARGETED = {1: 1.5, 2: 0.75}     # by len(aid.sizes); 3-4 sizes: 0
TERRITORY = {"departments": 2.5, "region": 1.5, "regional": 0.5, "national": 0.5,
             "european": 0.25}        # scope covering the company's département, or level
PROJECT_FOCUS = 1.5                   # x (profile's project types it funds / all it funds)
GENERIC_FINANCING = -1.0              # guarantee-only, equity-only, savings-book loan
FINANCING_NEEDS = frozenset({"tresorerie", "reprise"})  # where such tools are the answer
STATUS_UNCERTAIN = -1.0               # on top of "to_confirm": the scheme may not be open


class Reason(NamedTuple):
    """A rule that fired: a catalog key (``reason.<code>``) and its parameters."""

    code: str
    params: Mapping[str, object] = {}

    @classmethod
    def of(cls, code: str, **params: object) -> Reason:
        return cls(code, params)

    def as_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.params.items()}


@dataclass(slots=True)
class AidMatch:
    aid: AidScheme
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)
    specificity: float = 0.0   # size + territory + project focus parts of the score
    firmness: int = 0          # 2 open/permanent, 1 same but flagged uncertain, 0 uncertain


def rank_key(m: AidMatch) -> tuple[float, float, int, str]:
    """Best first: score, then specificity, then status firmness, then name."""
    return (-m.score, -m.specificity, -m.firmness, m.aid.name)


def quantize(value: float) -> float:
    """Scores to the micro-point, so that float noise never decides an order (numpy: rint)."""
    return round(value * 1e6) / 1e6


def firmness(aid: AidScheme) -> int:
    if aid.status == "uncertain":
        return 0
    return 1 if aid.uncertain else 2


def size_targeting(aid: AidScheme) -> float:
    return SIZE_TARGETED.get(len(aid.sizes), 0.0)


def _scope(aid: AidScheme) -> str:
    if not aid.departments:
        return aid.level
    return "region" if set(HDF_DEPARTMENTS) <= set(aid.departments) else "departments"


def territory_weight(aid: AidScheme, *, department_known: bool) -> float:
    """Departmental > regional > national > european; a list of départements counts only once
    the company's département is known (it is then inside, or the scheme is excluded)."""
    if aid.departments and not department_known:
        return 0.0
    return TERRITORY[_scope(aid)]


def generic_financing(aid: AidScheme) -> bool:
    """A guarantee or an equity fund alone, or a loan funded by a savings book."""
    forms = set(aid.aid_forms)
    savings_book = forms == {"pret"} and "livret" in aid.name.lower()
    return forms in ({"garantie"}, {"fonds-propres"}) or savings_book


def required_jobs(aid: AidScheme, size: str | None) -> int | None:
    if size and size in aid.min_jobs:
        return aid.min_jobs[size]  # type: ignore[index,unused-ignore]
    return aid.min_jobs.get("any")


def _excluded(aid: AidScheme, profile: Profile, today: dt.date) -> bool:
    if aid.is_closed(today):
        return True
    dept = profile.department
    if dept and aid.departments and dept not in aid.departments:
        return True
    return bool(profile.size and profile.size not in aid.sizes)


def falls_short(aid: AidScheme, profile: Profile) -> bool:
    """Whether what the company said rules the scheme out: another territory or size, fewer
    jobs or a smaller investment than it requires (an unknown value rules out nothing; whether
    the scheme is still open is not about the company)."""
    dept = profile.department
    if (dept and aid.departments and dept not in aid.departments) \
            or (profile.size and profile.size not in aid.sizes):
        return True
    jobs = required_jobs(aid, profile.size)
    if jobs is not None and profile.jobs is not None and profile.jobs < jobs:
        return True
    minimum = aid.min_investment_eur
    return minimum is not None and profile.investment_eur is not None \
        and profile.investment_eur < minimum


def _size(aid: AidScheme, size: str, m: AidMatch) -> None:
    m.reasons.append(Reason.of("size_ok", size=size))
    m.score += 1.0
    bonus = size_targeting(aid)
    if bonus:
        m.reasons.append(Reason.of("size_targeted", sizes=", ".join(aid.sizes)))
        m.score += bonus
        m.specificity += bonus


def _territory(aid: AidScheme, profile: Profile, m: AidMatch) -> None:
    weight = territory_weight(aid, department_known=bool(profile.department))
    if aid.departments and not profile.department:
        m.warnings.append(Reason.of("territory_check", departments=", ".join(aid.departments)))
    elif aid.departments:
        m.reasons.append(Reason.of("territory_" + _scope(aid),
                                   departments=", ".join(aid.departments)))
    else:
        m.reasons.append(Reason.of("territory_" + aid.level))
    m.score += weight
    m.specificity += weight


def _projects(aid: AidScheme, profile: Profile, m: AidMatch) -> None:
    overlap = [p for p in profile.project_types if p in aid.project_types]
    if overlap:
        m.reasons.append(Reason.of("projects_ok", projects=",".join(overlap)))
        m.score += 2.0 + len(overlap)
        focus = PROJECT_FOCUS * len(overlap) / len(aid.project_types)
        m.reasons.append(Reason.of("projects_focus", matched=len(overlap),
                                   total=len(aid.project_types)))
        m.score += focus
        m.specificity += focus
    elif profile.project_types:
        m.score -= 3.0
    concrete = [p for p in profile.project_types if p not in FINANCING_NEEDS]
    if concrete and generic_financing(aid):
        m.warnings.append(Reason.of("generic_financing", projects=",".join(concrete)))
        m.score += GENERIC_FINANCING


def _thresholds(aid: AidScheme, profile: Profile, m: AidMatch) -> None:
    jobs = required_jobs(aid, profile.size)
    if jobs is not None:
        if profile.jobs is not None and profile.jobs >= jobs:
            m.reasons.append(Reason.of("jobs_ok", jobs=profile.jobs, required=jobs))
            m.score += 1.0
        else:
            m.warnings.append(Reason.of("jobs_required", required=jobs))
            m.score -= 2.0 if profile.jobs is not None else 0.5
    minimum = aid.min_investment_eur
    if minimum is not None:
        if profile.investment_eur is not None and profile.investment_eur >= minimum:
            m.reasons.append(Reason.of("investment_ok", required=f"{minimum:,}".replace(",", " ")))
            m.score += 1.0
        else:
            m.warnings.append(Reason.of("investment_required",
                                        required=f"{minimum:,}".replace(",", " ")))
            m.score -= 2.0 if profile.investment_eur is not None else 0.5


def _status(aid: AidScheme, today: dt.date, m: AidMatch) -> None:
    if aid.deadline is not None:
        days = (aid.deadline - today).days
        if 0 <= days <= DEADLINE_SOON_DAYS:
            m.warnings.append(Reason.of("deadline_soon", days=days,
                                        date=aid.deadline.isoformat()))
    if aid.apply_before_start:
        m.warnings.append(Reason.of("apply_before_start"))
    if aid.status == "uncertain" or aid.uncertain:
        m.warnings.append(Reason.of("to_confirm"))
        m.score -= 0.5
    if aid.status == "uncertain":
        m.warnings.append(Reason.of("status_uncertain", date=aid.last_verified.isoformat()))
        m.score += STATUS_UNCERTAIN


def match_aid(aid: AidScheme, profile: Profile, today: dt.date) -> AidMatch | None:
    if _excluded(aid, profile, today):
        return None
    m = AidMatch(aid, firmness=firmness(aid))
    if profile.size:
        _size(aid, profile.size, m)
    _territory(aid, profile, m)
    _projects(aid, profile, m)
    if aid.level == "regional" and profile.department in HDF_DEPARTMENTS:
        m.score += 0.5
    _thresholds(aid, profile, m)
    _status(aid, today, m)
    m.score, m.specificity = quantize(m.score), quantize(m.specificity)
    return m


def match_aids(
    profile: Profile, aids: Iterable[AidScheme], *, today: dt.date, limit: int | None = None
) -> list[AidMatch]:
    """Eligible schemes, best first (``rank_key``); closed ones never appear.

    When the profile names project types, schemes that share none are shown only if no
    scheme does (so a rare project still gets the generic schemes).
    """
    eligible = [aid for aid in aids if not _excluded(aid, profile, today)]
    wanted = set(profile.project_types)
    relevant = [aid for aid in eligible if wanted & set(aid.project_types)] if wanted else []
    matches = [m for aid in relevant or eligible if (m := match_aid(aid, profile, today))]
    ranked = sorted(matches, key=rank_key)
    return ranked[:limit] if limit else ranked
