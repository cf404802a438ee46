"""The index in server mode: a real ``chroma run`` on 127.0.0.1, reached through CHROMA_URL."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase
from knowledge.embeddings import CachedEmbedder
from knowledge.ingest import index_paths
from ops.fakes.embedder import HashEmbedder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI (installed with chromadb) is missing")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(exe) if exe.exists() else "chroma", "run", "--path", str(path), "--host",
         "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "aids").mkdir(parents=True)
    for name in ("hdf-aide-implantation", "bpi-pret-nouvelle-industrie", "ademe-tremplin"):
        shutil.copy(CORPUS_DIR / "aids" / f"{name}.yaml", root / "aids")
    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_url, _env_file=None)
    embedder = CachedEmbedder(HashEmbedder(), path=index_paths(settings.knowledge)["cache"])
    report = KnowledgeBase.build(settings.knowledge, embedder=embedder, corpus_dir=root)
    assert len(report.added) == 3
    assert not (settings.index_dir / "chroma").exists()  # nothing embedded locally
    kb = KnowledgeBase.open(settings.knowledge, embedder=embedder, corpus_dir=root)
    assert kb.retriever.dense.ping()
    assert kb.retriever.dense.count() == 3
    hits = kb.retriever.dense.query(embedder.embed_query("prêt nouvelle industrie"), k=3)
    assert hits[0][0] == "aid:bpi-pret-nouvelle-industrie"
    again = KnowledgeBase.build(settings.knowledge, embedder=embedder, corpus_dir=root)
    assert again.unchanged == 3
    assert not again.changed


def test_chroma_down_falls_back_to_lexical_results(chroma_url: str, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Runs last in this module: it stops the server."""
    root = tmp_path / "corpus"
    (root / "aids").mkdir(parents=True)
    for name in ("hdf-aide-implantation", "bpi-pret-nouvelle-industrie", "ademe-tremplin"):
        shutil.copy(CORPUS_DIR / "aids" / f"{name}.yaml", root / "aids")
    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_url, _env_file=None,
                        min_dense=0.0, offtopic_margin=1.0)
    embedder = CachedEmbedder(HashEmbedder(), path=index_paths(settings.knowledge)["cache"])
    kb = KnowledgeBase.open(settings.knowledge, embedder=embedder, corpus_dir=root)
    healthy = kb.search("prêt nouvelle industrie", lang="fr")
    assert not healthy.degraded
    port = int(chroma_url.rsplit(":", 1)[1])
    for proc_dir in Path("/proc").iterdir():       # stop the server this module started
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run" in cmdline and str(port).encode() in cmdline and any(
                b"chroma" in part for part in cmdline):
            os.kill(int(proc_dir.name), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and kb.retriever.dense.ping():
        time.sleep(0.2)
    with caplog.at_level(logging.WARNING):
        degraded = kb.search("prêt nouvelle industrie", lang="fr")
    assert degraded.degraded
    assert not degraded.declined
    assert degraded.hits[0].chunk.source_id == "bpi-pret-nouvelle-industrie"
    assert "lexical results only" in caplog.text
