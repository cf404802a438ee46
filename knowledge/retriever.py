"""Hybrid retrieval: reciprocal-rank fusion of bm25s and dense results, filters, confidence.

Usage::

    retriever = HybridRetriever.open(config, embedder=cached)
    result = retriever.search("Quelles aides pour une PME ?", lang="fr", k=8,
                              filters={"kind": ["aid"], "department": "59"})
    if result.declined: ...
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.background import DenseBuild
from knowledge.config import KnowledgeConfig
from knowledge.dense import DenseIndex
from knowledge.embeddings import CachedEmbedder, Vector
from knowledge.errors import IndexError_
from knowledge.exact import ExactDense
from knowledge.glossary import Glossary
from knowledge.ingest import index_paths, lexical_is_current
from knowledge.lexical import LexicalIndex, fold
from knowledge.models import Chunk
from knowledge.store import ChunkStore
from knowledge.yamlfile import load_yaml

__all__ = [
    "RRF_K", "DenseSearch", "Hit", "HybridRetriever", "Retriever", "SearchResult", "load_intents",
    "rrf",
]

log = logging.getLogger(__name__)
RRF_K = 60
CANDIDATES = 30
OTHER_LANG_PENALTY = 0.9
ANCHORS_FILE = Path(__file__).resolve().parent / "data" / "offtopic.yaml"
INTENTS_FILE = Path(__file__).resolve().parent / "data" / "intents.yaml"
INTENT_CANDIDATES = 10
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


@dataclass(slots=True)
class SearchResult:
    query: str
    lang: str
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    offtopic: float = 0.0
    declined: bool = False
    reason: str = ""
    degraded: bool = False  # the dense index was unreachable: lexical results only
    building: float | None = None  # the dense index is being built (fraction done): lexical


class Retriever(Protocol):
    """Finds the chunks that answer a question.

    Usage::

        result = retriever.search("aide à l'implantation", lang="fr", k=8)
    """

    def search(
        self, query: str, *, lang: str, k: int = 8, filters: dict[str, Any] | None = None,
        vector: Vector | None = None,
    ) -> SearchResult: ...


class DenseSearch(Protocol):
    """Nearest chunks of a query vector: Chroma (``knowledge.dense``) or exact numpy search
    (``knowledge.exact``).

    Usage::

        hits = dense.query(vector, k=30, filters={"kind": ["aid"]})   # [(chunk id, cosine)]
    """

    def query(self, vector: Vector, *, k: int,
              filters: dict[str, Any] | None = None) -> list[tuple[str, float]]: ...

    def count(self) -> int: ...

    def ping(self) -> bool: ...


def load_intents(path: Path = INTENTS_FILE) -> dict[str, re.Pattern[str]]:
    """Kind -> a pattern of the (accent-folded) words that ask for that kind of source."""
    with path.open(encoding="utf-8") as fh:
        data: dict[str, list[str]] = load_yaml(fh)
    return {
        kind: re.compile(r"\b(?:" + "|".join(re.escape(fold(w)) for w in words) + r")\b")
        for kind, words in data.items()
    }


def rrf(rankings: list[list[str]], *, k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: ``sum(1 / (k + rank))`` over the rankings (rank from 1)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    def __init__(
        self,
        *,
        config: KnowledgeConfig,
        embedder: CachedEmbedder,
        store: ChunkStore,
        lexical: LexicalIndex,
        dense: DenseSearch,
        anchors: Any,
    ) -> None:
        self.config = config
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.dense = dense
        self._anchors = anchors
        self._years = {y for c in store.chunks for y in _YEAR.findall(c.text)}
        self._intents = load_intents()
        self._glossary = Glossary.load().rare_in([c.text for c in store.chunks])
        # While a background build fills the dense index (``knowledge.background``), searches
        # are lexical and say so; the build clears this when it succeeds.
        self.building: DenseBuild | None = None

    def intents(self, query: str) -> list[str]:
        """The kinds of source the question asks for (``["aid"]`` for "quelles aides...");
        none for a definition ("différence entre un prêt et une subvention"): documents."""
        folded = fold(query)
        if "definition" in self._intents and self._intents["definition"].search(folded):
            return []
        return [kind for kind, pattern in self._intents.items()
                if kind != "definition" and pattern.search(folded)]

    @classmethod
    def open(cls, config: KnowledgeConfig, *, embedder: CachedEmbedder,
             exact: bool = False) -> HybridRetriever:
        """``exact``: search the chunks' cached vectors with numpy instead of opening Chroma
        (a process that only reads the index; Chroma when a vector is not cached)."""
        if not lexical_is_current(config):
            raise IndexError_("the index is missing: run `relocbot ingest`")
        paths = index_paths(config)
        store = ChunkStore.load(paths["chunks"])
        lexical = LexicalIndex.load(paths["lexical"])
        dense: DenseSearch | None = ExactDense.open(store, embedder=embedder) if exact else None
        if dense is None:
            dense = DenseIndex.open(config, embedder_name=embedder.name, spec=config.embedder)
        with ANCHORS_FILE.open(encoding="utf-8") as fh:
            questions = [q for group in load_yaml(fh)["anchors"].values() for q in group]
        # Anchors are embedded as passages so their similarity is on the corpus's scale.
        anchors = embedder.embed_passages(questions)
        return cls(
            config=config, embedder=embedder, store=store, lexical=lexical, dense=dense,
            anchors=anchors,
        )

    def _unknown_year(self, query: str) -> bool:
        return any(year not in self._years for year in _YEAR.findall(query))

    def search(
        self, query: str, *, lang: str, k: int = 8, filters: dict[str, Any] | None = None,
        vector: Vector | None = None,
    ) -> SearchResult:
        """``vector``: the query's embedding when the caller already has it (one per message)."""
        if vector is None:
            vector = self.embedder.embed_query(query)
        building = self.building
        dense_hits: list[tuple[str, float]] = []
        degraded = building is not None   # still building: the lexical index alone
        if building is None:
            try:
                dense_hits = self.dense.query(vector, k=CANDIDATES, filters=filters)
            except Exception as exc:  # Chroma server down: answer from the lexical index alone
                log.warning("dense index unavailable, lexical results only: %s",
                            type(exc).__name__)
                degraded = True
        mask = self.store.mask(filters)
        # acronyms also match their expansion ("PGE" -> "prêt garanti par l'État")
        lexical_hits = self.lexical.query(self._glossary.expand(query), lang=lang, k=CANDIDATES,
                                          mask=mask)
        lex_ids = [self.store.chunks[row].id for row, _ in lexical_hits]
        dense_ids = [cid for cid, _ in dense_hits if cid in self.store.row]
        rankings = [lex_ids, dense_ids]
        wanted = self.intents(query)
        if wanted and not (filters and filters.get("kind")):
            narrowed = {**(filters or {}), "kind": wanted}
            try:
                narrowed_hits = [] if degraded else self.dense.query(
                    vector, k=INTENT_CANDIDATES, filters=narrowed)
            except Exception as exc:  # failed after the first query: keep what it gave
                log.warning("dense index unavailable for the narrowed ranking: %s",
                            type(exc).__name__)
                narrowed_hits = []
            rankings.append([cid for cid, _ in narrowed_hits if cid in self.store.row])
        fused = rrf(rankings)
        dense_score = dict(dense_hits)
        lex_score = {self.store.chunks[row].id: s for row, s in lexical_hits}
        hits: list[Hit] = []
        for cid, score in fused.items():
            chunk = self.store.chunks[self.store.row[cid]]
            if chunk.kind == "document" and chunk.lang != lang:
                score *= OTHER_LANG_PENALTY
            hits.append(Hit(chunk, score, dense_score.get(cid), lex_score.get(cid)))
        hits.sort(key=lambda h: h.score, reverse=True)
        result = SearchResult(query=query, lang=lang, hits=hits[:k], degraded=degraded,
                              building=building.fraction if building is not None else None)
        result.confidence = max((s for _, s in dense_hits), default=0.0)
        if len(self._anchors):
            result.offtopic = float(np.max(self._anchors @ vector))
        if not hits:
            result.declined, result.reason = True, "no-hit"
        elif degraded:  # no dense confidence: the off-topic anchors alone decide
            chunk_sim = max((float(self.embedder.embed_passages([h.chunk.text])[0] @ vector)
                             for h in hits[:3]), default=0.0)
            if (result.offtopic - chunk_sim > self.config.offtopic_margin
                    or self._unknown_year(query)):
                result.declined, result.reason = True, "off-topic"
        elif result.confidence < self.config.min_dense:
            result.declined, result.reason = True, "low-confidence"
        elif result.offtopic - result.confidence > self.config.offtopic_margin:
            result.declined, result.reason = True, "off-topic"
        elif self._unknown_year(query):
            result.declined, result.reason = True, "unknown-year"
        return result

