"""Slack adapter benchmark: signed Events API requests through the real bolt app and our
Starlette server, answered to a local fake Web API, beside the bare ``Assistant.handle`` on the
same questions at the same concurrency (the ratio is the adapter's overhead).

Each of ``threads`` concurrent Slack threads starts with an ``app_mention`` and continues with
follow-up messages (no mention), one at a time, as people do; latency is measured from sending
the request to the fake recording the ``chat.postMessage`` of that thread. State goes to a
temporary SQLite database, never to the runtime's own.

Usage::

    rows = await run(runtime, threads=50, events=500)
    for figure, value, baseline, ratio in rows:
        print(figure, value, baseline, ratio)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web
from pydantic import SecretStr
from starlette.types import ASGIApp, Message

from adapters.slack.channel import EVENTS_PATH
from bot.i18n import detect_language
from bot.messages import Incoming
from bot.storage import Database
from bot.wiring import build_assistant
from ops.channels import slack_channel
from ops.evaluation import load_items
from ops.fakes.loopback import (
    FakeProcess,
    serve_on_loopback,
    serve_until_stdin_closes,
    start_fake_process,
)
from ops.runtime import Runtime, asgi_app

__all__ = ["DEV_SET", "run"]

DEV_SET = Path(__file__).resolve().parent / "evalsets" / "dev.yaml"
Row = tuple[str, str, str, str]
_SECRET = "bench-signing-secret"  # noqa: S105 - signs requests to a local bench app only
_BOT = "U0BENCHBOT"


class _FakeWebAPI:
    """Answers every Web API call, in a process of its own (as Slack's servers are: its HTTP
    work does not share the bot's interpreter); each ``chat.postMessage``'s thread and wall
    time come back on its stdout, into per-thread queues."""

    def __init__(self) -> None:
        self.arrivals: dict[str, asyncio.Queue[float]] = defaultdict(asyncio.Queue)
        self.base_url = ""
        self._fake: FakeProcess | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._fake = await start_fake_process("ops.bench_slack")
        self.base_url = self._fake.url
        self._reader = asyncio.create_task(self._read(self._fake.stdout))

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            thread, _, at = line.decode().strip().partition(" ")
            self.arrivals[thread].put_nowait(float(at))

    def cpu_seconds(self) -> float:
        """The fake's process's CPU time so far (0.0 before ``start``)."""
        return self._fake.cpu_seconds() if self._fake is not None else 0.0

    async def stop(self) -> None:
        if self._fake is not None:
            await self._fake.stop()
        if self._reader is not None:
            await self._reader


async def _serve_fake() -> None:
    """The fake's process: prints its base URL, then one ``thread_ts time`` line per
    ``chat.postMessage``, until stdin closes."""

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T0BENCH", "user_id": _BOT,
                                      "bot_id": "B0BENCH"})
        if method == "chat.postMessage":
            body = await request.json()
            print(f"{body.get('thread_ts')} {time.time()}", flush=True)
        return web.json_response({"ok": True, "ts": "1.0"})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    runner, port = await serve_on_loopback(app)
    await serve_until_stdin_closes(f"http://127.0.0.1:{port}/api/")
    await runner.cleanup()


def _signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                  "X-Slack-Signature": "v0=" + digest.hexdigest()}


async def _post(app: ASGIApp, body: bytes, headers: dict[str, str]) -> int:
    """One ``POST`` of ``body`` to the events path, straight through the ASGI app (our
    Starlette server, its middleware and bolt): Slack's side of the HTTP exchange is not the
    bot's work (an HTTP client here would add its own CPU to the bot process's). The status."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": EVENTS_PATH, "raw_path": EVENTS_PATH.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("bench", 80),
             "headers": [(b"host", b"bench"), (b"content-length", str(len(body)).encode()),
                         *((k.lower().encode(), v.encode()) for k, v in headers.items())]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


def _event(thread: int, turn: int, question: str) -> dict[str, Any]:
    root = f"1700000000.{thread:06d}"
    event: dict[str, Any] = {"type": "message", "channel": "C0BENCH", "channel_type": "channel",
                             "user": f"U0USER{thread:04d}", "text": question,
                             "ts": f"{1700000001 + turn}.{thread:06d}", "thread_ts": root}
    if turn == 0:
        event.update(type="app_mention", text=f"<@{_BOT}> {question}", ts=root)
        del event["thread_ts"], event["channel_type"]
    return {"type": "event_callback", "team_id": "T0BENCH", "api_app_id": "A0BENCH",
            "event_id": f"Ev{thread:05d}{turn:05d}", "event": event, "event_time": 0}


