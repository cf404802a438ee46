"""What a lead notification adds to the answers: matched aid schemes and partners, and the
figures (jobs, investment) read from the project description."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from knowledge.base import KnowledgeBase
from knowledge.catalog import AidIndex, Profile, ProfileExtractor, match_partners

__all__ = ["LeadEnricher"]


class LeadEnricher:
    def __init__(self, kb: KnowledgeBase, *, index: AidIndex | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.kb = kb
        self.index = index or AidIndex(list(kb.aids.values()))
        self.extractor = ProfileExtractor.load()
        self.today = today

    def __call__(self, answers: dict[str, Any]) -> dict[str, Any]:
        text = " ".join(str(answers.get(k) or "") for k in ("product", "sector", "origin"))
        found = self.extractor.extract(text)
        profile = Profile(department=answers.get("department"), size=answers.get("size"),
                          headcount=answers.get("headcount"), city=answers.get("commune"),
                          postal_code=answers.get("postal_code"),
                          project_types=found.project_types or ["relocalisation"],
                          sector=found.sector, jobs=found.jobs,
                          investment_eur=found.investment_eur)
        aids = self.index.match(profile, today=self.today(), limit=3)
        partners = match_partners(text, profile, self.kb.partners.values(),
                                  geo=self.extractor.geo, limit=3)
        return {
            "aids": [{"id": m.aid.id, "name": m.aid.name, "url": m.aid.url or m.aid.sources[0]}
                     for m in aids],
            "partners": [{"id": m.partner.id, "name": m.partner.name,
                          "url": m.partner.url or m.partner.sources[0]} for m in partners],
            "figures": {k: v for k, v in (("jobs", found.jobs),
                                          ("investment_eur", found.investment_eur)) if v},
        }
