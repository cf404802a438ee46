"""Throughput and latency of the Telegram adapter, beside the bare Assistant (not a test).

``chats`` simulated users each send ``messages / chats`` questions from the development set,
one after the other (a person waits for the answer); all users talk at once. The adapter run
feeds each update as the webhook route does (``channel.process_payload(update_dict)``: the
channel's handling, replies through the real PTB ``Application``'s bot and its HTTP requests)
to the local fake Bot API, which runs in a process of its own as Telegram's servers would
(its HTTP work does not share the bot's interpreter); latency runs from the update's arrival
until its handling, replies sent, is over.
The baseline is the same load on ``assistant.handle``; the two take turns (half of each,
twice), so that the machine's drift weighs on both alike. Both runs use a throw-away SQLite
database, no rate limit, extractive answers, and a warm index.

Usage::

    rows = await run(runtime, chats=50, messages=1000)
    for figure, value, baseline, ratio in rows:
        print(figure, value, baseline, ratio)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr

from adapters.telegram.channel import TelegramChannel, TelegramConfig
from bot.messages import Incoming
from bot.storage import Database
from bot.wiring import build_assistant
from ops.evaluation import load_items
from ops.fakes import telegram_api
from ops.fakes.loopback import start_fake_process
from ops.runtime import Runtime

__all__ = ["run"]

DEV_SET = Path(__file__).resolve().parent / "evalsets" / "dev.yaml"
Row = tuple[str, str, str, str]


def _questions() -> list[str]:
    return [item.q for item in load_items(DEV_SET)]


@dataclass
class _Run:
    """What a load measured: messages, wall and CPU seconds of this process, latencies."""

    messages: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / max(self.messages, 1)

    def add(self, other: _Run) -> None:
        self.messages += other.messages
        self.seconds += other.seconds
        self.cpu_seconds += other.cpu_seconds
        self.latencies.extend(other.latencies)


async def _load(chats: int, messages: int, send: Callable[[int, int, str], Awaitable[float]],
                *, first: int = 0) -> _Run:
    """Run ``chats`` users concurrently, sending messages ``first`` to ``first + messages -
    1``; CPU is this process's: the fake Bot API's own work, in its process, is not counted,
    as Telegram's servers would not be."""
    questions = _questions()
    per_chat = [messages // chats + (1 if c < messages % chats else 0) for c in range(chats)]
    latencies: list[float] = []
    counter = itertools.count(first)

    async def person(chat: int) -> None:
        for _ in range(per_chat[chat]):
            n = next(counter)
            latencies.append(await send(chat, n, questions[n % len(questions)]))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(person(c) for c in range(chats)))
    return _Run(len(latencies), time.perf_counter() - started, time.process_time() - cpu,
                latencies)


def _update(chat: int, n: int, text: str) -> dict[str, Any]:
    person = {"id": 7_000_000 + chat, "is_bot": False, "first_name": "Bench",
              "language_code": "fr"}
    return {"update_id": 9_000_000 + n, "message": {
        "message_id": n + 1, "date": int(time.time()), "from": person, "text": text,
        "chat": {"id": person["id"], "type": "private", "first_name": "Bench"}}}


