"""Deterministic, explainable matching of a profile to aid schemes.

Hard filters: status (closed, or deadline passed), territory, beneficiary size.
Soft scoring: project-type overlap, thresholds the company may or may not meet, proximity.
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

__all__ = ["DEADLINE_SOON_DAYS", "AidMatch", "Reason", "match_aids", "required_jobs"]

DEADLINE_SOON_DAYS = 60


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


def _territory(aid: AidScheme, profile: Profile, m: AidMatch) -> None:
    if aid.departments:
        if profile.department:
            whole_region = set(HDF_DEPARTMENTS) <= set(aid.departments)
            m.reasons.append(Reason.of("territory_region" if whole_region else
                                       "territory_departments",
                                       departments=", ".join(aid.departments)))
            m.score += 1.0
        else:
            m.warnings.append(Reason.of("territory_check", departments=", ".join(aid.departments)))
    else:
        m.reasons.append(Reason.of("territory_" + aid.level))
        m.score += 0.5


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


def match_aid(aid: AidScheme, profile: Profile, today: dt.date) -> AidMatch | None:
    if _excluded(aid, profile, today):
        return None
    m = AidMatch(aid)
    if profile.size:
        m.reasons.append(Reason.of("size_ok", size=profile.size))
        m.score += 1.0
    _territory(aid, profile, m)
    overlap = [p for p in profile.project_types if p in aid.project_types]
    if overlap:
        m.reasons.append(Reason.of("projects_ok", projects=",".join(overlap)))
        m.score += 2.0 + len(overlap)
    elif profile.project_types:
        m.score -= 3.0
    if aid.level == "regional" and profile.department in HDF_DEPARTMENTS:
        m.score += 0.5
    _thresholds(aid, profile, m)
    _status(aid, today, m)
    return m


def match_aids(
    profile: Profile, aids: Iterable[AidScheme], *, today: dt.date, limit: int | None = None
) -> list[AidMatch]:
    """Eligible schemes, best first (ties broken by name); closed ones never appear.

    When the profile names project types, schemes that share none are shown only if no
    scheme does (so a rare project still gets the generic schemes).
    """
    eligible = [aid for aid in aids if not _excluded(aid, profile, today)]
    wanted = set(profile.project_types)
    relevant = [aid for aid in eligible if wanted & set(aid.project_types)] if wanted else []
    matches = [m for aid in relevant or eligible if (m := match_aid(aid, profile, today))]
    ranked = sorted(matches, key=lambda m: (-m.score, m.aid.name))
    return ranked[:limit] if limit else ranked
