"""A deterministic embedder implementing our ``Embedder`` protocol (bag of hashed words)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from knowledge.lexical import tokenize


class HashEmbedder:
    def __init__(self, name: str = "hash-64", dim: int = 64) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for token in tokenize(text, "fr") or ["_"]:
            vec[int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dim] += 1.0
        return vec / (np.linalg.norm(vec) or 1.0)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)