async def _concurrently(threads: int, events: int, one: Callable[[int, int], Awaitable[float]]
                        ) -> tuple[list[float], float, float]:
    """Run ``events`` calls of ``one(thread, turn)`` over ``threads`` sequential workers;
    returns (latencies in s, wall time in s, CPU ms per call of this process: the fake Web
    API's own work, in its process, is not counted, as Slack's servers would not be)."""
    per_thread = [events // threads + (1 if i < events % threads else 0) for i in range(threads)]

    async def worker(thread: int) -> list[float]:
        return [await one(thread, turn) for turn in range(per_thread[thread])]

    started, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(worker(i) for i in range(threads)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    samples = [x for r in results for x in r]
    return samples, wall, cpu * 1000 / max(len(samples), 1)


def _pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q)) if samples else float("nan")


async def run(runtime: Runtime, *, threads: int = 50, events: int = 500,
              questions: Sequence[str] | None = None) -> list[Row]:
    """Signed Slack events/s and p50/p95 request -> ``chat.postMessage`` latency at
    ``threads`` concurrent threads, beside the bare Assistant; rows are
    ``(figure, value, baseline, ratio)``.

    Usage::

        rows = await run(runtime, threads=50, events=500)
    """
    pool = list(questions) if questions else [item.q for item in load_items(DEV_SET)]
    fake = _FakeWebAPI()
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="relocbot-slack-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        settings = runtime.settings.model_copy(update={
            "data_dir": Path(tmp), "slack_bot_token": SecretStr("xoxb-bench"),
            "slack_signing_secret": SecretStr(_SECRET), "slack_api_base_url": fake.base_url,
            "rate_limit_per_minute": 1_000_000})
        assistant = build_assistant(kb=runtime.kb, db=db, catalog=runtime.assistant.catalog,
                                    settings=settings)
        for text in dict.fromkeys(pool):  # warm caches once, for both measurements
            await assistant.compose(text, detect_language(text))
        bench_runtime = Runtime(settings=settings, kb=runtime.kb, db=db, assistant=assistant)
        channel = slack_channel(bench_runtime)
        await channel.start()
        app = asgi_app(bench_runtime, channels=[channel])
        answered = 0

        def question(thread: int, turn: int) -> str:
            return pool[(thread * 7 + turn) % len(pool)]

        async def via_slack(thread: int, turn: int) -> float:
            nonlocal answered
            body, headers = _signed(_event(thread, turn, question(thread, turn)))
            arrivals = fake.arrivals[f"1700000000.{thread:06d}"]
            while not arrivals.empty():  # a second message of the previous answer, if any
                arrivals.get_nowait()
            started = time.time()   # wall clock: the fake stamps arrivals in its process
            status = await _post(app, body, headers)
            if status != 200:
                raise RuntimeError(f"the Slack endpoint answered {status}")
            arrived = await asyncio.wait_for(arrivals.get(), 60)
            answered += 1
            return arrived - started

        async def bare(thread: int, turn: int) -> float:
            incoming = Incoming(channel="bench", conversation_key=f"bench:{thread}",
                                user_id=f"bench{thread}", text=question(thread, turn),
                                event_id=f"Ev{thread:05d}{turn:05d}")  # deduplicated alike
            started = time.perf_counter()
            await assistant.handle(incoming)
            return time.perf_counter() - started

        try:
            base, base_wall, base_cpu = await _concurrently(threads, events, bare)
            fake_cpu = fake.cpu_seconds()
            slack, slack_wall, cpu = await _concurrently(threads, events, via_slack)
            fake_ms = (fake.cpu_seconds() - fake_cpu) * 1000 / events
        finally:
            await channel.stop()
            await db.close()
            await fake.stop()
    rate, base_rate = len(slack) / slack_wall, len(base) / base_wall
    rows: list[Row] = [(f"slack events/s ({threads} threads)", f"{rate:.1f}",
                        f"{base_rate:.1f} (bare Assistant)", f"{rate / base_rate:.2f}")]
    for q in (50, 95):
        value, baseline = _pct(slack, q), _pct(base, q)
        rows.append((f"slack p{q} request->postMessage (ms)", f"{value:.1f}",
                     f"{baseline:.1f} (bare handle)", f"{value / baseline:.2f}"))
    rows += [("slack CPU per event (ms, bot process)", f"{cpu:.1f}",
              f"{base_cpu:.1f} (bare Assistant)", f"{cpu / base_cpu:.2f}"),
             ("slack events answered", f"{answered}/{events}", "", "")]
    if fake_ms > 0:  # measurable (clock ticks of 10 ms) over enough events
        rows.append(("fake Web API CPU per event (ms, its own process, same 2 cores)",
                     f"{fake_ms:.1f}", f"{cpu:.1f} bot process", f"{fake_ms / cpu:.2f}"))
    return rows


if __name__ == "__main__":
    asyncio.run(_serve_fake())
