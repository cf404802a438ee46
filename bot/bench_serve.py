"""``relocbot serve`` under a loopback load of Telegram webhook posts, with 1 and 2 server
processes sharing one database and one Chroma server (the deployment shape of docker-compose).

Each simulated chat posts its messages one after the other (closed loop); the figure is
requests/s and p50/p95 from POST to 200 (the webhook answers after the reply is sent).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from adapters.telegram.bench import _fake_api_module, _questions
from bot.settings import Settings
from knowledge.ingest import index_paths

__all__ = ["run"]

Row = tuple[str, str, str, str]
SECRET = "bench-secret"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("a bench process exited early")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError("bench process did not start")


def _exe(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


async def _load(urls: list[str], *, chats: int, per_chat: int) -> tuple[float, list[float]]:
    make = _fake_api_module()
    questions = _questions()
    latencies: list[float] = []

    async def chat(client: httpx.AsyncClient, n: int) -> None:
        sender = make.user(900_000 + n)
        for i in range(per_chat):
            update = make.message_update(questions[(n + i) % len(questions)], sender=sender)
            started = time.perf_counter()
            response = await client.post(f"{urls[(n + i) % len(urls)]}/telegram/webhook",
                                         content=json.dumps(update), headers={
                                             "X-Telegram-Bot-Api-Secret-Token": SECRET,
                                             "Content-Type": "application/json"})
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=chats + 10, max_keepalive_connections=chats)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(chat(client, n) for n in range(chats)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def run(settings: Settings, *, chats: int = 200, per_chat: int = 3) -> list[Row]:
    """Rows for 1 and 2 ``serve`` processes; ``settings.data_dir`` holds a built index."""
    make = _fake_api_module()
    fake = make.FakeTelegramAPI()
    await fake.start()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        chroma_port = _port()
        chroma = subprocess.Popen([_exe("chroma"), "run", "--path", f"{tmp}/chroma", "--host",
                                   "127.0.0.1", "--port", str(chroma_port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        data = Path(tmp) / "data"
        cache = index_paths(settings.model_copy(update={"data_dir": data}))["cache"]
        cache.parent.mkdir(parents=True)
        if index_paths(settings)["cache"].exists():
            shutil.copy(index_paths(settings)["cache"], cache)
        env = {**os.environ, "RELOCBOT_DATA_DIR": str(data),
               "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
               "CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "TELEGRAM_BOT_TOKEN": make.TOKEN,
               "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": fake.base_url,
               "RELOCBOT_RATE_LIMIT_PER_MINUTE": "100000", "RELOCBOT_LOG_LEVEL": "WARNING",
               "ORT_DISABLE_TELEMETRY": "1"}
        try:
            await _wait(chroma_port, chroma)
            ingest = await asyncio.create_subprocess_exec(
                _exe("relocbot"), "ingest", env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL)
            await ingest.wait()
            single = 0.0
            for processes in (1, 2):
                procs, urls = [], []
                for _ in range(processes):
                    port = _port()
                    procs.append(subprocess.Popen([_exe("relocbot"), "serve", "--port", str(port)],
                                                  env=env, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL))
                    urls.append(f"http://127.0.0.1:{port}")
                for proc, url in zip(procs, urls, strict=True):
                    await _wait(int(url.rsplit(":", 1)[1]), proc)
                rate, latencies = await _load(urls, chats=chats, per_chat=per_chat)
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    await asyncio.to_thread(proc.wait, 60)
                single = single or rate
                p50, p95 = (float(np.percentile(np.array(latencies) * 1000, q)) for q in (50, 95))
                rows.append((f"serve, {processes} process(es), {chats} chats: requests/s",
                             f"{rate:.1f}", f"1 process {single:.1f}", f"{rate / single:.2f}"))
                rows.append((f"serve, {processes} process(es): p50 / p95 (ms)",
                             f"{p50:.0f} / {p95:.0f}", "in-process adapter: see telegram rows",
                             ""))
        finally:
            chroma.terminate()
            chroma.wait(10)
            await fake.stop()
    return rows
