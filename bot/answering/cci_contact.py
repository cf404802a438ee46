"""How to reach a CCI: its head office, website, address and phone as read in public pages,
what is not known, the regional CCI's website when the local one has none, and where and when
the details were read. Every sentence comes from the catalogs, every value from the record.

Usage::

    sentences = contact_sentences(kb.ccis["cci-artois"], kb.ccis, catalog, "fr")
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import Catalog
from knowledge.models import Cci

__all__ = ["contact_sentences", "regional_cci"]

FIELDS = ("url", "address", "phone")  # the order they are given in


def regional_cci(network: Mapping[str, Cci]) -> Cci | None:
    return next((c for c in network.values() if c.level == "regional"), None)


def contact_sentences(cci: Cci, network: Mapping[str, Cci], catalog: Catalog,
                      lang: str) -> list[str]:
    """The head office and the verified ways to reach ``cci`` first; then the details not
    found, a caveat when the details come from dated articles, the regional CCI's website
    when ``cci`` has none, and the pages they were read on with the date."""
    t = catalog.t
    name = cci.name.split(" (")[0]
    office = cci.head_office_city or "—"
    values = {"url": cci.url, "address": cci.address, "phone": cci.phone}
    known = [t(f"cci_way_{f}", lang, value=values[f]) for f in FIELDS if values[f]]
    if known:
        out = [t("rec_cci_contact", lang, name=name, office=office,
                 ways=t("cci_ways_join", lang).join(known))]
        missing = [catalog.label("cci_field", f, lang) for f in FIELDS if not values[f]]
        if missing:
            out.append(t("cci_contact_missing", lang, what=", ".join(missing)))
        if cci.contact_uncertain:
            out.append(t("cci_contact_dated", lang))
    else:
        out = [t("rec_cci_no_contact", lang, name=name, office=office)]
    sources = list(cci.contact_sources)
    dates = [cci.contact_verified] if sources else []
    regional = regional_cci(network)
    if not cci.url and regional is not None and regional.id != cci.id and regional.url:
        out.append(t("cci_contact_network", lang, name=regional.name.split(" (")[0],
                     url=regional.url))
        sources += [s for s in regional.contact_sources[:1] if s not in sources]
        dates.append(regional.contact_verified)
    if sources:
        out.append(t("cci_contact_source", lang, date=max(dates).isoformat(),
                     sources=", ".join(sources)))
    return out
