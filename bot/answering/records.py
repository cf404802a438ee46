"""Answers about one named record: the asked attribute from its field, first; the full card on
demand ("Voir la fiche"). Every sentence comes from the catalogs, every value from the record.

Usage::

    records = RecordAnswers(kb=kb, catalog=catalog)
    answer = records.answer(RecordRef("aid", "bpi-pret-nouvelle-industrie"), "amount", "fr")
    card = records.card(RecordRef("aid", "bpi-pret-nouvelle-industrie"), "en")
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from bot.answering.cci_contact import contact_sentences
from bot.answering.extractive import (
    Answer,
    SentenceEmbedder,
    clean_markup,
    repeats,
    split_sentences,
)
from bot.answering.render import aid_lines, partner_lines, shorten
from bot.i18n import Catalog
from bot.messages import Citation
from bot.understanding.records import RecordRef
from knowledge.catalog.freshness import DEFAULT_STALE_MONTHS, closed_on, stale_months
from knowledge.embeddings import Vector
from knowledge.lexical import fold
from knowledge.models import AidScheme, Cci, Partner

DETAIL_MIN = 0.80  # the record's best sentence below this: it does not hold the fact
SENTENCE_MIN = 40  # shorter items ("Auprès de Bpifrance.") say nothing appended to an answer

__all__ = ["RecordAnswers", "RecordSource"]

# A field whose value says the sources do not give it ("Non lisible dans les sources
# consultées"): the sheet does not hold the fact, and the answer says so
_NOT_GIVEN = re.compile(r"^\s*(?:non (?:précisé|precise|lisible|communiqué|indiqué)|"
                        r"not (?:specified|legible|given|stated))", re.IGNORECASE)

class RecordSource(Protocol):
    aids: dict[str, AidScheme]
    partners: dict[str, Partner]
    ccis: dict[str, Cci]


class RecordAnswers:
    def __init__(self, *, kb: RecordSource, catalog: Catalog,
                 today: Callable[[], dt.date] = dt.date.today,
                 embedder: SentenceEmbedder | None = None,
                 stale_months: int = DEFAULT_STALE_MONTHS) -> None:
        self.kb = kb
        self.catalog = catalog
        self.today = today
        self.embedder = embedder
        self.stale_months = stale_months  # older verifications are flagged (0: never)
        self._names: tuple[str, ...] | None = None   # every record's folded name, read once

    def _table(self, kind: str) -> Mapping[str, AidScheme | Partner | Cci]:
        tables: dict[str, Mapping[str, AidScheme | Partner | Cci]] = {
            "aid": self.kb.aids, "partner": self.kb.partners, "cci": self.kb.ccis}
        return tables[kind]

    def exists(self, ref: RecordRef) -> bool:
        return ref.kind in ("aid", "partner", "cci") and ref.id in self._table(ref.kind)

    def name(self, ref: RecordRef, lang: str) -> str:
        if ref.kind == "aid":
            aid = self.kb.aids[ref.id]
            return aid.name if lang == "fr" else aid.name_en
        if ref.kind == "partner":
            return self.kb.partners[ref.id].name
        return self.kb.ccis[ref.id].name.split(" (")[0]

    def short_name(self, ref: RecordRef, lang: str) -> str:
        """A partner's name as people say it, before its description ("Rev3 — troisième
        révolution industrielle..." -> "Rev3"): what a follow-up about it is searched with,
        so that the description does not outweigh what was asked."""
        name = self.name(ref, lang)
        if ref.kind != "partner":
            return name
        short = name.split(" — ")[0].split(" (")[0].strip() or name
        # "Résilience" alone also names a France Relance call: the full name tells them apart
        return name if short != name and self._shared(short) else short

    def _shared(self, short: str) -> bool:
        if self._names is None:
            self._names = tuple(fold(r.name) for kind in ("aid", "partner", "cci")
                                for r in self._table(kind).values())
        wanted = fold(short)
        return sum(wanted in name for name in self._names) > 1

    def names(self, ref: RecordRef) -> list[str]:
        """Every name of the record: its names in both languages and its aliases."""
        record = self._table(ref.kind)[ref.id]
        return [record.name, str(getattr(record, "name_en", "") or ""), *record.aliases]

    def citation(self, ref: RecordRef, number: int = 1) -> Citation:
        record = self._table(ref.kind)[ref.id]
        return Citation(number=number, source_id=record.id, title=record.name,
                        url=record.url or record.sources[0], kind=ref.kind)

    # -- the asked attribute ---------------------------------------------------------------

    def answer(self, ref: RecordRef, attribute: str | None, lang: str) -> Answer:
        """One to three sentences answering ``attribute`` of the record, with its source."""
        if ref.kind == "aid":
            sentences = self._aid(self.kb.aids[ref.id], attribute or "summary", lang)
        elif ref.kind == "partner":
            sentences = self._partner(self.kb.partners[ref.id], attribute or "summary", lang)
        else:
            sentences = self._cci(self.kb.ccis[ref.id], attribute or "summary", lang)
        stale = self._stale(ref, lang)
        if stale:
            sentences.append(stale)
        missing = not sentences[0]
        if missing:
            sentences[0] = self._t("rec_missing", lang, name=self.name(ref, lang),
                                   what=self.catalog.label("attribute", attribute or "summary",
                                                           lang))
        first, *rest = [clean_markup(s) for s in sentences if s]
        blocks = [f"{first} [1]"]
        if rest:  # caveats and the verification date after the answer itself
            blocks.append(" ".join(rest) + " [1]")
        return Answer(blocks=blocks, citations=[self.citation(ref)],
                      mode="record", missing=missing, attribute=attribute or "")

    def detail(self, ref: RecordRef, question: str, lang: str, *,
               vector: Vector | None = None, attribute: str | None = None) -> Answer:
        """A question about the record that no single field answers ("elle a des antennes
        où ?", "faut-il être plusieurs entreprises ?"): the record's own sentences ranked
        against it; with ``attribute``, that field first and the best other sentence after."""
        first = self.answer(ref, attribute, lang) if attribute else None
        facts = self.facts(ref, lang)
        if self.embedder is None or not facts:
            return first or self.answer(ref, None, lang)
        query = vector if vector is not None else self.embedder.embed_query(question)
        scores = self.embedder.embed_passages(facts) @ query
        order = [int(i) for i in scores.argsort()[::-1]]
        if first is not None:
            other = next((i for i in order if len(facts[i]) >= SENTENCE_MIN
                          and not repeats(facts[i], first.blocks[0], lang)), None)
            # the field's own sentences, as close to the question as they are: another
            # sentence comes too only when it is at least as close (not "Exclus : ..." after
            # an amount)
            own = [float(scores[i]) for i in order if repeats(facts[i], first.blocks[0], lang)]
            if other is not None and float(scores[other]) >= max([DETAIL_MIN, *own]):
                # another of the record's sentences says more: it comes too
                first.blocks[0] = first.blocks[0].replace(" [1]", f" {facts[other]} [1]", 1)
            return first
        name = self.name(ref, lang)
        top = [facts[i] for i in order[:2]]
        missing = float(scores[order[0]]) < DETAIL_MIN
        text = " ".join(clean_markup(x) for x in top)
        return Answer(blocks=[f"{name} — {text} [1]"], citations=[self.citation(ref)],
                      mode="record", missing=missing)

    def facts(self, ref: RecordRef, lang: str) -> list[str]:
        """Every sentence the record holds, in the user's language where it has one (their
        vectors ship with the package: ``relocbot vectors``)."""
        en = lang == "en"
        out: list[str] = []
        if ref.kind == "aid":
            a = self.kb.aids[ref.id]
            out += split_sentences(a.summary_en if en else a.summary_fr)  # one at a time
            out += [a.amounts_en if en and a.amounts_en else a.amounts,
                    a.how_to_apply_en if en and a.how_to_apply_en else a.how_to_apply,
                    self.catalog.t("rec_funder", lang, name=self.name(ref, lang),
                                   value=a.funder), "" if en else a.status_note]  # French only
            out += (a.beneficiary_conditions_en if en and a.beneficiary_conditions_en
                    else a.beneficiary_conditions)
            out += a.eligibility_en if en and a.eligibility_en else a.eligibility
        elif ref.kind == "partner":
            p = self.kb.partners[ref.id]
            out += split_sentences(p.description_en if en else p.description_fr)
            out += [x for x in (p.caveat, p.event_role, p.note) if x]
            where = ", ".join(x for x in (p.city, p.department) if x)
            if where:
                out.append(self.catalog.t("partner_location", lang, value=where))
        else:
            c = self.kb.ccis[ref.id]
            out += split_sentences(c.territories_en if en and c.territories_en
                                   else c.territories)
            out += [*c.facts, *(x for x in (c.department_split, c.note) if x)]
            if c.local_offices:
                out.append(self.catalog.t("rec_cci_offices", lang,
                                          value=", ".join(c.local_offices)))
        return [clean_markup(x) for x in out if x and len(x) >= 15]

    def _t(self, key: str, lang: str, **values: object) -> str:
        return self.catalog.t(key, lang, **values)

    def _stale(self, ref: RecordRef, lang: str) -> str:
        """The warning for a record verified more than ``stale_months`` ago, or ""."""
        record = self._table(ref.kind)[ref.id]
        months = stale_months(record, self.today(), self.stale_months)
        if months is None:
            return ""
        return self._t("record_stale", lang, months=months,
                       date=record.last_verified.isoformat())

    def _aid(self, aid: AidScheme, attribute: str, lang: str) -> list[str]:
        en = lang == "en"
        name = aid.name_en if en else aid.name
        today = self.today()
        if attribute == "amount":
            value = (aid.amounts_en if en and aid.amounts_en else aid.amounts)
            first = "" if _NOT_GIVEN.match(value) else \
                self._t("rec_amount", lang, name=name, value=shorten(value, 360))
        elif attribute == "funder":
            first = self._t("rec_funder", lang, name=name, value=aid.funder)
        elif attribute == "conditions":
            items = (aid.beneficiary_conditions_en if en and aid.beneficiary_conditions_en
                     else aid.beneficiary_conditions)
            extra = aid.eligibility_en if en and aid.eligibility_en else aid.eligibility
            value = "; ".join([*items, *extra][:3])
            sizes = ", ".join(aid.sizes)
            first = self._t("rec_conditions", lang, name=name, sizes=sizes,
                            value=shorten(value, 360)) if value else ""
        elif attribute == "apply":
            value = aid.how_to_apply_en if en and aid.how_to_apply_en else aid.how_to_apply
            first = self._t("rec_apply", lang, name=name, value=shorten(value, 300),
                            url=aid.url or aid.sources[0])
        elif attribute == "contact":
            first = self._t("rec_aid_contact", lang, name=name, funder=aid.funder,
                            url=aid.url or aid.sources[0])
        elif attribute == "deadline":
            first = self._deadline(aid, name, lang, today)
        elif attribute == "form":
            forms = ", ".join(self.catalog.label("aid_form", f, lang) for f in aid.aid_forms)
            first = self._t("rec_form", lang, name=name, value=forms or "—")
        elif attribute == "manager":
            said = self._mentioning(aid, en, ("gestion", "gere", "gestionnaire", "manag"))
            first = self._t("rec_cumul", lang, name=name, value=said.rstrip(".")) if said \
                else self._t("rec_funder", lang, name=name, value=aid.funder)
        elif attribute == "results":   # a call for projects' outcome: its winners
            said = self._mentioning(aid, en, ("bilan", "laureat", "winner", "result", "retenu",
                                              "selected"))
            first = self._t("rec_cumul", lang, name=name, value=said.rstrip(".")) if said else ""
        elif attribute == "cumul":
            said = self._mentioning(aid, en, ("cumul", "combin"))
            first = self._t("rec_cumul", lang, name=name, value=said.rstrip(".")) if said else ""
        elif attribute == "jobs":
            jobs = ", ".join(f"{n} ({size})" if size != "any" else str(n)
                             for size, n in aid.min_jobs.items())
            first = self._t("rec_jobs", lang, name=name, value=jobs) if jobs else \
                self._t("rec_no_jobs", lang, name=name)
        else:
            first = self._t("rec_summary", lang, name=name,
                            value=shorten(aid.summary_en if en else aid.summary_fr, 360))
        out = [first]
        if attribute == "apply" and aid.is_closed(today):
            out = [self._deadline(aid, name, lang, today)]  # "can we still apply?": no
        elif attribute != "deadline" and aid.is_closed(today):
            out.append(self._deadline(aid, name, lang, today))
        elif aid.apply_before_start and attribute in ("apply", "conditions", "summary"):
            out.append(self._t("aid_apply_before", lang))
        if aid.uncertain or aid.status == "uncertain":
            out.append(self._t("aid_uncertain", lang))
        if stale_months(aid, today, self.stale_months) is None:  # else: the stale warning
            out.append(self._t("aid_verified", lang, date=aid.last_verified.isoformat()))
        return out

    @staticmethod
    def _mentioning(aid: AidScheme, en: bool, stems: tuple[str, ...]) -> str:
        """The first item of the scheme's sheet with one of ``stems`` (combining it with
        other aid, who manages it), or ""."""
        items = [*(aid.beneficiary_conditions_en if en and aid.beneficiary_conditions_en
                   else aid.beneficiary_conditions),
                 *(aid.eligibility_en if en and aid.eligibility_en else aid.eligibility),
                 *split_sentences(aid.amounts_en if en and aid.amounts_en else aid.amounts),
                 *split_sentences(aid.how_to_apply_en if en and aid.how_to_apply_en
                                  else aid.how_to_apply),
                 *split_sentences(aid.summary_en if en else aid.summary_fr)]
        for item in items:
            if any(re.search(rf"\b{w}", fold(item)) for w in stems):
                return item.strip()
        return ""

    def _deadline(self, aid: AidScheme, name: str, lang: str, today: dt.date) -> str:
        if aid.is_closed(today):
            since = closed_on(aid, today)
            suffix = self._t("aid_closed_since", lang, date=since.isoformat()) if since else ""
            return self._t("rec_closed", lang, name=name, since=suffix)
        status = self.catalog.label("status", aid.status, lang)
        if aid.deadline == today:
            return self._t("rec_deadline_today", lang, name=name, date=today.isoformat(),
                           status=status)
        if aid.deadline is not None:
            return self._t("rec_deadline", lang, name=name, date=aid.deadline.isoformat(),
                           days=(aid.deadline - today).days, status=status)
        return self._t("rec_no_deadline", lang, name=name, status=status)

    def _partner(self, partner: Partner, attribute: str, lang: str) -> list[str]:
        description = partner.description_en if lang == "en" else partner.description_fr
        kind = self.catalog.label("partner_kind_label", partner.kind, lang)
        where = ", ".join(x for x in (partner.city, partner.department) if x)
        if attribute in ("contact", "apply"):
            first = self._t("rec_partner_contact", lang, name=partner.name,
                            url=partner.url or partner.sources[0],
                            where=where or "—")
        elif attribute in ("amount", "funder", "deadline", "conditions"):
            first = ""
        else:
            first = self._t("rec_summary", lang, name=partner.name,
                            value=shorten(description, 360))
        out = [first, self._t("rec_partner_kind", lang, kind=kind,
                              capabilities=", ".join(partner.capabilities[:5]) or "—")]
        if partner.caveat:
            out.append(self._t("partner_caveat", lang, value=partner.caveat))
        return out

    def _cci(self, cci: Cci, attribute: str, lang: str) -> list[str]:
        territories = cci.territories_en if lang == "en" and cci.territories_en else \
            cci.territories
        if attribute in ("contact", "apply"):
            return contact_sentences(cci, self.kb.ccis, self.catalog, lang)
        return [self._t("rec_cci_territory", lang, name=cci.name.split(" (")[0],
                        value=shorten(territories, 300))]

    # -- the full card ---------------------------------------------------------------------

    def card(self, ref: RecordRef, lang: str) -> Answer:
        if ref.kind == "aid":
            lines = aid_lines(self.kb.aids[ref.id], lang=lang, number=1,
                              catalog=self.catalog, today=self.today())
        elif ref.kind == "partner":
            lines = partner_lines(self.kb.partners[ref.id], lang=lang, number=1,
                                  catalog=self.catalog)
        else:
            cci = self.kb.ccis[ref.id]
            lines = [*self._cci(cci, "summary", lang), *self._cci(cci, "contact", lang)]
            lines[0] += " [1]"
        stale = self._stale(ref, lang)
        if stale:
            lines.append(stale)
        return Answer(blocks=["\n".join(clean_markup(x) for x in lines)],
                      citations=[self.citation(ref)], mode="card")
