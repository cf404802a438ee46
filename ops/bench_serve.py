"""``relocbot serve`` under a loopback load of Telegram webhook posts, with 1 and 2 server
processes sharing one database and one Chroma server (the deployment shape of docker-compose).

Each simulated chat posts its messages one after the other (closed loop); the figure is
requests/s and p50/p95 from POST to 200 (the webhook answers after the reply is sent).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time

import httpx
import numpy as np

from bot.settings import Settings
from ops.bench_telegram import _questions
from ops.fakes import telegram_api
from ops.loadstack import (
    SECRET,
    exe,
    free_port,
    ingest,
    stack_env,
    start_chroma,
    terminate,
    wait_port,
)

__all__ = ["run"]

Row = tuple[str, str, str, str]


async def _load(urls: list[str], *, chats: int, per_chat: int) -> tuple[float, list[float]]:
    make = telegram_api
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
    make = telegram_api
    fake = make.FakeTelegramAPI()
    await fake.start()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        chroma_port = free_port()
        chroma = await start_chroma(tmp, chroma_port)
        env = stack_env(settings, tmp, chroma_port=chroma_port, api_base_url=fake.base_url,
                        token=make.TOKEN, database_url=f"sqlite:///{tmp}/bench.db")
        try:
            await wait_port(chroma_port, chroma)
            await ingest(env)
            single = 0.0
            for processes in (1, 2):
                procs: list[asyncio.subprocess.Process] = []
                urls: list[str] = []
                for _ in range(processes):
                    port = free_port()
                    procs.append(await asyncio.create_subprocess_exec(
                        exe("relocbot"), "serve", "--port", str(port), env=env,
                        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL))
                    urls.append(f"http://127.0.0.1:{port}")
                for proc, url in zip(procs, urls, strict=True):
                    await wait_port(int(url.rsplit(":", 1)[1]), proc)
                rate, latencies = await _load(urls, chats=chats, per_chat=per_chat)
                await asyncio.wait_for(asyncio.gather(*(terminate(p) for p in procs)), 60)
                single = single or rate
                p50, p95 = (float(np.percentile(np.array(latencies) * 1000, q)) for q in (50, 95))
                rows.append((f"serve, {processes} process(es), {chats} chats: requests/s",
                             f"{rate:.1f}", f"1 process {single:.1f}", f"{rate / single:.2f}"))
                rows.append((f"serve, {processes} process(es): p50 / p95 (ms)",
                             f"{p50:.0f} / {p95:.0f}", "in-process adapter: see telegram rows",
                             ""))
        finally:
            await asyncio.wait_for(terminate(chroma), 10)
            await fake.stop()
    return rows
