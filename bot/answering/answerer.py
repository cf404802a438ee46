"""Search and compose: one grounded answer for a question (the LLM when configured, else the
extractive composer), shared by the conversation flows, ``relocbot ask`` and the evaluation.

Usage::

    answerer = Answerer(kb=kb, extractive=ExtractiveComposer(catalog=catalog, kb=kb), top_k=8)
    answer = await answerer.compose("Quelles aides pour relocaliser ?", "fr")

    answerer = Answerer.build(kb=kb, catalog=catalog, top_k=8)   # the usual assembly
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bot.answering.extractive import Answer, ExtractiveComposer
from bot.answering.llm import ChatModel, LLMComposer
from bot.i18n import Catalog
from knowledge.base import KnowledgeBase
from knowledge.embeddings import Vector
from knowledge.retriever import SearchResult

__all__ = ["Answerer"]


class Answerer:
    def __init__(self, *, kb: KnowledgeBase, extractive: ExtractiveComposer,
                 llm: LLMComposer | None = None, top_k: int = 8) -> None:
        self.kb = kb
        self.extractive = extractive
        self.llm = llm
        self.top_k = top_k

    @classmethod
    def build(cls, *, kb: KnowledgeBase, catalog: Catalog, top_k: int,
              chat_model: ChatModel | None = None, llm_timeout: float = 20.0,
              today: Callable[[], dt.date] = dt.date.today) -> Answerer:
        """The extractive composer on the knowledge base's embedder, behind the LLM when a chat
        model is given (no database: ``relocbot ask`` needs only this)."""
        embedder = getattr(getattr(kb, "retriever", None), "embedder", None)
        extractive = ExtractiveComposer(catalog=catalog, kb=kb, today=today, embedder=embedder)
        llm = (LLMComposer(model=chat_model, fallback=extractive, timeout=llm_timeout)
               if chat_model is not None else None)
        return cls(kb=kb, extractive=extractive, llm=llm, top_k=top_k)

    async def compose(self, question: str, lang: str, vector: Vector | None = None, *,
                      kinds: list[str] | None = None,
                      avoid: frozenset[str] = frozenset()) -> Answer:
        """Search and compose an answer (no state, no logging). ``kinds``: only these kinds
        of source (a definition is looked for in documents); ``avoid``: sentences the
        conversation just said (a follow-up is not answered with them again)."""
        if self.llm is None:   # embedding, search and composition: one worker-thread hop
            return await asyncio.to_thread(self._extractive, question, lang, vector, kinds,
                                           avoid)
        result, _ = await asyncio.to_thread(self._search, question, lang, vector, kinds)
        answer = await self.llm.compose(result)
        answer.result = result
        return self._noted(answer, result)

    def _noted(self, answer: Answer, result: SearchResult) -> Answer:
        """While the dense index builds, an answer says it comes from the keyword search."""
        if result.building is not None and not answer.declined:
            answer.blocks.append(self.extractive.catalog.t(
                "index_building", result.lang, percent=round(100 * result.building)))
        return answer

    def _search(self, question: str, lang: str, vector: Vector | None,
                kinds: list[str] | None) -> tuple[SearchResult, Vector]:
        filters = {"kind": kinds} if kinds else {}
        if vector is None:  # one query embedding, shared by retrieval and sentence ranking
            vector = self.kb.embed_query(question)
        return self.kb.search(question, lang=lang, k=self.top_k, vector=vector,
                              **filters), vector

    def _extractive(self, question: str, lang: str, vector: Vector | None,
                    kinds: list[str] | None, avoid: frozenset[str] = frozenset()) -> Answer:
        result, vector = self._search(question, lang, vector, kinds)
        answer = self.extractive.compose(result, vector=vector, avoid=avoid)
        answer.result = result
        return self._noted(answer, result)

    async def compose_or_wider(self, question: str, lang: str, vector: Vector | None, *,
                               kinds: list[str] | None = None,
                               avoid: frozenset[str] = frozenset()) -> Answer:
        """``compose`` restricted to ``kinds``, then over every source if that declines."""
        answer = await self.compose(question, lang, vector, kinds=kinds, avoid=avoid)
        if kinds and answer.declined:
            answer = await self.compose(question, lang, vector, avoid=avoid)
        return answer
