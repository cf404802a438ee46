"""``relocbot eval``, ``soak`` and ``bench``: the measuring commands (figures, never asserts).

Registered on the main app by ``ops.cli``, which passes its logging set-up and runtime opener::

    register(app, setup_logging=_setup_logging, runtime=_runtime)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.i18n import detect_language
from bot.settings import Settings
from ops import process

if TYPE_CHECKING:  # imported by the commands: every command imports this module
    from ops.runtime import Runtime

__all__ = ["register"]


async def _eval_dialogues(settings: Settings, files: list[Path], show_misses: bool, *,
                          single: bool = False) -> None:
    """The dialogue set through the real Assistant (a throwaway SQLite database), beside the
    previous pipeline (retrieval for every message) in the same run. ``single``: retrieval
    sets (``items:``), each question a one-turn dialogue."""
    import tempfile

    from ops.dialogue_eval import load_dialogues, play, single_turns
    from ops.evaluation import load_items
    from ops.runtime import open_runtime

    if single:
        dialogues = single_turns([i for f in files for i in load_items(f)])
        Console().print(f"held-out retrieval sets through the assistant: {len(dialogues)} "
                        "questions")
    else:
        dialogues = [d for f in files for d in load_dialogues(f)]
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={
            "database_url": f"sqlite:///{tmp}/eval.db", "rate_limit_per_minute": 100_000,
            "rate_limit_global_per_second": 0,
            "company_lookup": False})   # offline and repeatable: no live register
        rt = await open_runtime(local)
        try:
            now = await play(rt.assistant, dialogues)
            before = await play(rt.assistant, dialogues, baseline=True)
        finally:
            await rt.close()
    table = Table("metric", "assistant", "previous pipeline")
    old = before.metrics()
    for name, value in now.metrics().items():
        fmt = "{:.1f}" if name.endswith("ms") or name == "turns" else "{:.3f}"
        table.add_row(name, fmt.format(value), fmt.format(old[name]))
    Console().print(table)
    if show_misses:
        for o in now.misses():
            Console().print(f"miss [{o.dialogue}] expected={o.expected} got={o.predicted} "
                            f"declined={o.declined} fact={o.fact} | {o.say}\n   -> "
                            f"{o.text[:160]!r}", markup=False)


def register(app: typer.Typer, *, setup_logging: Callable[[Settings], None],
             runtime: Callable[[Settings], Awaitable[Runtime]]) -> None:
    @app.command("eval")
    def eval_(
        files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
        show_misses: Annotated[bool, typer.Option("--misses")] = False,
        do_calibrate: Annotated[bool, typer.Option("--calibrate")] = False,
    ) -> None:
        """Print hit@1, hit@5, MRR, decline precision/recall and latency on FILES (pooled)."""
        from knowledge.base import KnowledgeBase
        from ops.evaluation import calibrate, evaluate, load_items

        settings = process.settings()
        setup_logging(settings)
        dialogue_files = [f for f in files if "dialogues:" in f.read_text(encoding="utf-8")]
        files = [f for f in files if f not in dialogue_files]
        if dialogue_files:
            asyncio.run(_eval_dialogues(settings, dialogue_files, show_misses))
        if dialogue_files and files:  # the retrieval sets too, asked of the whole assistant
            asyncio.run(_eval_dialogues(settings, files, show_misses, single=True))
        if not files:
            return
        kb = KnowledgeBase.open(settings.knowledge)
        items = [item for file in files for item in load_items(file)]
        report = evaluate(items, search=lambda q: kb.search(
            q, lang=detect_language(q), k=settings.top_k))
        table = Table("metric", "value")
        for name, value in report.metrics().items():
            table.add_row(name, f"{value:.3f}" if "ms" not in name else f"{value:.1f}")
        Console().print(table)
        if show_misses:
            for o in report.misses():
                Console().print(f"miss: answerable={o.item.answerable} rank={o.rank} "
                                f"declined={o.declined} ({o.reason}) {o.item.q}", markup=False)
        if do_calibrate:
            min_dense, margin, score = calibrate(report)
            Console().print(f"calibrated: RELOCBOT_MIN_DENSE={min_dense} "
                            f"RELOCBOT_OFFTOPIC_MARGIN={margin} (score {score:.3f})")


    @app.command()
    def soak(
        minutes: Annotated[float, typer.Option(help="how long to run")] = 10.0,
        record: Annotated[Path | None, typer.Option(help="append the figures to this file")] = None,
        think: Annotated[float, typer.Option(
            help="mean pause (s) between an answer and the next message; 0 = back to back")] = 0.0,
        keep_log: Annotated[Path | None, typer.Option(
            help="copy the server's JSON log here")] = None,
    ) -> None:
        """50 chats through `serve` with faults on a schedule; prints reliability figures."""
        import datetime as dt

        from ops.soak import run as run_soak

        settings = process.settings()
        setup_logging(settings)
        asyncio.run(_ensure_index(settings))
        stats = asyncio.run(run_soak(settings, minutes=minutes, think=think,
                                       keep_log=keep_log))
        lines = [f"{key}: {value}" for key, value in stats.items()]
        Console().print("\n".join(lines))
        if record is not None:
            with record.open("a", encoding="utf-8") as fh:
                command = f"relocbot soak --minutes {minutes} --think {think}"
                fh.write(f"\n## {dt.date.today().isoformat()} — `{command}`"
                         f"\n\n```\n" + "\n".join(lines) + "\n```\n")


    async def _ensure_index(settings: Settings) -> None:
        opened = await runtime(settings)
        await opened.close()


    @app.command()
    def bench(
        quick: Annotated[bool, typer.Option(
            "--quick", help="skip the 100,000-chunk corpus")] = False,
    ) -> None:
        """Latency, throughput and memory figures, each beside a baseline from the same run."""
        from ops.bench import run_bench

        settings = process.settings()
        setup_logging(settings)
        run_bench(settings, quick=quick, console=Console())
