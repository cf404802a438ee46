"""The embeddings of the shipped texts, computed once and shipped with the package.

``knowledge/data/corpus_vectors.npz`` holds, for the bundled embedder, one vector per text the
first start would otherwise embed: every chunk of the shipped corpus, the off-topic anchors
(passages) and the intent examples (queries). Keys are the embedding cache's keys,
``sha256(kind + "\\0" + text)`` of the exact text embedded; vectors are float32, exactly what
the model gives (float16 halved the file but moved near-tied results in 2 of the 131 evaluation
questions; a float16 file still reads, L2-normalised again). ``embedder`` is the identity of
the model that computed them (:func:`embedder_identity`): another embedder, or another build
of the model, never reads them.

Rebuilt with ``relocbot vectors`` (``make vectors``) after a corpus edit.

Usage::

    shipped = ShippedVectors()                          # read at the first lookup
    found = shipped.lookup(embedder_identity(inner), keys)   # {key: float32 vector}
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SHIPPED_VECTORS", "ShippedVectors", "cache_key", "embedder_identity"]

log = logging.getLogger(__name__)

Vector32 = npt.NDArray[np.float32]

SHIPPED_VECTORS = Path(__file__).resolve().parent / "data" / "corpus_vectors.npz"


def cache_key(kind: str, text: str) -> str:
    """The embedding cache's key of ``text`` embedded as a passage (``"p"``) or query (``"q"``)."""
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()


def embedder_identity(embedder: Any) -> str | None:
    """The model's identity (name, package version, fingerprint of its weights), or None for an
    embedder that cannot tell (a LangChain model, a fake): shipped vectors then never apply."""
    identity = getattr(embedder, "identity", None)
    return identity if isinstance(identity, str) and identity else None


class ShippedVectors:
    """Vectors by cache key, for one embedder identity; the file is read at the first use (a
    warm start, whose cache already holds everything, never reads it)."""

    def __init__(self, path: Path = SHIPPED_VECTORS) -> None:
        self.path = path
        self._identity: str | None = None
        self._rows: dict[str, int] = {}
        self._vectors: npt.NDArray[Any] = np.zeros((0, 0), dtype=np.float32)
        self._loaded = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            if not self.path.exists():
                log.info("no shipped vectors at %s: the first start embeds everything", self.path)
                return
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    identity, hashes, vectors = str(data["embedder"]), data["hashes"], \
                        data["vectors"]
            except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
                log.warning("shipped vectors %s unreadable, ignored: %s", self.path, exc)
                return
            self._identity, self._vectors = identity, vectors
            self._rows = {bytes(k).hex(): i for i, k in enumerate(hashes)}

    @property
    def identity(self) -> str | None:
        """The identity of the embedder that computed the vectors (None: no usable file)."""
        self._load()
        return self._identity

    @property
    def keys(self) -> set[str]:
        """The cache keys the file holds."""
        self._load()
        return set(self._rows)

    def __len__(self) -> int:
        self._load()
        return len(self._rows)

    def lookup(self, identity: str | None, keys: Iterable[str]) -> dict[str, Vector32]:
        """Float32, L2-normalised vectors of the keys the file holds; nothing for another
        embedder identity."""
        if identity is None or identity != self.identity:
            return {}
        wanted = [(k, self._rows[k]) for k in keys if k in self._rows]
        if not wanted:
            return {}
        rows = self._vectors[[row for _, row in wanted]]
        matrix = rows.astype(np.float32)
        if rows.dtype != np.float32:   # rounded: unit length again
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        return {k: matrix[i] for i, (k, _) in enumerate(wanted)}

    def raw(self, keys: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
        """The stored rows as they are (reused unchanged by an incremental rebuild)."""
        self._load()
        return {k: self._vectors[self._rows[k]] for k in keys if k in self._rows}

    @staticmethod
    def save(path: Path, identity: str, vectors: Mapping[str, npt.NDArray[Any]], *,
             dtype: type[np.floating[Any]] = np.float32) -> int:
        """Write ``{cache key: vector}`` sorted by key; returns the file's size in bytes."""
        keys = sorted(vectors)
        hashes = np.array([list(bytes.fromhex(k)) for k in keys], dtype=np.uint8).reshape(-1, 32)
        matrix = np.vstack([vectors[k] for k in keys]).astype(dtype) if keys \
            else np.zeros((0, 0), dtype=dtype)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, hashes=hashes, vectors=matrix, embedder=np.array(identity))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(path)
        return path.stat().st_size
