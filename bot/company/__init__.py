"""The companies register (SIREN -> name, head office, headcount band, NAF, state), seen by the
core through the :class:`CompanyLookup` seam; :class:`HttpCompanyLookup` reads the State's API
Recherche d'entreprises.

Usage::

    lookup = build_company_lookup(settings)    # None when RELOCBOT_COMPANY_LOOKUP=off
    company = await lookup.lookup(siren="732829320") if lookup else None
"""

from __future__ import annotations

from bot.company.http import DEFAULT_URL, HttpCompanyLookup
from bot.company.model import Company, CompanyLookup, display_commune
from bot.settings import Settings

__all__ = ["DEFAULT_URL", "Company", "CompanyLookup", "HttpCompanyLookup", "build_company_lookup",
           "display_commune"]


def build_company_lookup(settings: Settings) -> CompanyLookup | None:
    """The HTTP client from the settings, or None when lookups are switched off."""
    return HttpCompanyLookup.from_settings(settings) if settings.company_lookup else None
