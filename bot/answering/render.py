"""Render typed records (aid schemes, partners) as short lines, from their fields only."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Catalog
from knowledge.models import AidScheme, Partner

__all__ = ["aid_lines", "partner_lines", "shorten"]


def shorten(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def aid_lines(
    aid: AidScheme, *, lang: str, number: int, catalog: Catalog, today: dt.date
) -> list[str]:
    name = aid.name if lang == "fr" else f"{aid.name_en} ({aid.name})"
    summary = aid.summary_fr if lang == "fr" else aid.summary_en
    forms = ", ".join(catalog.label("aid_form", f, lang) for f in aid.aid_forms)
    lines = [f"{name} — {shorten(summary)} [{number}]"]
    lines.append(catalog.t("aid_funder", lang, value=aid.funder))
    if forms:
        lines.append(catalog.t("aid_forms", lang, value=forms))
    amounts = aid.amounts_en if lang == "en" and aid.amounts_en else aid.amounts
    lines.append(catalog.t("aid_amounts", lang, value=shorten(amounts, 240)))
    how = aid.how_to_apply_en if lang == "en" and aid.how_to_apply_en else aid.how_to_apply
    lines.append(catalog.t("aid_how", lang, value=shorten(how, 240)))
    if aid.is_closed(today):
        passed = aid.deadline if aid.deadline and aid.deadline < today else None
        since = aid.closed_since or passed
        suffix = catalog.t("aid_closed_since", lang, date=since.isoformat()) if since else ""
        lines.append(catalog.t("aid_closed", lang, since=suffix))
    else:
        lines.append(catalog.t("aid_status", lang, value=catalog.label("status", aid.status, lang)))
        if aid.apply_before_start:
            lines.append(catalog.t("aid_apply_before", lang))
        if aid.uncertain or aid.status == "uncertain":
            lines.append(catalog.t("aid_uncertain", lang))
    lines.append(catalog.t("aid_verified", lang, date=aid.last_verified.isoformat()))
    return lines


def partner_lines(partner: Partner, *, lang: str, number: int, catalog: Catalog) -> list[str]:
    description = partner.description_fr if lang == "fr" else partner.description_en
    kind = catalog.label("partner_kind_label", partner.kind, lang)
    lines = [f"{partner.name} — {shorten(description)} [{number}]"]
    lines.append(catalog.t("partner_kind", lang, value=kind))
    where = ", ".join(x for x in (partner.city, partner.department) if x)
    if where:
        lines.append(catalog.t("partner_location", lang, value=where))
    if partner.capabilities:
        lines.append(catalog.t("partner_capabilities", lang, value=", ".join(partner.capabilities)))
    if partner.caveat:
        lines.append(catalog.t("partner_caveat", lang, value=partner.caveat))
    elif partner.uncertain:
        lines.append(catalog.t("partner_uncertain", lang))
    return lines
