"""The exact in-memory search ranks the shipped index as Chroma does (``knowledge.exact``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.dense import DenseIndex
from knowledge.exact import ExactDense
from knowledge.store import ChunkStore
from ops.evaluation import load_items

DEV = Path(__file__).resolve().parents[2] / "ops" / "evalsets" / "dev.yaml"
QUESTIONS = [item.q for item in load_items(DEV)][:80]
FILTERS = [None, {"kind": ["aid"]}, {"kind": ["partner", "cci"], "department": "62"},
           {"kind": ["aid"], "exclude_status": ["closed"]}]


@pytest.fixture(scope="module")
def both(kb: KnowledgeBase, kb_settings: Settings) -> tuple[DenseIndex, ExactDense]:
    embedder = kb.retriever.embedder
    exact = ExactDense.open(kb.retriever.store, embedder=embedder)
    assert exact is not None
    chroma = DenseIndex.open(kb_settings.knowledge, embedder_name=embedder.name)
    return chroma, exact


@pytest.mark.parametrize("filters", FILTERS)
def test_exact_search_ranks_as_chroma_does(kb: KnowledgeBase, both: tuple[DenseIndex, ExactDense],
                                           filters: dict[str, object] | None) -> None:
    chroma, exact = both
    same_top, overlap = 0, 0.0
    for question in QUESTIONS:
        vector = kb.retriever.embedder.embed_query(question)
        want = chroma.query(vector, k=30, filters=filters)
        got = exact.query(vector, k=30, filters=filters)
        assert len(got) == len(want)
        same_top += got[0][0] == want[0][0]
        overlap += len({c for c, _ in got} & {c for c, _ in want}) / len(want)
        chroma_says = dict(want)
        for cid, similarity in got:   # Chroma's float32 kernels round a little differently
            if cid in chroma_says:
                assert similarity == pytest.approx(chroma_says[cid], abs=2e-3)
    assert same_top == len(QUESTIONS)
    assert overlap / len(QUESTIONS) >= 0.98


def test_filters_keep_only_matching_chunks(kb: KnowledgeBase,
                                           both: tuple[DenseIndex, ExactDense]) -> None:
    _, exact = both
    store = kb.retriever.store
    vector = kb.retriever.embedder.embed_query("prêt pour une usine dans le Pas-de-Calais")
    hits = exact.query(vector, k=500, filters={"kind": ["aid"], "department": "62"})
    allowed = store.mask({"kind": ["aid"], "department": "62"})
    assert allowed is not None
    assert len(hits) == int(allowed.sum()) > 0
    assert all(store.chunks[store.row[c]].kind == "aid" for c, _ in hits)
    assert exact.query(vector, k=5, filters={"kind": ["nothing"]}) == []


def test_open_without_every_vector_cached_gives_none(kb: KnowledgeBase) -> None:
    store = ChunkStore([*kb.retriever.store.chunks[:3],
                        kb.retriever.store.chunks[0].model_copy(update={"text": "jamais vu"})])
    assert ExactDense.open(store, embedder=kb.retriever.embedder) is None


_READER = """
import json, sys
from bot.settings import Settings
from knowledge.base import KnowledgeBase
kb = KnowledgeBase.open(Settings(data_dir=sys.argv[1], _env_file=None).knowledge, exact=True)
result = kb.search(sys.argv[2], lang="fr")
print(json.dumps({"chroma": "chromadb" in sys.modules, "exact": type(kb.retriever.dense).__name__,
                  "hits": [h.chunk.id for h in result.hits], "declined": result.declined}))
"""


def test_a_reading_process_searches_exactly_without_importing_chroma(
        kb: KnowledgeBase, kb_settings: Settings) -> None:
    question = "Quel est le montant du Prêt Nouvelle Industrie ?"
    out = subprocess.run([sys.executable, "-c", _READER, str(kb_settings.data_dir), question],
                         capture_output=True, text=True, check=True, timeout=120,
                         env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"})
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["exact"] == "ExactDense"
    assert seen["chroma"] is False
    assert seen["declined"] is False
    assert seen["hits"] == [h.chunk.id for h in kb.search(question, lang="fr").hits]
