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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.answering.render import aid_lines, partner_lines
from bot.i18n import Catalog
from bot.messages import Citation
from knowledge.lexical import tokenize
from knowledge.models import AidScheme, Partner
from knowledge.retriever import Hit, SearchResult

__all__ = ["Answer", "ExtractiveComposer", "RecordSource", "select_sources", "split_sentences"]

MAX_SOURCES = 3
RELATIVE_FLOOR = 0.75
LEXICAL_SHARE = 0.5
DENSE_MARGIN = 0.015
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"(])|\n+")
_SOURCE_REF = re.compile(r"\s*\((?:sources?|voir)\s*:?[^)]*https?://[^)]*\)", re.IGNORECASE)


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


def _best_sentences(text: str, query: str, lang: str, count: int = 2) -> list[str]:
    sentences = split_sentences(text.split("\n", 1)[-1]) or split_sentences(text)
    wanted = set(tokenize(query, lang))
    if not sentences:
        return []
    scored = []
    for index, sentence in enumerate(sentences):
        tokens = set(tokenize(sentence, lang))
        overlap = len(wanted & tokens)
        scored.append((overlap / math.sqrt(len(tokens) + 4) - index * 0.01, index))
    scored.sort(reverse=True)
    keep = sorted(i for _, i in scored[:count] if _ > 0) or [scored[0][1]]
    return [sentences[i] for i in keep]


class ExtractiveComposer:
    def __init__(
        self, *, catalog: Catalog, kb: RecordSource, today: Callable[[], dt.date] = dt.date.today
    ) -> None:
        self.catalog = catalog
        self.kb = kb
        self.today = today

    def compose(self, result: SearchResult) -> Answer:
        lang = result.lang
        if result.declined:
            return Answer(declined=True)
        answer = Answer(used=select_sources(result))
        answer.blocks.append(self.catalog.t("answer_intro", lang))
        for number, hit in enumerate(answer.used, start=1):
            answer.blocks.append(self._block(hit, number, result.query, lang))
            chunk = hit.chunk
            answer.citations.append(
                Citation(number=number, source_id=chunk.source_id, title=chunk.title,
                         url=chunk.url, kind=chunk.kind)
            )
        return answer

    def _block(self, hit: Hit, number: int, query: str, lang: str) -> str:
        chunk = hit.chunk
        if chunk.kind == "aid" and chunk.source_id in self.kb.aids:
            aid = self.kb.aids[chunk.source_id]
            lines = aid_lines(aid, lang=lang, number=number, catalog=self.catalog,
                              today=self.today())
            return "\n".join(lines)
        if chunk.kind == "partner" and chunk.source_id in self.kb.partners:
            partner = self.kb.partners[chunk.source_id]
            return "\n".join(partner_lines(partner, lang=lang, number=number,
                                           catalog=self.catalog))
        sentences = " ".join(_best_sentences(chunk.text, query, lang))
        if chunk.kind == "cci":
            sentences = f"{chunk.title} — {sentences}"
        return f"{sentences} [{number}]"
