""""Est-ce bien ATELIERS DUPONT, Maubeuge, 20 à 49 salariés ?": a SIREN or SIRET typed in a
flow is looked up in the register and confirmed (buttons, or a typed yes / no) before what the
register says fills the flow's answers. Shared by the lead form and the aid finder.

A lookup that fails, hangs or is switched off is silent: the flow just goes on asking.

Usage::

    check = CompanyCheck(lookup=lookup, catalog=catalog, vocab=vocab, timeout=2.0)
    company = await check.offer("SIRET 732 829 320 00074")    # Company or None
    reply = check.question(company, "fr", prefix="lf")          # buttons lf:company:yes / no
    check.answer("oui")                                         # True (False: "non", None)
    profile = fill_profile(profile, company)                    # the finder's profile
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.company import Company, CompanyLookup, display_commune
from bot.company.model import siren_in
from bot.company.naf import division, finder_sector
from bot.i18n import Catalog
from bot.messages import Button, Reply
from bot.understanding import Vocabulary
from knowledge.catalog import Profile
from knowledge.catalog.geo import HDF_DEPARTMENTS

__all__ = ["CompanyCheck", "fill_profile", "in_region"]

log = logging.getLogger(__name__)
_MARGIN = 0.5   # seconds past the client's own timeout before the flow stops waiting


class CompanyCheck:
    def __init__(self, *, lookup: CompanyLookup | None, catalog: Catalog, vocab: Vocabulary,
                 timeout: float = 2.0) -> None:
        self.lookup = lookup
        self.catalog = catalog
        self.vocab = vocab
        self.timeout = timeout

    async def find(self, siren: str) -> Company | None:
        """The register's answer, or None when it does not know the SIREN, is off or fails."""
        if self.lookup is None:
            return None
        try:
            return await asyncio.wait_for(self.lookup.lookup(siren=siren),
                                          self.timeout + _MARGIN)
        except Exception as exc:  # a lookup never breaks a conversation
            log.warning("company lookup failed (%s)", type(exc).__name__)
            return None

    async def offer(self, text: str) -> Company | None:
        """The company of the SIREN or SIRET written in ``text``, if the register knows it."""
        siren = siren_in(text) if self.lookup is not None else None
        return await self.find(siren) if siren else None

    def answer(self, text: str) -> bool | None:
        """A typed answer to the question: yes ("oui, c'est nous"), no, or neither."""
        v, plain = self.vocab, "?" not in text
        if v.is_only("deny", text) or (plain and v.starts_with("deny", text)):
            return False
        if v.is_only("affirm", text) or (plain and v.starts_with("affirm", text)):
            return True
        return None

    def band(self, company: Company, lang: str) -> str | None:
        code = company.headcount_band
        return self.catalog.label("company_band", code, lang) if code else None

    def sector(self, company: Company, lang: str) -> str | None:
        """``"Fabrication de produits métalliques... (NAF 25.62A)"`` from the NAF code."""
        code, div = company.naf or company.naf25, division(company.naf, company.naf25)
        if not code or not div:
            return None
        label = self.catalog.label("naf_division", div, lang)
        return self.catalog.t("company_sector_value", lang,
                              label=label if label != div else code, naf=code)

    def question(self, company: Company, lang: str, *, prefix: str,
                 more: tuple[Button, ...] = ()) -> Reply:
        t = self.catalog.t
        parts = [company.name, display_commune(company.commune), self.band(company, lang)]
        if company.closed:
            parts.append(t("company_closed_hint", lang))
        details = ", ".join(p for p in parts if p)
        return Reply(blocks=(t("company_confirm", lang, details=details),), buttons=(
            Button(t("button_company_yes", lang), f"{prefix}:company:yes"),
            Button(t("button_company_no", lang), f"{prefix}:company:no"), *more))

    @staticmethod
    def pending(raw: object) -> Company | None:
        """A company kept in a flow's state (``Company.to_dict()``), or None."""
        return Company.from_dict(raw) if isinstance(raw, dict) else None


def in_region(company: Company) -> bool:
    """The head office is in Hauts-de-France (elsewhere, it says nothing of the project's
    place: the question is still asked)."""
    return company.department in HDF_DEPARTMENTS


def fill_profile(profile: Profile, company: Company) -> Profile:
    """The finder's profile completed by the register: what the person said stays; the place
    only when none was said and the head office is in the region."""
    place: dict[str, Any] = {}
    if in_region(company) and not (profile.department or profile.city or profile.postal_code):
        place = {"department": company.department, "postal_code": company.postal_code,
                 "city": display_commune(company.commune)}
    found = Profile(size=company.size, sector=finder_sector(company.naf, company.naf25),
                    **place)
    return profile.merged(found)
