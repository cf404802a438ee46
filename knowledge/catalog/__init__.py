"""Structured catalog: company profiles, deterministic aid matching, partner matching, geo."""

from __future__ import annotations

from knowledge.catalog.extract import ProfileExtractor
from knowledge.catalog.geo import Commune, Geo
from knowledge.catalog.index import AidIndex
from knowledge.catalog.matcher import AidMatch, Reason, match_aids
from knowledge.catalog.partners import PartnerMatch, match_partners
from knowledge.catalog.profile import Profile, size_from_headcount

__all__ = [
    "AidIndex",
    "AidMatch",
    "Commune",
    "Geo",
    "PartnerMatch",
    "Profile",
    "ProfileExtractor",
    "Reason",
    "match_aids",
    "match_partners",
    "size_from_headcount",
]