async def run(runtime: Runtime, *, chats: int = 50, messages: int = 1000) -> list[Row]:
    """Measure the adapter against the bare Assistant; returns (figure, value, baseline,
    ratio) rows. Usage::

        rows = await run(runtime, chats=10, messages=200)
    """

    fakes = telegram_api
    fake = await start_fake_process("ops.fakes.telegram_api")
    base_url = fake.url
    quiet = logging.getLogger("relocbot.messages")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # one INFO line per event would be measured too
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        settings = runtime.settings.model_copy(update={
            "rate_limit_per_minute": 10**9, "telegram_bot_token": SecretStr(fakes.TOKEN),
            "telegram_api_base_url": base_url,
            "telegram_webhook_secret": SecretStr(secrets.token_urlsafe(16))})
        assistant = build_assistant(kb=runtime.kb, db=db, catalog=runtime.assistant.catalog,
                              settings=settings)
        channel = TelegramChannel(assistant, config=TelegramConfig.from_settings(settings))
        try:
            for question in _questions()[:messages]:  # warm both paths alike
                await assistant.compose(question, "fr")

            async def bare(chat: int, n: int, text: str) -> float:
                started = time.perf_counter()
                await assistant.handle(Incoming(
                    channel="bench", conversation_key=f"bench:{chat}", user_id=str(chat),
                    text=text, lang_hint="fr", event_id=f"bench:{n}"))
                return time.perf_counter() - started

            await channel.start()
            # The two loads take turns (half of each, twice), so that a machine slowing down
            # or speeding up mid-run weighs on both alike.
            base, adapter, fake_seconds, sender = _Run(), _Run(), 0.0, _sender(channel)
            halves = (messages // 2, messages - messages // 2)
            for first, count in zip((0, halves[0]), halves, strict=True):
                base.add(await _load(chats, count, bare, first=first))
                fake_cpu = fake.cpu_seconds()
                adapter.add(await _load(chats, count, sender, first=first))
                fake_seconds += fake.cpu_seconds() - fake_cpu
            fake_ms = fake_seconds * 1000 / messages
            flood = await _flood_rows(runtime, settings, db, messages=messages // 5)
        finally:
            await channel.stop()
            await db.close()
            await fake.stop()
            quiet.setLevel(level)
    cpu, base_cpu = adapter.cpu_ms, base.cpu_ms
    cpu_rows: list[Row] = [
        ("telegram CPU per message (ms, bot process)", f"{cpu:.1f}", f"{base_cpu:.1f}",
         f"{cpu / base_cpu:.2f}")]
    if fake_ms > 0:  # measurable (clock ticks of 10 ms) over enough messages
        cpu_rows.append(("fake Bot API CPU per message (ms, its own process, same 2 cores)",
                         f"{fake_ms:.1f}", f"{cpu:.1f} bot process", f"{fake_ms / cpu:.2f}"))
    return [*_rows(adapter.rate, adapter.latencies, base.rate, base.latencies), *cpu_rows,
            *flood]


def _sender(channel: Any, *, chats_from: int = 0,
            updates_from: int = 0) -> Callable[[int, int, str], Awaitable[float]]:
    """Feed one update to the channel as the webhook route does (the JSON body decoded);
    latency until its handling (the replies sent to the fake Bot API) is over."""

    async def send(chat: int, n: int, text: str) -> float:
        chat, n = chat + chats_from, n + updates_from
        body = json.dumps(_update(chat, n, text))
        started = time.perf_counter()
        await channel.process_payload(json.loads(body))
        return time.perf_counter() - started

    return send


async def _flood_rows(runtime: Runtime, settings: Any, db: Database, *,
                      messages: int) -> list[Row]:
    """Ten users ask questions, first alone, then while one user sends 1,000 messages at once
    (per-user limit 20/min): their p95 beside the quiet run's."""

    limited = settings.model_copy(update={"rate_limit_per_minute": 20})
    assistant = build_assistant(kb=runtime.kb, db=db, catalog=runtime.assistant.catalog,
                          settings=limited)
    channel = TelegramChannel(assistant, config=TelegramConfig.from_settings(limited))
    await channel.start()
    try:
        quiet = (await _load(10, messages, _sender(
            channel, chats_from=1000, updates_from=100_000))).latencies
        flooder = _sender(channel, chats_from=2000, updates_from=200_000)
        flood = asyncio.gather(*(flooder(0, i, f"/aide {i}") for i in range(1000)))
        loud = (await _load(10, messages, _sender(
            channel, chats_from=3000, updates_from=300_000))).latencies
        await flood
    finally:
        await channel.stop()
    q95, l95 = float(np.percentile(quiet, 95) * 1000), float(np.percentile(loud, 95) * 1000)
    return [("telegram p95 of 10 users during a 1,000-message flood (ms)", f"{l95:.1f}",
             f"{q95:.1f} without", f"{l95 / q95:.2f}")]


def _rows(rate: float, lat: list[float], base_rate: float, base_lat: list[float]) -> list[Row]:
    def pct(samples: list[float], q: int) -> float:
        return float(np.percentile(np.array(samples) * 1000, q))

    rows: list[Row] = [("telegram messages/s", f"{rate:.1f}", f"{base_rate:.1f}",
                        f"{rate / base_rate:.2f}")]
    for q in (50, 95):
        value, baseline = pct(lat, q), pct(base_lat, q)
        rows.append((f"telegram latency p{q} (ms)", f"{value:.1f}", f"{baseline:.1f}",
                     f"{value / baseline:.2f}"))
    return rows
