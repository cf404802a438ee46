"""``relocbot bench``: latency, throughput and memory, each beside a baseline from the same run.

Figures printed (never asserted in tests):
- cold start on a fresh data dir with the shipped vectors, beside the same without them;
- ingestion of the shipped corpus: cold chunks/s and an incremental no-change re-run (s);
- warm ``ask`` latency p50/p95 (embedding + search + compose) on the development questions,
  beside bm25-only and dense-only retrieval latency and one bare query embedding, and hit@5 of
  the three (quality baseline);
- the whole ``relocbot ask`` process on a built index, beside the eager start-up it replaced;
- search latency p50/p95 on synthetic corpora of 10,000 and 100,000 chunks;
- peak resident memory after each stage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from adapters.notifiers import build_notifiers
from bot.flows.finder import PROJECT_BUTTONS
from bot.i18n import detect_language
from bot.settings import Settings
from bot.understanding.intents import load_examples
from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase, open_embedder
from knowledge.catalog import AidIndex, Profile, match_aids
from knowledge.config import KnowledgeConfig
from knowledge.dense import DenseIndex
from knowledge.ingest import IngestReport
from knowledge.lexical import LexicalIndex
from knowledge.loader import load_corpus
from knowledge.models import AidScheme, Chunk
from knowledge.retriever import Hit, HybridRetriever, SearchResult
from knowledge.store import ChunkStore
from ops.evaluation import EvalItem, evaluate, load_items
from ops.runtime import Runtime, open_runtime

__all__ = ["run_bench"]

DEV_SET = Path(__file__).resolve().parent / "evalsets" / "dev.yaml"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(samples: list[float]) -> tuple[float, float]:
    arr = np.array(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))


def _time_each(questions: list[str], fn: Callable[[str], object], rounds: int = 3) -> list[float]:
    for q in questions[:5]:
        fn(q)  # warm-up
    out = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - started)
    return out


def _time_interleaved(questions: list[str], fns: list[Callable[[str], object]],
                      rounds: int = 3) -> list[list[float]]:
    """``_time_each`` for several functions taking turns on each question, so that the
    machine's drift during the run weighs on all of them alike."""
    for q in questions[:5]:
        for fn in fns:
            fn(q)  # warm-up
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for q in questions:
            for times, fn in zip(out, fns, strict=True):
                started = time.perf_counter()
                fn(q)
                times.append(time.perf_counter() - started)
    return out


def _single_mode(retriever: HybridRetriever, mode: str) -> Callable[[str], SearchResult]:
    """bm25-only or dense-only retrieval over the same index (the baselines)."""
    store = retriever.store

    def search(q: str) -> SearchResult:
        lang = detect_language(q)
        if mode == "bm25":
            ranked = [(store.chunks[r], s) for r, s in retriever.lexical.query(q, lang=lang, k=8)]
        else:
            vector = retriever.embedder.embed_query(q)
            ranked = [(store.chunks[store.row[c]], s)
                      for c, s in retriever.dense.query(vector, k=8) if c in store.row]
        return SearchResult(query=q, lang=lang, hits=[Hit(c, s) for c, s in ranked])

    return search


def _synthetic(retriever: HybridRetriever, size: int, folder: Path) -> HybridRetriever:
    """A corpus of ``size`` chunks recombined from real sentences, with nearby real vectors."""
    rng = random.Random(size)  # noqa: S311 - seeded synthetic bench data
    base = retriever.store.chunks
    vectors = retriever.embedder.embed_passages([c.text for c in base])
    sentences = [s for c in base for s in c.text.split(". ") if len(s) > 30]
    chunks, rows = [], []
    for i in range(size):
        j = rng.randrange(len(base))
        text = ". ".join(rng.sample(sentences, 4))
        chunks.append(Chunk(id=f"syn:{i}", source_id=f"syn-{i}", kind="document",
                            title=f"Synthetic {i}", url=None, lang="fr", text=text))
        rows.append(j)
    noise = np.random.default_rng(size).normal(0, 0.02, (size, vectors.shape[1]))
    matrix = vectors[rows] + noise.astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    settings = Settings(data_dir=folder, _env_file=None)
    dense = DenseIndex.open(settings.knowledge, embedder_name=retriever.embedder.name)
    dense.upsert(chunks, matrix.astype(np.float32), batch=5000)
    return HybridRetriever(config=retriever.config, embedder=retriever.embedder,
                           store=ChunkStore(chunks), lexical=LexicalIndex.build(
                               [c.text for c in chunks]), dense=dense,
                           anchors=retriever._anchors)


