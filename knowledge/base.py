"""The knowledge base as the bot sees it: retriever + typed catalog, built on first use.

Usage::

    kb = KnowledgeBase.open(config)              # builds the index when it is missing
    kb = KnowledgeBase.open(config, background=True)   # answers lexically while it builds
    result = kb.search("aide implantation", lang="fr")
    kb.aids["hdf-aide-implantation"].status
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge import CORPUS_DIR
from knowledge.background import DenseBuild
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import CachedEmbedder, Vector, make_embedder
from knowledge.ingest import (
    IngestReport,
    Progress,
    index_is_fresh,
    index_paths,
    indexed_extra,
    ingest,
    ingest_lexical,
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


def _dense_ready(retriever: HybridRetriever, build: DenseBuild) -> None:
    """A build that succeeded makes searches hybrid again; a failed one leaves them lexical
    (and marked so), the error logged by the build."""
    if build.error is None:
        retriever.building = None


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
        background: bool = False,
        exact: bool = False,
    ) -> KnowledgeBase:
        """Open the index, building (or rebuilding for a new embedder) it when needed. With
        ``background``, a build needed writes the lexical index first and opens on it at
        once; the dense index is built in a thread (``knowledge.background``), searches are
        lexical meanwhile and say so (``SearchResult.building``). With ``exact``, a built index is
        searched without opening Chroma (``knowledge.exact``: a process that only reads it)."""
        embedder = embedder or open_embedder(config)
        extra = list(extra) or indexed_extra(config)
        build: DenseBuild | None = None
        if not _index_matches(config, embedder, corpus_dir, extra):
            if background:
                ingest_lexical(config, embedder_name=embedder.name, corpus_dir=corpus_dir,
                               extra=extra)
                build = DenseBuild(config, embedder=embedder, corpus_dir=corpus_dir,
                                   extra=extra)
            else:
                cls.build(config, embedder=embedder, corpus_dir=corpus_dir,
                          progress=progress, extra=extra)
        corpus = load_corpus(corpus_dir)
        retriever = HybridRetriever.open(config, embedder=embedder, exact=exact and build is None)
        if build is not None:
            retriever.building = build
            build.on_done = lambda done: _dense_ready(retriever, done)
            build.start()
        return cls(
            retriever=retriever,
            aids={a.id: a for a in corpus.aids},
            partners={p.id: p for p in corpus.partners},
            ccis={c.id: c for c in corpus.ccis},
        )

    @property
    def building(self) -> DenseBuild | None:
        """The background build of the dense index, while it runs (None: the index is whole)."""
        return self.retriever.building

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
