"""``make soak``: 50 simulated Telegram chats for several minutes through ``relocbot serve``
and a fake Bot API, with faults on a schedule; prints messages handled, errors, p50/p95/p99,
RSS at start and end, and leads submitted vs stored vs delivered (exactly once per key).

Faults: the Bot API answers 500 to a burst of sendMessage calls (every 45 s), and the Chroma
server is stopped for 20 s then restarted (once, mid-run: answers go lexical-only).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from bot.settings import Settings
from bot.storage import Database
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

FORM = ["/conseiller", "lf:consent:yes", "Soak {n}", "lf:skip", "Valenciennes", "40", "lf:skip",
        "Chemises", "lf:skip", "lf:choice:pret", "lf:choice:inconnu", "Soak", "soak{n}@example.org",
        "lf:skip", "lf:confirm"]


def _log_errors(path: Path) -> tuple[int, int, Counter[str]]:
    """(ERROR lines, unhandled exceptions, ERROR messages by count) in the server's JSON log.
    Errors our handlers answered politely (e.g. the Bot API's scheduled 500s) are ERROR lines;
    an exception that escaped to uvicorn ("Exception in ASGI application") or a non-JSON
    traceback is unhandled. Messages are our own fixed texts (never user data)."""
    errors = unhandled = 0
    kinds: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            unhandled += line.startswith("Traceback")
            continue
        if record.get("level") == "ERROR":
            errors += 1
            unhandled += record.get("logger", "").startswith("uvicorn")
            kinds[str(record.get("event") or record.get("message") or "")[:80]] += 1
    return errors, unhandled, kinds


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(settings: Settings, *, minutes: float, chats: int = 50, lead_chats: int = 5,
              think: float = 0.0, keep_log: Path | None = None) -> dict[str, float | int | str]:
    """``think``: mean pause (s) of a simulated person between an answer and their next
    message (uniform in [0.5, 1.5] x think); 0 sends back to back (saturation)."""
    pace = random.Random(8)  # noqa: S311 - seeded pauses of simulated people, not security
    make = telegram_api
    fake = make.FakeTelegramAPI()
    await fake.start()
    questions = _questions()
    ids = itertools.count(1)
    stats: dict[str, float | int | str] = {"messages": 0, "errors": 0, "leads_submitted": 0}
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        chroma_port = free_port()
        chromas = [await start_chroma(tmp, chroma_port)]  # the second one after the fault
        data = Path(tmp) / "data"
        db_url = f"sqlite:///{tmp}/soak.db"
        env = stack_env(settings, tmp, chroma_port=chroma_port, api_base_url=fake.base_url,
                        token=make.TOKEN, database_url=db_url,
                        RELOCBOT_OUTBOX_BACKOFF_SECONDS="1")
        port = free_port()
        serve: asyncio.subprocess.Process | None = None
        try:
            await wait_port(chroma_port, chromas[0])
            await ingest(env)
            log_path = Path(tmp) / "serve.log"
            with log_path.open("wb") as log_file:  # the child writes to its own copy
                serve = await asyncio.create_subprocess_exec(
                    exe("relocbot"), "--log-format", "json", "serve", "--port", str(port),
                    env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT)
            await wait_port(port, serve)
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET,
                       "Content-Type": "application/json"}
            deadline = time.monotonic() + minutes * 60
            rss: dict[str, float] = {}

            async def post(client: httpx.AsyncClient, update: dict[str, object]) -> None:
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=json.dumps(update),
                                                 headers=headers)
                    if response.status_code != 200:
                        stats["errors"] = int(stats["errors"]) + 1
                except httpx.HTTPError:
                    stats["errors"] = int(stats["errors"]) + 1
                latencies.append(time.perf_counter() - started)
                stats["messages"] = int(stats["messages"]) + 1
                if think > 0:
                    await asyncio.sleep(think * pace.uniform(0.5, 1.5))

            async def asker(client: httpx.AsyncClient, n: int) -> None:
                sender = make.user(700_000 + n)
                for i in itertools.count():
                    if time.monotonic() > deadline:
                        return
                    await post(client, make.message_update(
                        questions[(n + i) % len(questions)], sender=sender))

            async def leader(client: httpx.AsyncClient, n: int) -> None:
                sender = make.user(800_000 + n)
                while time.monotonic() < deadline - 20:
                    k = next(ids)
                    for step in FORM:
                        value = step.format(n=k)
                        update = (make.callback_update(value, sender=sender)
                                  if value.startswith("lf:") else
                                  make.message_update(value, sender=sender))
                        await post(client, update)
                    stats["leads_submitted"] = int(stats["leads_submitted"]) + 1

            async def faults() -> None:
                started = time.monotonic()
                chroma_stopped = False
                while time.monotonic() < deadline:
                    await asyncio.sleep(5)
                    elapsed = time.monotonic() - started
                    if "start" not in rss and elapsed > 20:
                        rss["start"] = _rss_mb(serve.pid) if serve else 0.0
                    if int(elapsed) % 45 < 5:
                        fake.fail("sendMessage", times=5)
                    if not chroma_stopped and elapsed > minutes * 30:
                        chromas[0].terminate()
                        await asyncio.sleep(20)
                        chromas.append(await start_chroma(tmp, chroma_port))
                        chroma_stopped = True

            limits = httpx.Limits(max_connections=chats + 10)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                await asyncio.gather(*(asker(client, n) for n in range(chats - lead_chats)),
                                     *(leader(client, n) for n in range(lead_chats)), faults())
            rss["end"] = _rss_mb(serve.pid)
            await asyncio.sleep(8)                       # let the embedded worker deliver
            exit_code = await asyncio.wait_for(terminate(serve), 60)
            db = Database(Settings(database_url=db_url, _env_file=None).sqlalchemy_url)
            stored = await db.leads.count()
            sent = await db.outbox.count(status="sent")
            keys = await db.outbox.count_keys()
            await db.close()
            inbox = len(list((data / "inbox").glob("*.json"))) if (data / "inbox").exists() else 0
            errors, unhandled, kinds = _log_errors(log_path)
            if keep_log is not None:
                shutil.copy(log_path, keep_log)
            arr = np.array(latencies) * 1000
            stats.update({
                "minutes": minutes, "chats": chats, "think_s": think,
                "serve_exit_code": exit_code,
                "p50_ms": round(float(np.percentile(arr, 50))),
                "p95_ms": round(float(np.percentile(arr, 95))),
                "p99_ms": round(float(np.percentile(arr, 99))),
                "rss_start_mb": round(rss.get("start", 0.0)), "rss_end_mb": round(rss["end"]),
                "leads_stored": stored, "outbox_sent": sent, "outbox_keys": keys,
                "inbox_files": inbox, "error_log_lines": errors, "unhandled_exceptions": unhandled,
                "error_kinds": "; ".join(f"{k} x{n}" for k, n in kinds.most_common(5)) or "-",
            })
        finally:
            if serve is not None and serve.returncode is None:
                serve.kill()
                await serve.wait()
            await asyncio.wait_for(asyncio.gather(*(terminate(c) for c in chromas)), 10)
            await fake.stop()
    return stats