def _finder_rows(aids: list[AidScheme]) -> list[tuple[str, str, str, str]]:
    """Matching latency over the real catalogue and a synthetic one of 10,000 schemes."""
    rng = random.Random(7)  # noqa: S311 - seeded synthetic bench data
    profiles = [Profile(department=rng.choice(["59", "62", "80", "60", "02", "75", None]),
                        size=rng.choice(["TPE", "PME", "ETI", "GE", None]),
                        project_types=rng.sample(list(PROJECT_BUTTONS), rng.randint(0, 2)),
                        jobs=rng.choice([None, 5, 30, 150]))
                for _ in range(200)]
    synthetic = [aids[i % len(aids)].model_copy(update={"id": f"syn-{i}"})
                 for i in range(10_000)]
    today = dt.date.today()
    rows = []
    for label, catalogue in (("catalogue", aids), ("10,000 schemes", synthetic)):
        index = AidIndex(catalogue)
        indexed, plain = [], []
        for profile in profiles[:50]:
            started = time.perf_counter()
            index.match(profile, today=today, limit=5)
            indexed.append(time.perf_counter() - started)
            started = time.perf_counter()
            match_aids(profile, catalogue, today=today, limit=5)
            plain.append(time.perf_counter() - started)
        p50, p95 = _percentiles(indexed)
        b50, b95 = _percentiles(plain)
        rows.append((f"aid matching p50 / p95 (ms), {label}", f"{p50:.2f} / {p95:.2f}",
                     f"per-scheme matcher {b50:.2f} / {b95:.2f}",
                     f"{b95 / p95:.0f}x faster" if p95 else ""))
    return rows


def _cold_start(config: KnowledgeConfig, *, shipped: bool) -> tuple[float, IngestReport]:
    """Seconds from a fresh data dir to a first search: the index build, the off-topic anchors
    and the intent examples (embedded at start), one query; with or without the shipped
    vectors (``knowledge/data/corpus_vectors.npz``)."""
    started = time.perf_counter()
    embedder = open_embedder(config, shipped=shipped)
    report = KnowledgeBase.build(config, embedder=embedder)
    kb = KnowledgeBase.open(config, embedder=embedder)
    embedder.embed_queries(load_examples()[0])
    kb.search("Quelles aides pour relocaliser ?", lang="fr")
    return time.perf_counter() - started, report


def run_bench(settings: Settings, *, quick: bool, console: Console) -> None:
    items: list[EvalItem] = load_items(DEV_SET)
    questions = [i.q for i in items]
    table = Table("figure", "value", "baseline", "ratio", title="Relocbot bench (2 cores)")
    for row in _finder_rows(load_corpus(CORPUS_DIR).aids):
        table.add_row(*row)
    with tempfile.TemporaryDirectory() as tmp:
        bench_settings = settings.model_copy(update={"data_dir": Path(tmp) / "data",
                                                     "database_url": None,
                                                     "company_lookup": False})
        shipped_s, fast = _cold_start(
            dataclasses.replace(bench_settings.knowledge, data_dir=Path(tmp) / "shipped"),
            shipped=True)
        start_s, cold = _cold_start(bench_settings.knowledge, shipped=False)
        cold_s = cold.seconds
        table.add_row("cold start, fresh data dir, shipped vectors (s)", f"{shipped_s:.1f}",
                      f"without {start_s:.1f} s", f"{start_s / shipped_s:.0f}x faster")
        table.add_row("", f"{fast.embedded} chunks embedded",
                      f"{cold.embedded} chunks embedded", "")
        embedder = open_embedder(bench_settings.knowledge)
        warm = KnowledgeBase.build(bench_settings.knowledge, embedder=embedder)
        table.add_row("ingest cold (chunks/s)", f"{cold.chunks / cold_s:.1f}",
                      f"{cold.chunks} chunks in {cold_s:.1f} s", "")
        table.add_row("ingest incremental, no change (s)", f"{warm.seconds:.2f}",
                      f"cold {cold_s:.1f} s", f"{warm.seconds / cold_s:.3f}")
        table.add_row("peak RSS after ingest (MB)", f"{_rss_mb():.0f}", "", "")

        loop = asyncio.new_event_loop()
        runtime = loop.run_until_complete(open_runtime(bench_settings,
                                                        notifiers=build_notifiers(bench_settings)))
        retriever = runtime.kb.retriever

        def ask(q: str) -> object:
            return loop.run_until_complete(runtime.assistant.compose(q, detect_language(q)))

        cached = retriever.embedder
        recent, cached.recent_max = cached.recent_max, 0   # each question new: no query cache
        bm25 = _single_mode(retriever, "bm25")
        dense = _single_mode(retriever, "dense")
        asks, bms, des, ems = _time_interleaved(
            questions, [ask, bm25, dense, cached.inner.embed_query])
        ask_p50, ask_p95 = _percentiles(asks)
        bm_p50, bm_p95 = _percentiles(bms)
        de_p50, de_p95 = _percentiles(des)
        table.add_row("ask p50 / p95 (ms), shipped corpus", f"{ask_p50:.1f} / {ask_p95:.1f}",
                      f"bm25-only {bm_p50:.1f} / {bm_p95:.1f}", f"{ask_p95 / bm_p95:.1f}x")
        table.add_row("", "", f"dense-only {de_p50:.1f} / {de_p95:.1f}",
                      f"{ask_p95 / de_p95:.1f}x")
        em_p50, em_p95 = _percentiles(ems)
        table.add_row("", "", f"one bare query embedding {em_p50:.1f} / {em_p95:.1f}",
                      f"{ask_p50 / em_p50:.2f}x / {ask_p95 / em_p95:.2f}x")
        cached.recent_max = recent
        re_p50, re_p95 = _percentiles(_time_each(questions, ask))
        table.add_row("ask p50 / p95 (ms), a question asked before", f"{re_p50:.1f} / "
                      f"{re_p95:.1f}", f"new question {ask_p50:.1f} / {ask_p95:.1f}",
                      f"{ask_p50 / max(re_p50, 1e-9):.1f}x faster")
        from ops.bench_process import process_rows

        for row in process_rows(data_dir=bench_settings.data_dir, runs=3 if quick else 5):
            table.add_row(*row)
        hybrid_q = evaluate(items, search=lambda q: retriever.search(q, lang=detect_language(q)))
        table.add_row("hit@5 hybrid", f"{hybrid_q.hit_at(5):.3f}",
                      f"bm25 {evaluate(items, search=bm25).hit_at(5):.3f}", "")
        table.add_row("", "", f"dense {evaluate(items, search=dense).hit_at(5):.3f}", "")
        table.add_row("decline precision / recall", f"{hybrid_q.decline_precision:.3f} / "
                      f"{hybrid_q.decline_recall:.3f}", "", "")
        table.add_row("peak RSS, shipped corpus (MB)", f"{_rss_mb():.0f}", "", "")
        for row in loop.run_until_complete(_dialogue_rows(runtime)):
            table.add_row(*row)
        for size in [10_000] + ([] if quick else [100_000]):
            started = time.perf_counter()
            synthetic = _synthetic(retriever, size, Path(tmp) / f"syn{size}")
            built = time.perf_counter() - started

            def search(q: str, r: HybridRetriever = synthetic) -> object:
                return r.search(q, lang=detect_language(q))

            p50, p95 = _percentiles(_time_each(questions, search, rounds=1))
            table.add_row(f"search p50 / p95 (ms), {size:,} chunks", f"{p50:.1f} / {p95:.1f}",
                          f"shipped {ask_p95:.1f}", f"{p95 / ask_p95:.1f}x")
            table.add_row(f"  index build {size:,} chunks (s)", f"{built:.1f}", "", "")
            table.add_row(f"peak RSS after {size:,} (MB)", f"{_rss_mb():.0f}", "", "")
        for row in loop.run_until_complete(_channel_rows(runtime, quick=quick)):
            table.add_row(*row)
        loop.run_until_complete(runtime.close())
        loop.close()
    console.print(table)


