"""What a request says about the aid wanted: its forms ("un crédit d'impôt", "une garantie")
and its funders ("l'ADEME", "la Région"), kept in the conversation state by the aid finder
(``aid_prefs``) and applied to its list.

Usage::

    prefs = AidPreferences.load(ctx.state.data)
    matches = prefs.ranked(matches, wider=lambda: index.match(any_project, today=today),
                           catalog=catalog, lang="fr")
    note = prefs.closed_note(aids, profile, listed, today=today, catalog=catalog, lang="fr")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.flows.render import official_name
from bot.i18n import Catalog
from bot.messages import Citation, Reply
from knowledge.catalog import AidMatch, Profile, Reason
from knowledge.catalog.freshness import closed_on
from knowledge.catalog.matcher import falls_short
from knowledge.lexical import fold
from knowledge.models import AidScheme

__all__ = ["AidPreferences"]

NOT_A_KIND = frozenset({"accompagnement", "diagnostic"})  # said of everything: not asked for


@dataclass(frozen=True, slots=True)
class AidPreferences:
    forms: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> AidPreferences:
        prefs = (data or {}).get("aid_prefs") or {}
        return cls(tuple(prefs.get("forms", [])), tuple(prefs.get("funders", [])))

    def funded_as_asked(self, aid: AidScheme) -> bool:
        """The scheme has a funder the request named ("la Région peut-elle financer... ?"),
        or none was named."""
        return not self.funders or any(f in fold(aid.funder) or f in fold(aid.name)
                                       for f in self.funders)

    def ranked(self, matches: list[AidMatch], *, wider: Callable[[], list[AidMatch]],
               catalog: Catalog, lang: str) -> list[AidMatch]:
        """The schemes of the kind or funder the request named first, each saying so, even
        when they fund another kind of project (``wider``: the matches for any project); the
        ranking is otherwise kept."""
        forms, funders = set(self.forms), self.funders
        if not forms and not funders:
            return matches
        shown = {m.aid.id for m in matches}   # a tax credit for another project is still one
        matches = matches + [m for m in wider() if m.aid.id not in shown and (
            set(m.aid.aid_forms) & forms or any(f in fold(m.aid.funder) for f in funders))]

        def wanted(m: AidMatch) -> int:
            hit = 0
            shared = [f for f in m.aid.aid_forms if f in forms]
            if shared:
                labels = ", ".join(catalog.label("aid_form", f, lang) for f in shared)
                m.reasons.insert(0, Reason.of("form_wanted", forms=labels))
                hit += 2
            if any(f in fold(m.aid.funder) or f in fold(m.aid.name) for f in funders):
                m.reasons.insert(0, Reason.of("funder_wanted", funder=m.aid.funder))
                hit += 1
            return hit

        ranked = [(wanted(m), i, m) for i, m in enumerate(matches)]
        return [m for _, _, m in sorted(ranked, key=lambda x: (-x[0], x[1]))]

    def closed_note(self, aids: Mapping[str, AidScheme], profile: Profile, listed: set[str],
                    *, today: dt.date, catalog: Catalog, lang: str) -> Reply | None:
        """The kind of aid asked for ("un crédit d'impôt") has no open scheme in the list but
        a closed one: that is said first, with its closing date, instead of silently
        listing other kinds."""
        forms = set(self.forms) - NOT_A_KIND
        if not forms or any(forms & set(aids[i].aid_forms) for i in listed if i in aids):
            return None
        said = profile.model_copy(update={"jobs": None, "investment_eur": None})
        closed = [a for a in aids.values() if forms & set(a.aid_forms) and a.is_closed(today)
                  and not falls_short(a, said)]
        if not closed:
            return None
        t = catalog.t
        labels = ", ".join(catalog.label("aid_form", f, lang) for f in sorted(forms))
        sentences = [t("finder_form_closed", lang, form=labels)]
        for aid in closed[:2]:
            since = closed_on(aid, today)
            suffix = t("aid_closed_since", lang, date=since.isoformat()) if since else ""
            name = aid.name if lang == "fr" else official_name(aid, catalog)
            sentences.append(t("rec_closed", lang, name=name, since=suffix))
        citations = tuple(Citation(number=1, source_id=a.id, title=a.name,
                                   url=a.url or a.sources[0], kind="aid") for a in closed[:1])
        return Reply(blocks=(" ".join(sentences) + " [1]",), citations=citations, kind="answer")
