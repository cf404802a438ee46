"""Rendering of finder results and reasons from the catalogs (no sentence in code)."""

from __future__ import annotations

from bot.i18n import Catalog
from knowledge.catalog import Profile, Reason
from knowledge.catalog.geo import HDF_DEPARTMENTS

__all__ = ["profile_summary", "reason_text"]


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
    if profile.sector:
        parts.append(t("finder_summary_sector", lang,
                       value=catalog.label("sector_label", profile.sector, lang)))
    if profile.project_types:
        labels = ", ".join(catalog.label("project_label", p, lang) for p in profile.project_types)
        parts.append(t("finder_summary_projects", lang, value=labels))
    return ", ".join(parts) or t("finder_unknown", lang)