async def _dialogue_rows(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    """Per-turn latency of the multi-turn dialogues through the whole Assistant (understanding,
    flows, memory, SQL), beside the previous pipeline (retrieval for every message) and one
    bare query embedding, in the same process."""
    from ops.dialogue_eval import load_dialogues, play

    dialogues = load_dialogues(DEV_SET.parent / "dialogues.yaml")
    cached = runtime.kb.retriever.embedder
    recent, cached.recent_max = cached.recent_max, 0   # both runs pay every embedding
    await play(runtime.assistant, dialogues[:10])                    # warm-up
    now = (await play(runtime.assistant, dialogues)).metrics()
    before = (await play(runtime.assistant, dialogues, baseline=True)).metrics()
    cached.recent_max = recent
    texts = [str(t["say"]) for d in dialogues for t in d["turns"]]
    _, embed_p95 = _percentiles(_time_each(texts, cached.inner.embed_query, rounds=1))
    return [
        ("dialogue turn p50 / p95 (ms)", f"{now['turn_p50_ms']:.1f} / {now['turn_p95_ms']:.1f}",
         f"previous pipeline {before['turn_p50_ms']:.1f} / {before['turn_p95_ms']:.1f}",
         f"{now['turn_p95_ms'] / max(before['turn_p95_ms'], 1e-9):.2f}"),
        ("", "", f"one query embedding p95 {embed_p95:.1f}",
         f"{now['turn_p95_ms'] / max(embed_p95, 1e-9):.1f}x"),
    ]


async def _channel_rows(runtime: Runtime, *, quick: bool) -> list[tuple[str, str, str, str]]:
    """The adapters and the lead pipeline, each beside the bare Assistant or submission."""
    import os

    from ops import bench_leads
    from ops import bench_slack as slack_bench
    from ops import bench_telegram as telegram_bench

    scale = 5 if quick else 1
    rows = await telegram_bench.run(runtime, chats=50, messages=1000 // scale)
    rows += await slack_bench.run(runtime, threads=50, events=500 // scale)
    postgres = os.environ.get("RELOCBOT_BENCH_POSTGRES_URL",
                              "postgresql+asyncpg://postgres@127.0.0.1:5432/relocbot_bench")
    rows += await bench_leads.run(runtime.assistant, n=200 // scale, postgres_url=postgres)
    from ops import bench_reminders

    rows += await bench_reminders.run(postgres_url=postgres, leads=100_000 // scale)
    from ops import bench_serve

    rows += await bench_serve.run(runtime.settings, chats=200 // scale, per_chat=3)
    from ops import bench_console

    rows += await bench_console.run(leads=10_000, rounds=40 // scale)
    return [tuple(str(v) for v in row) for row in rows]  # type: ignore[misc]
