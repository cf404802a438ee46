"""Rendering of finder results and reasons from the catalogs (no sentence in code)."""

from __future__ import annotations

from bot.i18n import Catalog
from knowledge.catalog import Profile, Reason
from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.lexical import fold
from knowledge.models import AidScheme

__all__ = ["official_name", "profile_summary", "reason_text"]


def reason_text(reason: Reason, *, lang: str, catalog: Catalog) -> str:
    params = reason.as_dict()
    if "projects" in params:
        params["projects"] = ", ".join(
            catalog.label("project_label", p, lang) for p in params["projects"].split(","))
    return catalog.label("reason", reason.code, lang).format(**params)


def profile_summary(profile: Profile, *, lang: str, catalog: Catalog) -> str:
    t = catalog.t
    parts: list[str] = []
    if profile.city:
        parts.append(t("finder_summary_city", lang, value=profile.city))
    if profile.department in HDF_DEPARTMENTS:
        parts.append(t("finder_summary_department", lang, value=profile.department))
    elif profile.department:
        parts.append(t("finder_outside_region", lang))
    if profile.size:
        parts.append(profile.size)
    if profile.headcount is not None:
        parts.append(t("finder_summary_headcount", lang, value=profile.headcount))
    if profile.jobs is not None:
        parts.append(t("finder_summary_jobs", lang, value=profile.jobs))
    if profile.investment_eur is not None:
        amount = f"{profile.investment_eur:,}".replace(",", "\u202f" if lang == "fr" else ",")
        parts.append(t("finder_summary_investment", lang, value=amount))
    if profile.sector:
        parts.append(t("finder_summary_sector", lang,
                       value=catalog.label("sector_label", profile.sector, lang)))
    if profile.project_types:
        labels = ", ".join(catalog.label("project_label", p, lang) for p in profile.project_types)
        parts.append(t("finder_summary_projects", lang, value=labels))
    return ", ".join(parts) or t("finder_unknown", lang)


def official_name(aid: AidScheme, catalog: Catalog) -> str:
    """A scheme's English name with its official French one, which is what the funder's
    pages, advisors and forms use ("New Industry Loan (Bpifrance), in French “Prêt Nouvelle
    Industrie”"); the English name alone when it already holds it."""
    official = aid.name.split(" (")[0].split(" : ")[0].strip()
    if not official or fold(official) in fold(aid.name_en):
        return aid.name_en
    return catalog.t("aid_name_official", "en", name=aid.name_en, official=official)
