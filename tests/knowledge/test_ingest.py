from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge import CORPUS_DIR
from knowledge.dense import DenseIndex
from knowledge.embeddings import CachedEmbedder
from knowledge.ingest import IngestReport, index_paths, ingest
from knowledge.lexical import LexicalIndex
from knowledge.store import ChunkStore
from ops.fakes.embedder import HashEmbedder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "documents").mkdir(parents=True)
    (root / "aids").mkdir()
    for name in ("hdf-aide-implantation", "ademe-tremplin"):
        shutil.copy(CORPUS_DIR / "aids" / f"{name}.yaml", root / "aids")
    (root / "documents" / "a.md").write_text(
        "---\nid: doc-a\ntitle: Parasols\n---\n## Fabrication\nRelocaliser les parasols à Lille.")
    (root / "documents" / "b.md").write_text(
        "---\nid: doc-b\ntitle: Cartables\n---\n## Projet\nHamelin relocalise les cartables.")
    return root


def _run(settings: Settings, corpus: Path, embedder: HashEmbedder) -> IngestReport:
    cached = CachedEmbedder(embedder, path=index_paths(settings.knowledge)["cache"])
    return ingest(settings.knowledge, embedder=cached, corpus_dir=corpus, embedder_spec="test")


def _lexical_ids(settings: Settings, query: str) -> list[str]:
    paths = index_paths(settings.knowledge)
    store = ChunkStore.load(paths["chunks"])
    lexical = LexicalIndex.load(paths["lexical"])
    return [store.chunks[row].id for row, _ in lexical.query(query, lang="fr", k=10)]


def test_incremental_ingestion_is_idempotent_and_tracks_changes(
    tmp_path: Path, corpus: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    embedder = HashEmbedder()

    first = _run(settings, corpus, embedder)
    assert (len(first.added), first.updated, first.removed, first.unchanged) == (4, [], [], 0)
    assert first.embedded == 4

    second = _run(settings, corpus, embedder)
    assert (second.added, second.updated, second.removed, second.unchanged) == ([], [], [], 4)
    assert second.embedded == 0
    assert not second.changed

    (corpus / "documents" / "a.md").write_text(
        "---\nid: doc-a\ntitle: Parasols\n---\n## Fabrication\nRelocaliser les parasols à Arras.")
    (corpus / "documents" / "b.md").unlink()
    third = _run(settings, corpus, embedder)
    assert third.updated == ["doc:doc-a#0"]
    assert third.removed == ["doc:doc-b#0"]
    assert third.embedded == 1

    dense = DenseIndex.open(settings.knowledge, embedder_name=embedder.name)
    assert set(dense.hashes()) == {"aid:hdf-aide-implantation", "aid:ademe-tremplin",
                                   "doc:doc-a#0"}
    assert _lexical_ids(settings, "cartables Hamelin") == []
    assert _lexical_ids(settings, "parasols Arras")[0] == "doc:doc-a#0"


def test_reverting_a_change_reuses_the_embedding_cache(tmp_path: Path, corpus: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    embedder = HashEmbedder()
    _run(settings, corpus, embedder)
    original = (corpus / "documents" / "a.md").read_text()
    (corpus / "documents" / "a.md").write_text(original.replace("Lille", "Douai"))
    assert _run(settings, corpus, embedder).embedded == 1
    (corpus / "documents" / "a.md").write_text(original)
    report = _run(settings, corpus, embedder)
    assert report.updated == ["doc:doc-a#0"]
    assert report.embedded == 0


def test_switching_the_embedder_rebuilds_the_dense_index(tmp_path: Path, corpus: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    _run(settings, corpus, HashEmbedder("hash-a"))
    other = HashEmbedder("hash-b", dim=32)
    report = _run(settings, corpus, other)
    assert report.reset
    assert len(report.added) == 4
    assert report.embedded == 4
    dense = DenseIndex.open(settings.knowledge, embedder_name="hash-b")
    assert dense.collection.metadata["embedder"] == "hash-b"
    assert dense.count() == 4
    vector = other.embed_query("parasols Lille")
    assert dense.query(vector, k=1)[0][0] == "doc:doc-a#0"


def test_two_data_dirs_never_interfere(tmp_path: Path, corpus: Path) -> None:
    one = Settings(data_dir=tmp_path / "one", _env_file=None)
    two = Settings(data_dir=tmp_path / "two", _env_file=None)
    _run(one, corpus, HashEmbedder())
    (corpus / "documents" / "b.md").unlink()
    _run(two, corpus, HashEmbedder())
    assert DenseIndex.open(one.knowledge, embedder_name="hash-64").count() == 4
    assert DenseIndex.open(two.knowledge, embedder_name="hash-64").count() == 3
