"""Extractive, grounded answers: the best sentences of the best sources, each with its [n].

Usage::

    composer = ExtractiveComposer(catalog=Catalog.load(), kb=kb)
    answer = composer.compose(result)         # result: knowledge.retriever.SearchResult
    answer.blocks, answer.citations
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.i18n import Catalog
from bot.messages import Citation
from knowledge.embeddings import Vector, Vectors
from knowledge.lexical import tokenize
from knowledge.models import AidScheme, Chunk, Partner
from knowledge.retriever import Hit, SearchResult

__all__ = [
    "Answer", "ExtractiveComposer", "RecordSource", "SentenceEmbedder", "clean_markup",
    "repeats", "select_sources", "split_sentences",
]

MAX_SOURCES = 3
RELATIVE_FLOOR = 0.75
LEXICAL_SHARE = 0.5
DENSE_MARGIN = 0.015
MAX_SENTENCES = 3
REPEAT_SHARE = 0.6
EXTRA_SECTIONS = 2
MAX_ANSWER_CHARS = 420
MAX_CANDIDATES = 14
SENTENCE_MARGIN = 0.03
LEXICAL_WEIGHT = 0.04
MISSING_SIMILARITY = 0.78  # best sentence below this: on topic, but the fact is not there
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"(])|\n+")
_MARKUP = re.compile(r"\*\*|__|\s*\[(?:incertain|uncertain|à vérifier|a verifier)[^\]]*\]",
                     re.IGNORECASE)
_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://)[^)]*\)")
# A document speaking about itself ("Ce document rassemble...") answers nothing.
_META = re.compile(r"\s*(?:ce document|cette fiche|cette note|this document|this page|"
                   r"this note|le présent document|it is based on|il s'appuie sur|"
                   r"elle s'appuie sur|il rappelle aussi|it also recalls)\b"
                   r"|.*\b(?:du corpus|of the corpus)\b", re.IGNORECASE)  # about the text
# What kind of answer a question expects, and what a sentence holding one looks like: a
# sentence of the right kind is preferred ("le numéro du guichet ?" -> the one with digits).
_EXPECTS = (
    (re.compile(r"\b(?:num[ée]ro|t[ée]l[ée]phone|phone|joindre|contact|site|adresse|e-?mail|"
                r"website|reach)\b", re.IGNORECASE),
     re.compile(r"\+?\d[\d .]{7,}\d|https?://|www\.|@|\.fr\b|\.com\b")),
    (re.compile(r"\b(?:combien|how many|how much|montant|nombre|amount|budget|taux|rate|"
                r"plafond|%)", re.IGNORECASE),
     re.compile(r"\d")),
    (re.compile(r"\b(?:quand|when|date|dates|deadline|ann[ée]e|year)\b", re.IGNORECASE),
     re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}(?:er)? (?:janv|f[ée]v|mars|avr|mai|juin|"
                r"juil|ao[uû]t|sept|oct|nov|d[ée]c|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
                r"nov|dec)", re.IGNORECASE)),
    (re.compile(r"\b(?:qui (?:le |la |les )?financ\w*|financ\w* par qui|financeurs?|"
                r"who funds|funded by|funder)\b", re.IGNORECASE),
     re.compile(r"financ|fund|porté par|run by|soutenu|backed|subvention|grant|Bpifrance|"
                r"Région|Region|État|State|Union européenne|European", re.IGNORECASE)),
    # who won: a sentence naming a winner, not one about the event ("des prix sont remis")
    (re.compile(r"\b(?:gagnants?|gagn[ée]|vainqueurs?|qui a gagn\w*|who won|winners?|"
                r"won the|a remport\w*)\b", re.IGNORECASE),
     re.compile(r"\b(?:a gagn|ont gagn|a remport|ont remport|vainqueurs? (?:est|sont|:)|"
                r"(?:lauréat|laureat)s? (?:est|sont|:)|won\b|winners? (?:is|are|was|were)\b)",
                re.IGNORECASE)),
    # who hands out the prizes: a sentence saying by whom
    (re.compile(r"\b(?:qui remet|qui d[ée]cerne|qui donne les prix|who hands out|who awards|"
                r"who gives the prizes?)\b", re.IGNORECASE),
     re.compile(r"\b(?:remis par|remise par|décernés? par|decernes? par|awarded by|"
                r"handed out by|given by|par le jury|by the jury)", re.IGNORECASE)),
)
EXPECTED_BOOST = 0.05
# A record's second sentence often starts with a pronoun: the record's name stands instead.
_PRONOUN = re.compile(r"^(?:It|Il|Elle|They|Ils|Elles)\b")
_SOURCE_REF = re.compile(r"\s*\((?:sources?|voir)\s*:?[^)]*https?://[^)]*\)", re.IGNORECASE)


class SentenceEmbedder(Protocol):
    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vector: ...


def repeats(a: str, b: str, lang: str) -> bool:
    """``a`` says what ``b`` already says (most of the shorter one's stemmed words shared):
    two sources stating the same fact are quoted once."""
    ta, tb = set(tokenize(a, lang)), set(tokenize(b, lang))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= REPEAT_SHARE


def clean_markup(text: str) -> str:
    """No corpus markup in answers (bold marks, editorial brackets, Markdown links)."""
    text = _LINK.sub(r"\1", text)
    text = _MARKUP.sub("", text)
    return " ".join(text.split()).strip(" -#*")


class RecordSource(Protocol):
    aids: dict[str, AidScheme]
    partners: dict[str, Partner]


@dataclass
class Answer:
    blocks: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    declined: bool = False
    used: list[Hit] = field(default_factory=list)
    mode: str = "extractive"
    result: SearchResult | None = None
    missing: bool = False  # on topic, but the sources do not hold the fact asked
    attribute: str = ""    # the record attribute answered, if any
    sentences: list[str] = field(default_factory=list)  # the quoted sentences, in order


def split_sentences(text: str) -> list[str]:
    out = []
    for part in _SENTENCE.split(text):
        part = _SOURCE_REF.sub("", part).strip(" -*#\t")
        if len(part) >= 25:
            out.append(part)
    return out


def _group(hit: Hit) -> str:
    return hit.chunk.origin or hit.chunk.source_id


def select_sources(result: SearchResult, *, limit: int = MAX_SOURCES) -> list[Hit]:
    """The few best hits worth quoting: the first, then only those nearly as strong by the
    lexical score (half the best) or by meaning (within ``DENSE_MARGIN`` of the best), one per
    source group, preferring the question's language when a translation was found."""
    if not result.hits:
        return []
    floor = result.hits[0].score * RELATIVE_FLOOR
    best_lexical = max((h.lexical or 0.0) for h in result.hits)
    best_dense = max((h.dense or 0.0) for h in result.hits)

    def strong(hit: Hit) -> bool:
        return ((hit.lexical or 0.0) >= best_lexical * LEXICAL_SHARE
                or (hit.dense or 0.0) >= best_dense - DENSE_MARGIN)

    chosen: dict[str, Hit] = {}
    for index, hit in enumerate(result.hits):
        if hit.score < floor:
            break
        key = _group(hit)
        prev = chosen.get(key)
        if prev is None:
            if len(chosen) < limit and (index == 0 or strong(hit)):
                chosen[key] = hit
        elif prev.chunk.lang != result.lang and hit.chunk.lang == result.lang:
            chosen[key] = hit
    return list(chosen.values())


class ExtractiveComposer:
    """The direct answer first: the one to three sentences of the best sources that answer
    the question (ranked against it with the embedder and the stemmed words), each with its
    [n]; a record's card only on demand."""

    def __init__(
        self, *, catalog: Catalog, kb: RecordSource, today: Callable[[], dt.date] = dt.date.today,
        embedder: SentenceEmbedder | None = None,
    ) -> None:
        self.catalog = catalog
        self.kb = kb
        self.today = today
        self.embedder = embedder

    def compose(self, result: SearchResult, *, vector: Vector | None = None,
                avoid: frozenset[str] = frozenset()) -> Answer:
        """The answer to ``result``'s question; sentences in ``avoid`` (said just before)
        are quoted again only when nothing else is close enough."""
        lang = result.lang
        if result.declined:
            return Answer(declined=True)
        used = select_sources(result)
        # A second section of a chosen source may hold the fact ("250 produits"): its
        # sentences compete too (citations stay those actually quoted, three at most).
        groups = {_group(h) for h in used}
        floor = result.hits[0].score * RELATIVE_FLOOR if result.hits else 0.0
        used += [h for h in result.hits[:8] if h not in used and _group(h) in groups
                 and h.score >= floor and h.chunk.lang == result.lang][:EXTRA_SECTIONS]
        candidates = [(i, s) for i, hit in enumerate(used) for s in self.quotable(hit.chunk, lang)]
        if not candidates:
            return Answer(declined=True)
        scores, best_dense = self._scores(candidates, result.query, lang, vector)
        order = sorted(range(len(candidates)), key=lambda j: -scores[j])
        # A follow-up never gets the last answer again: what comes next in meaning, said to
        # be the closest the sources hold when it is clearly further.
        fresh = [j for j in order if candidates[j][1] not in avoid]
        far = False
        if avoid and fresh and fresh[0] != order[0]:
            far = scores[fresh[0]] < scores[order[0]] - SENTENCE_MARGIN
            order = fresh
        chosen: list[int] = []
        per_source: dict[int, int] = {}
        length = 0
        for j in order:
            source, sentence = candidates[j]
            if chosen and (scores[j] < scores[order[0]] - SENTENCE_MARGIN
                           or length + len(sentence) > MAX_ANSWER_CHARS
                           or per_source.get(source, 0) >= 2
                           or any(repeats(sentence, candidates[k][1], lang) for k in chosen)):
                continue
            chosen.append(j)
            per_source[source] = per_source.get(source, 0) + 1
            length += len(sentence)
            if len(chosen) == MAX_SENTENCES:
                break
        numbers: dict[int, int] = {}
        parts = []
        answer = Answer()
        for j in chosen:
            source, sentence = candidates[j]
            number = numbers.setdefault(source, len(numbers) + 1)
            parts.append(f"{sentence} [{number}]")
            answer.sentences.append(sentence)
        answer.used = [used[i] for i in numbers]
        answer.blocks.append(" ".join(parts))
        for source, number in numbers.items():
            chunk = used[source].chunk
            answer.citations.append(Citation(number=number, source_id=chunk.source_id,
                                             title=chunk.title, url=chunk.url, kind=chunk.kind))
        # On topic but not the fact asked: too far in meaning, or none of the quoted sentences
        # has the shape the question expects (who funds it -> a funder, when -> a date...).
        shapes = [shape for asks, shape in _EXPECTS if asks.search(result.query)]
        shapeless = bool(shapes) and not any(
            shape.search(candidates[j][1]) for shape in shapes for j in chosen)
        answer.missing = far or shapeless or (best_dense is not None
                                              and best_dense < MISSING_SIMILARITY)
        return answer

    def quotable(self, chunk: Chunk, lang: str) -> list[str]:
        """The sentences of a source an answer in ``lang`` may quote (their vectors ship with
        the package: ``relocbot vectors``)."""
        if chunk.kind == "aid" and chunk.source_id in self.kb.aids:
            aid = self.kb.aids[chunk.source_id]
            name = aid.name if lang == "fr" else aid.name_en
            summary = aid.summary_fr if lang == "fr" else aid.summary_en
            text = (f"{name} : {clean_markup(summary)}" if lang == "fr" else
                    f"{name}: {clean_markup(summary)}")
            today = self.today()
            if aid.is_closed(today):  # never recommended: said in the same sentence
                passed = aid.deadline if aid.deadline and aid.deadline < today else None
                since = aid.closed_since or passed
                suffix = self.catalog.t("aid_closed_since", lang,
                                        date=since.isoformat()) if since else ""
                text += " " + self.catalog.t("aid_closed", lang, since=suffix)
            return [text]
        if chunk.kind == "partner" and chunk.source_id in self.kb.partners:
            partner = self.kb.partners[chunk.source_id]
            description = partner.description_fr if lang == "fr" else partner.description_en
            return [f"{partner.name} — {s}" if i == 0 else _PRONOUN.sub(partner.name, s, 1)
                    for i, s in enumerate(split_sentences(clean_markup(description))[:2])]
        text = chunk.text.split("\n", 1)[-1] if "\n" in chunk.text else chunk.text
        sentences = [clean_markup(s) for s in split_sentences(text)
                     if not _META.match(s)][:MAX_CANDIDATES]
        if chunk.kind == "cci":
            sentences = [f"{chunk.title} — {s}" for s in sentences[:2]]
        return [s for s in sentences if len(s) >= 25]

    def _scores(self, candidates: list[tuple[int, str]], query: str, lang: str,
                vector: Vector | None) -> tuple[list[float], float | None]:
        wanted = set(tokenize(query, lang))
        shapes = [shape for asks, shape in _EXPECTS if asks.search(query)]
        lexical = []
        for source, sentence in candidates:
            tokens = set(tokenize(sentence, lang))
            score = len(wanted & tokens) / math.sqrt(len(tokens) + 4) - source * 0.02
            if any(shape.search(sentence) for shape in shapes):
                score += EXPECTED_BOOST / LEXICAL_WEIGHT
            lexical.append(score)
        if self.embedder is None:
            return lexical, None
        query_vector = vector if vector is not None else self.embedder.embed_query(query)
        dense = self.embedder.embed_passages([s for _, s in candidates]) @ query_vector
        scores = [float(d) + LEXICAL_WEIGHT * lx for d, lx in zip(dense, lexical, strict=True)]
        return scores, float(max(dense))
