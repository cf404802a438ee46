"""The chat opens at once when the index must be built (issue #17): the lexical index answers,
saying so, while the dense index is built in a background thread; then searches are hybrid."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.answering import Answerer
from bot.i18n import Catalog
from knowledge.base import KnowledgeBase
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import CachedEmbedder
from knowledge.ingest import index_is_fresh, index_paths, ingest_lexical
from ops.fakes.embedder import HashEmbedder

QUESTION = "aide à l'implantation d'une usine dans les Hauts-de-France"


class GatedEmbedder(HashEmbedder):
    """Another embedder than the shipped one (everything must be embedded), whose background
    build waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(name="gated-hash-64")
        self.gate = threading.Event()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if threading.current_thread().name == "relocbot-dense-build":
            assert self.gate.wait(60), "the test never opened the gate"
        return super().embed_passages(texts)


@pytest.fixture
def gated(tmp_path: Path) -> tuple[KnowledgeConfig, GatedEmbedder, CachedEmbedder]:
    config = KnowledgeConfig(data_dir=tmp_path / "data")
    inner = GatedEmbedder()
    return config, inner, CachedEmbedder(inner, path=index_paths(config)["cache"])


def test_searches_are_lexical_and_say_so_until_the_dense_index_is_built(
    gated: tuple[KnowledgeConfig, GatedEmbedder, CachedEmbedder]
) -> None:
    config, inner, embedder = gated
    kb = KnowledgeBase.open(config, embedder=embedder, background=True)
    build = kb.building
    assert build is not None
    assert not build.finished
    during = kb.search(QUESTION, lang="fr")
    assert during.building == 0.0
    assert during.degraded
    assert during.hits            # the keyword search answers meanwhile
    assert not index_is_fresh(config, Path(build.corpus_dir))

    inner.gate.set()
    assert build.wait(120)
    assert build.error is None
    assert kb.building is None
    after = kb.search(QUESTION, lang="fr")
    assert after.building is None
    assert not after.degraded
    assert any(h.dense is not None for h in after.hits)
    state = json.loads(index_paths(config)["state"].read_text(encoding="utf-8"))
    assert state["dense_complete"] is True
    assert build.done == build.total == state["chunks"]


def test_an_interrupted_build_is_done_again_at_the_next_start(
    gated: tuple[KnowledgeConfig, GatedEmbedder, CachedEmbedder]
) -> None:
    config, inner, embedder = gated
    ingest_lexical(config, embedder_name=embedder.name)     # the process stopped here
    inner.gate.set()
    kb = KnowledgeBase.open(config, embedder=embedder)      # a blocking start
    assert kb.building is None
    assert not kb.search(QUESTION, lang="fr").degraded
    state = json.loads(index_paths(config)["state"].read_text(encoding="utf-8"))
    assert state["dense_complete"] is True


def test_an_answer_given_during_the_build_carries_the_note(
    gated: tuple[KnowledgeConfig, GatedEmbedder, CachedEmbedder]
) -> None:
    config, inner, embedder = gated
    catalog = Catalog.load()
    kb = KnowledgeBase.open(config, embedder=embedder, background=True)
    answerer = Answerer.build(kb=kb, catalog=catalog, top_k=8)
    during = asyncio.run(answerer.compose(QUESTION, "fr"))
    inner.gate.set()
    build = kb.building
    assert build is not None
    assert build.wait(120)
    after = asyncio.run(answerer.compose(QUESTION, "fr"))
    note = catalog.t("index_building", "fr", percent=0)
    assert not during.declined
    assert during.blocks[-1] == note
    assert note not in after.blocks
