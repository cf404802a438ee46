"""A stalled Chroma server (SIGSTOP: connections accepted, never answered), issue #13 item 3.

Chroma's HTTP client had no timeout: a search blocked its thread for good, and ``/readyz``
blocked the event loop, freezing all of ``serve``. Now every Chroma request has a timeout, a
stalled server is answered from the lexical index as a refused one is, and readiness is
checked off the event loop with a deadline. A watchdog resumes the server after a while, so
the old code fails these tests instead of hanging them."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.i18n import Catalog
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase
from knowledge.embeddings import CachedEmbedder
from knowledge.ingest import index_paths
from ops.fakes.embedder import HashEmbedder
from ops.runtime import Runtime, asgi_app
from tests.knowledge.test_chroma_server import _free_port

OPS = "stall-ops-token"
WATCHDOG_SECONDS = 40.0


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    exe = Path(sys.executable).with_name("chroma")
    port = _free_port()
    proc = subprocess.Popen(
        [str(exe) if exe.exists() else "chroma", "run", "--path", str(tmp_path / "chroma"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield f"http://127.0.0.1:{port}", proc
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=10)


def _small_kb(settings: Settings) -> KnowledgeBase:
    root = settings.data_dir.parent / "corpus"
    (root / "aids").mkdir(parents=True)
    for name in ("hdf-aide-implantation", "bpi-pret-nouvelle-industrie", "ademe-tremplin"):
        shutil.copy(CORPUS_DIR / "aids" / f"{name}.yaml", root / "aids")
    embedder = CachedEmbedder(HashEmbedder(), path=index_paths(settings.knowledge)["cache"])
    return KnowledgeBase.open(settings.knowledge, embedder=embedder, corpus_dir=root)


async def test_a_stalled_chroma_is_answered_from_the_lexical_index_and_serve_stays_up(
    chroma_server: tuple[str, subprocess.Popen[bytes]], kb: KnowledgeBase, db: Database,
    catalog: Catalog, tmp_path: Path,
) -> None:
    if not db.url.startswith("sqlite"):
        pytest.skip("the database plays no part here")
    url, proc = chroma_server
    settings = Settings(data_dir=tmp_path / "data", chroma_url=url,
                        chroma_timeout_seconds=1, min_dense=0.0, offtopic_margin=1.0,
                        ops_token=OPS, _env_file=None)
    server_kb = _small_kb(settings)
    assert not server_kb.search("prêt nouvelle industrie", lang="fr").degraded
    runtime = Runtime(settings=settings, kb=server_kb, db=db,
                      assistant=build_assistant(kb=kb, db=db, catalog=catalog, settings=settings))
    transport = httpx.ASGITransport(app=asgi_app(runtime, channels=[]))

    proc.send_signal(signal.SIGSTOP)
    watchdog = threading.Timer(WATCHDOG_SECONDS, proc.send_signal, args=(signal.SIGCONT,))
    watchdog.start()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://relocbot",
                                     headers={"Authorization": f"Bearer {OPS}"}) as http:
            ready, health = await asyncio.gather(http.get("/readyz"), http.get("/healthz"))
            assert health.status_code == 200
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"] == {"database": True, "index": True,
                                              "chroma": False}
        for _ in range(3):     # the first search times out, the next ones skip Chroma
            result = await asyncio.to_thread(server_kb.search, "prêt nouvelle industrie",
                                             lang="fr")
            assert result.degraded
            assert not result.declined
            assert result.hits[0].chunk.source_id == "bpi-pret-nouvelle-industrie"
    finally:
        watchdog.cancel()
        proc.send_signal(signal.SIGCONT)
