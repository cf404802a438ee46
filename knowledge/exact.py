"""Exact cosine search over the index's own vectors, in memory: the dense index of a process
that only reads it.

The chunk store lists what is indexed and the embedding cache holds the vector of each chunk,
the very vectors the ingest wrote into Chroma; with a few hundred chunks one matrix product
ranks them all (microseconds), and ``chromadb`` is never imported (0.8 s of a one-shot
``relocbot ask``). ``open`` gives None when a chunk's vector is not in the cache (an index
built elsewhere): the caller opens Chroma instead. ``tests/knowledge/test_exact.py`` checks
that its rankings are Chroma's.

Usage::

    dense = ExactDense.open(store, embedder=cached) or DenseIndex.open(config, ...)
    hits = dense.query(vector, k=30, filters={"kind": ["aid"]})   # [(chunk id, cosine)]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.embeddings import CachedEmbedder, Vector
from knowledge.store import ChunkStore

__all__ = ["ExactDense"]


class ExactDense:
    """The same ``query`` as ``knowledge.dense.DenseIndex``, answered by numpy."""

    remote = False

    def __init__(self, store: ChunkStore, matrix: npt.NDArray[np.float32]) -> None:
        self._store = store
        self._matrix = matrix
        self._ids = [c.id for c in store.chunks]

    @classmethod
    def open(cls, store: ChunkStore, *, embedder: CachedEmbedder) -> ExactDense | None:
        """The store's chunks with their cached vectors; None if one was never embedded."""
        matrix = embedder.stored_passages([c.text for c in store.chunks])
        if matrix is None:
            return None
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return cls(store, (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32))

    def query(self, vector: Vector, *, k: int,
              filters: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first, at most ``k``, within ``filters``."""
        norm = float(np.linalg.norm(vector)) or 1.0
        scores = self._matrix @ (np.asarray(vector, dtype=np.float32) / norm)
        mask = self._store.mask(filters)
        rows = np.arange(len(scores)) if mask is None else np.flatnonzero(mask)
        if not len(rows):
            return []
        best = rows[np.argsort(-scores[rows], kind="stable")[:k]]
        return [(self._ids[row], float(scores[row])) for row in best]

    def count(self) -> int:
        return len(self._ids)

    def ping(self) -> bool:
        return True
