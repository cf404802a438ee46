"""The knowledge base as the bot sees it: retriever + typed catalog, built on first use.

Usage::

    kb = KnowledgeBase.open(config)              # builds the index when it is missing
    result = kb.search("aide implantation", lang="fr")
    kb.aids["hdf-aide-implantation"].status
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge import CORPUS_DIR
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import CachedEmbedder, Vector, make_embedder
from knowledge.ingest import (
    IngestReport,
    Progress,
    index_is_fresh,
    index_paths,
    indexed_extra,
    ingest,
)
from knowledge.loader import load_corpus
from knowledge.models import AidScheme, Cci, Partner
from knowledge.retriever import HybridRetriever, SearchResult
from knowledge.shipped import ShippedVectors

__all__ = ["KnowledgeBase", "open_embedder"]


def open_embedder(config: KnowledgeConfig, *, shipped: bool = True) -> CachedEmbedder:
    """The configured embedder behind the data dir's cache; with ``shipped``, the vectors shipped
    with the package fill the cache's misses when they were computed by this same embedder
    (``knowledge/data/corpus_vectors.npz``, ``relocbot vectors``)."""
    return CachedEmbedder(make_embedder(config.embedder), path=index_paths(config)["cache"],
                          shipped=ShippedVectors() if shipped else None)


def _index_matches(config: KnowledgeConfig, embedder: CachedEmbedder, corpus_dir: Path = CORPUS_DIR,
                   extra: Iterable[Path] = ()) -> bool:
    import json

    if not index_is_fresh(config, corpus_dir, extra):
        return False
    state = json.loads(index_paths(config)["state"].read_text(encoding="utf-8"))
    return bool(state.get("embedder") == embedder.name)


class KnowledgeBase:
    def __init__(
        self,
        *,
        retriever: HybridRetriever,
        aids: dict[str, AidScheme],
        partners: dict[str, Partner],
        ccis: dict[str, Cci],
    ) -> None:
        self.retriever = retriever
        self.aids = aids
        self.partners = partners
        self.ccis = ccis

    @classmethod
    def open(
        cls,
        config: KnowledgeConfig,
        *,
        corpus_dir: Path = CORPUS_DIR,
        embedder: CachedEmbedder | None = None,
        progress: Progress | None = None,
        extra: Iterable[Path] = (),
    ) -> KnowledgeBase:
        """Open the index, building (or rebuilding for a new embedder) it when needed."""
        embedder = embedder or open_embedder(config)
        extra = list(extra) or indexed_extra(config)
        if not _index_matches(config, embedder, corpus_dir, extra):
            cls.build(config, embedder=embedder, corpus_dir=corpus_dir, progress=progress,
                      extra=extra)
        corpus = load_corpus(corpus_dir)
        return cls(
            retriever=HybridRetriever.open(config, embedder=embedder),
            aids={a.id: a for a in corpus.aids},
            partners={p.id: p for p in corpus.partners},
            ccis={c.id: c for c in corpus.ccis},
        )

    @staticmethod
    def build(
        config: KnowledgeConfig,
        *,
        embedder: CachedEmbedder,
        corpus_dir: Path = CORPUS_DIR,
        progress: Progress | None = None,
        extra: Iterable[Path] = (),
    ) -> IngestReport:
        return ingest(
            config, embedder=embedder, corpus_dir=corpus_dir, extra=extra, progress=progress,
            embedder_spec=config.embedder,
        )

    def search(self, query: str, *, lang: str, k: int = 8, vector: Vector | None = None,
               **filters: Any) -> SearchResult:
        return self.retriever.search(query, lang=lang, k=k, filters=filters or None,
                                     vector=vector)

    def embed_query(self, text: str) -> Vector:
        """The message's embedding, computed once and shared by understanding and search."""
        return self.retriever.embedder.embed_query(text)
