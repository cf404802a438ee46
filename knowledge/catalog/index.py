"""A column index of the aid schemes, to rank thousands of schemes in a few milliseconds.

It computes the same score and tie-breaks (specificity, firmness, name) as
``matcher.match_aid`` with numpy (a test checks they agree), then explains only the schemes it
returns. The per-scheme weights come from the matcher's own helpers, so only the
profile-dependent arithmetic is written twice, in the same order.

Usage::

    index = AidIndex(aids)                      # once
    matches = index.match(profile, today=dt.date.today(), limit=5)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import get_args

import numpy as np
import numpy.typing as npt

from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.catalog.matcher import (
    FINANCING_NEEDS,
    GENERIC_FINANCING,
    PROJECT_FOCUS,
    STATUS_UNCERTAIN,
    AidMatch,
    firmness,
    generic_financing,
    match_aid,
    required_jobs,
    size_targeting,
    territory_weight,
)
from knowledge.catalog.profile import Profile
from knowledge.models import AidScheme, ProjectType

__all__ = ["AidIndex"]

_SIZES = ("TPE", "PME", "ETI", "GE")
_PROJECTS = get_args(ProjectType)
_NEVER = dt.date.max.toordinal()
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


def _nan_if_none(value: int | None) -> float:
    return float("nan") if value is None else float(value)


def _quantize(values: Floats) -> Floats:
    """``matcher.quantize`` for arrays (round half to even, like Python's ``round``)."""
    out: Floats = np.rint(values * 1e6) / 1e6
    return out


def _threshold(values: Floats, known: int | None) -> Floats:
    """+1 when met, -2 when known and not met, -0.5 when unknown; 0 where no threshold."""
    has = ~np.isnan(values)
    if known is None:
        return np.where(has, -0.5, 0.0)
    return np.where(has, np.where(known >= np.nan_to_num(values), 1.0, -2.0), 0.0)


class AidIndex:
    def __init__(self, aids: Sequence[AidScheme]) -> None:
        self.aids = list(aids)
        n = len(self.aids)
        self._name_rank = np.argsort(np.argsort([a.name for a in self.aids], kind="stable"))
        self._closed = np.array([a.status == "closed" for a in self.aids], dtype=bool)
        # dates, not booleans: closing is decided at match time with the caller's ``today``
        self._deadline = np.array([a.deadline.toordinal() if a.deadline else _NEVER
                                   for a in self.aids], dtype=np.int64)
        self._closed_from = np.array([a.closed_since.toordinal() if a.closed_since else _NEVER
                                      for a in self.aids], dtype=np.int64)
        self._has_deps = np.array([bool(a.departments) for a in self.aids], dtype=bool)
        codes = sorted({d for a in self.aids for d in a.departments})
        self._deps = {d: np.array([d in a.departments for a in self.aids], dtype=bool)
                      for d in codes}
        self._sizes = {s: np.array([s in a.sizes for a in self.aids], dtype=bool)
                       for s in _SIZES}
        self._size_bonus = np.array([size_targeting(a) for a in self.aids])
        self._territory = {known: np.array([territory_weight(a, department_known=known)
                                            for a in self.aids]) for known in (False, True)}
        self._n_projects = np.array([max(len(a.project_types), 1) for a in self.aids],
                                    dtype=np.float64)
        self._generic = np.array([generic_financing(a) for a in self.aids], dtype=bool)
        self._firmness = np.array([firmness(a) for a in self.aids], dtype=np.int64)
        self._status_uncertain = np.array([a.status == "uncertain" for a in self.aids],
                                          dtype=bool)
        self._projects = np.zeros((n, len(_PROJECTS)), dtype=np.float64)
        for i, aid in enumerate(self.aids):
            for p in aid.project_types:
                self._projects[i, _PROJECTS.index(p)] = 1.0
        self._regional = np.array([a.level == "regional" for a in self.aids], dtype=bool)
        self._uncertain = np.array([a.status == "uncertain" or a.uncertain for a in self.aids],
                                   dtype=bool)
        self._min_jobs = {key: np.array([_nan_if_none(required_jobs(a, key or None))
                                         for a in self.aids]) for key in (*_SIZES, "")}
        self._min_inv = np.array([_nan_if_none(a.min_investment_eur) for a in self.aids])

    def _eligible(self, profile: Profile, today: dt.date) -> Bools:
        day = today.toordinal()
        ok: Bools = ~self._closed & (self._deadline >= day) & (self._closed_from > day)
        if profile.department:
            ok &= ~self._has_deps | self._deps.get(profile.department, np.zeros_like(ok))
        if profile.size:
            ok &= self._sizes[profile.size]
        return ok

    def scores(self, profile: Profile) -> tuple[Floats, Floats, Floats]:
        """(score, specificity, project overlap count) of every scheme, as ``match_aid``
        computes them (additions in the same order, so the floats are the same)."""
        n = len(self.aids)
        score: Floats = np.zeros(n)
        specificity: Floats = np.zeros(n)
        if profile.size:
            score += 1.0
            score += self._size_bonus
            specificity += self._size_bonus
        territory = self._territory[bool(profile.department)]
        score += territory
        specificity += territory
        wanted = np.zeros(len(_PROJECTS))
        for p in profile.project_types:
            wanted[_PROJECTS.index(p)] = 1.0
        overlap: Floats = self._projects @ wanted
        if profile.project_types:
            score += np.where(overlap > 0, 2.0 + overlap, -3.0)
            focus = np.where(overlap > 0, PROJECT_FOCUS * overlap / self._n_projects, 0.0)
            score += focus
            specificity += focus
        if any(p not in FINANCING_NEEDS for p in profile.project_types):
            score += np.where(self._generic, GENERIC_FINANCING, 0.0)
        if profile.department in HDF_DEPARTMENTS:
            score += np.where(self._regional, 0.5, 0.0)
        score += _threshold(self._min_jobs[profile.size or ""], profile.jobs)
        score += _threshold(self._min_inv, profile.investment_eur)
        score -= np.where(self._uncertain, 0.5, 0.0)
        score += np.where(self._status_uncertain, STATUS_UNCERTAIN, 0.0)
        return _quantize(score), _quantize(specificity), overlap

    def match(self, profile: Profile, *, today: dt.date, limit: int | None = None
              ) -> list[AidMatch]:
        eligible = self._eligible(profile, today)
        score, specificity, overlap = self.scores(profile)
        relevant = eligible & (overlap > 0) if profile.project_types else eligible
        pool = np.flatnonzero(relevant if relevant.any() else eligible)
        order = pool[np.lexsort((self._name_rank[pool], -self._firmness[pool],
                                 -specificity[pool], -score[pool]))]
        chosen = order[:limit] if limit else order
        return [m for i in chosen if (m := match_aid(self.aids[i], profile, today))]
