"""Search and compose: one grounded answer for a question (the LLM when configured, else the
extractive composer), shared by the conversation flows, ``relocbot ask`` and the evaluation.

Usage::

    answerer = Answerer(kb=kb, extractive=ExtractiveComposer(catalog=catalog, kb=kb), top_k=8)
    answer = await answerer.compose("Quelles aides pour relocaliser ?", "fr")
"""

from __future__ import annotations

import asyncio

from bot.answering.extractive import Answer, ExtractiveComposer
from bot.answering.llm import LLMComposer
from knowledge.base import KnowledgeBase
from knowledge.embeddings import Vector

__all__ = ["Answerer"]


class Answerer:
    def __init__(self, *, kb: KnowledgeBase, extractive: ExtractiveComposer,
                 llm: LLMComposer | None = None, top_k: int = 8) -> None:
        self.kb = kb
        self.extractive = extractive
        self.llm = llm
        self.top_k = top_k

    async def compose(self, question: str, lang: str, vector: Vector | None = None, *,
                      kinds: list[str] | None = None) -> Answer:
        """Search and compose an answer (no state, no logging). ``kinds``: only these kinds
        of source (a definition is looked for in documents)."""
        filters = {"kind": kinds} if kinds else {}
        if vector is None:  # one query embedding, shared by retrieval and sentence ranking
            vector = await asyncio.to_thread(self.kb.embed_query, question)
        result = await asyncio.to_thread(
            self.kb.search, question, lang=lang, k=self.top_k, vector=vector, **filters
        )
        if self.llm is not None:
            answer = await self.llm.compose(result)
        else:
            answer = await asyncio.to_thread(self.extractive.compose, result, vector=vector)
        answer.result = result
        return answer

    async def compose_or_wider(self, question: str, lang: str, vector: Vector | None, *,
                               kinds: list[str] | None = None) -> Answer:
        """``compose`` restricted to ``kinds``, then over every source if that declines."""
        answer = await self.compose(question, lang, vector, kinds=kinds)
        if kinds and answer.declined:
            answer = await self.compose(question, lang, vector)
        return answer
