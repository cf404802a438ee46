"""The ``relocbot`` command line (typer + rich).

    relocbot run                 channels when configured, otherwise the terminal chat
    relocbot serve               webhooks (Telegram, Slack) and /healthz over HTTP
    relocbot worker              lead deliveries and SLA timers, as a separate process
    relocbot chat                the terminal chat (scriptable: one message per line on stdin)
    relocbot ingest [PATH...]    (re)index the shipped corpus and extra folders, incrementally
    relocbot ask "question"      one answer with its sources; --json reads stdin, prints JSON lines
    relocbot eval FILE.yaml...   retrieval and declining metrics on an evaluation set
    relocbot bench               latency, throughput and memory figures
    relocbot aids [...]          aid schemes that fit a company, with reasons
    relocbot partners [...]      partners for a need, nearest first
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.i18n import Catalog, detect_language
from bot.logs import setup_logging
from bot.settings import Settings
from ops import process

if TYPE_CHECKING:  # the runtime (database, flows, channels) is imported by the commands using it
    from ops.runtime import Runtime

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Relocbot")
console = Console(stderr=True)


def _setup_logging(settings: Settings, *, to_file: bool = False) -> None:
    """Logs go to stderr, or to ``<data dir>/relocbot.log`` for the interactive chat."""
    file = None
    if to_file:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        file = settings.data_dir / "relocbot.log"
    setup_logging(level=settings.log_level, fmt=settings.log_format, file=file)


@app.callback()
def _options(
    log_format: Annotated[str | None, typer.Option("--log-format", help="text or json")] = None,
) -> None:
    """Relocbot: answers, aid finder and lead routing for companies relocalising to France."""
    if log_format is not None and log_format not in ("text", "json"):
        raise typer.BadParameter("--log-format is text or json")
    process.start(log_format=log_format)


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


async def _runtime(settings: Settings, *, background: bool = False) -> Runtime:
    """``background``: a needed index build does not hold the start (the lexical index answers
    meanwhile, and says so; ``knowledge.background``)."""
    from knowledge.embeddings import warm_up
    warm_up(settings.embedder)       # the model loads while the rest is imported and opened
    from ops.runtime import open_runtime

    with _progress("Construction de l'index / building the index") as update:
        runtime = await open_runtime(settings, progress=update, background=background)
    building = runtime.kb.building
    if building is not None:
        console.print(runtime.assistant.catalog.t("index_building_notice", "fr",
                                                  chunks=len(runtime.kb.retriever.store.chunks)))
    return runtime  # notifiers: built when needed


@app.command()
def run() -> None:
    """Run the bot: the configured channels, otherwise the terminal chat."""
    from ops.channels import enabled_channels

    settings = process.settings()
    if not (settings.telegram_bot_token or settings.slack_bot_token):
        chat()
        return
    _setup_logging(settings)

    async def main() -> None:
        runtime = await _runtime(settings, background=True)
        runtime.start_worker()
        try:
            channels = enabled_channels(runtime, webhook=False)
            if not channels:
                raise typer.BadParameter(
                    "SLACK_BOT_TOKEN needs SLACK_APP_TOKEN for Socket Mode (or use `serve`)")
            console.print("channels: " + ", ".join(c.name for c in channels))
            await asyncio.gather(*(c.run_forever() for c in channels))
        finally:
            await runtime.close()

    asyncio.run(main())


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8080,
) -> None:
    """Serve webhooks (Telegram, Slack) and /healthz over HTTP (one ASGI app, uvicorn)."""
    import uvicorn

    class _GracefulServer(uvicorn.Server):
        """uvicorn without its own signal capture: SIGTERM stops taking new requests,
        finishes those in flight, then returns so the runtime (worker, database) closes."""

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def request_exit(self) -> None:
            self.should_exit = True

    from ops.channels import enabled_channels
    from ops.runtime import asgi_app

    settings = process.settings()
    _setup_logging(settings)

    async def main() -> None:
        runtime = await _runtime(settings, background=True)
        runtime.start_worker()
        try:
            asgi = asgi_app(runtime, channels=enabled_channels(runtime, webhook=True))
            config = uvicorn.Config(asgi, host=host, port=port, log_level="warning",
                                    lifespan="on", timeout_graceful_shutdown=30)
            server = _GracefulServer(config)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, server.request_exit)
            await server.serve()
        finally:
            await runtime.close()

    asyncio.run(main())


@app.command()
def chat() -> None:
    """Chat in the terminal; reads one message per line when stdin is not a terminal."""
    from adapters.terminal import run_terminal

    settings = process.settings()
    _setup_logging(settings, to_file=sys.stdin.isatty())

    async def main() -> None:   # a person typing need not wait for the index; a script does
        runtime = await _runtime(settings, background=sys.stdin.isatty())
        runtime.start_worker()
        try:
            if sys.stdin.isatty():
                console.print("[bold]Relocbot[/bold] — /aide, /quit (Ctrl-D)")
            await run_terminal(runtime.assistant)
        finally:
            await runtime.close()

    asyncio.run(main())


@app.command()
def worker() -> None:
    """Deliver lead notifications and run the SLA timers (safe to run in several copies)."""
    import signal

    from bot.storage import Database
    from bot.worker import run_worker

    settings = process.settings()
    _setup_logging(settings)

    async def main() -> None:
        db = Database(settings.sqlalchemy_url)
        await db.migrate()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            from adapters.notifiers import build_notifiers

            await run_worker(db, settings, stop=stop, notifiers=build_notifiers(settings))
        finally:
            await db.close()

    asyncio.run(main())


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Extra folders or files")] = None,
) -> None:
    """Index the shipped corpus (and extra folders), incrementally."""
    from knowledge.base import KnowledgeBase, open_embedder

    settings = process.settings()
    _setup_logging(settings)
    embedder = open_embedder(settings.knowledge)
    with _progress("Embeddings") as update:
        report = KnowledgeBase.build(settings.knowledge, embedder=embedder, progress=update,
                                     extra=paths or [])
    for error in report.errors:
        console.print(f"[yellow]corpus:[/yellow] {error}")
    console.print(report.summary())


def _source_json(hit: Any) -> dict[str, Any]:
    chunk = hit.chunk
    return {"id": chunk.source_id, "title": chunk.title, "url": chunk.url, "kind": chunk.kind,
            "score": round(hit.score, 6), "text": chunk.text}


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines (stdin when no question)")]
    = False,
) -> None:
    """Answer one question (or, with --json and no question, each line of stdin)."""
    settings = process.settings()
    _setup_logging(settings)
    if question is None and not as_json:
        raise typer.BadParameter("give a question, or use --json to read questions from stdin")

    from knowledge.embeddings import warm_up
    warm_up(settings.embedder)       # the model loads while the index opens
    from ops.asking import open_asker

    with _progress("Construction de l'index / building the index") as update:
        asker = open_asker(settings, progress=update)
    questions = [question] if question is not None else [
        line.strip() for line in sys.stdin if line.strip()
    ]

    async def main() -> None:
        for q in questions:
            lang = detect_language(q)
            answer = await asker.answerer.compose(q, lang)
            hits = answer.result.hits if answer.result else []
            if as_json:
                text = "\n\n".join(answer.blocks) if not answer.declined else ""
                print(json.dumps({
                    "question": q, "answer": text, "declined": answer.declined,
                    "lang": lang, "sources": [_source_json(h) for h in hits],
                }, ensure_ascii=False), flush=True)
            else:
                _print_answer(asker.catalog, answer, lang)

    asyncio.run(main())


def _print_answer(catalog: Catalog, answer: Any, lang: str) -> None:
    out = Console()
    if answer.declined:
        out.print(catalog.t("decline", lang))
        out.print(catalog.t("decline_offer", lang))
        return
    for block in answer.blocks:
        out.print(block, highlight=False)
        out.print()
    out.print(f"[bold]{catalog.t('sources_title', lang)}[/bold]")
    for c in answer.citations:
        out.print(f"[{c.number}] {c.title} — {c.url or ''}", highlight=False, markup=False)


from ops.cli_catalog import register as _register_catalog  # noqa: E402

_register_catalog(app)
from ops.cli_aids_import import register as _register_aids_import  # noqa: E402

_register_aids_import(app)  # `aids` becomes `aids [find]` and `aids import`
from ops.cli_leads import leads_app  # noqa: E402

app.add_typer(leads_app, name="leads")
from ops.cli_desks import desks_app  # noqa: E402

app.add_typer(desks_app, name="desks")
from ops.cli_report import report_app  # noqa: E402

app.add_typer(report_app, name="report")
from ops.cli_admin import register as _register_admin  # noqa: E402

_register_admin(app)
from ops.cli_measure import register as _register_measure  # noqa: E402

_register_measure(app, setup_logging=_setup_logging, runtime=_runtime)
from ops.cli_vectors import register as _register_vectors  # noqa: E402

_register_vectors(app)
from ops.territory import register as _register_territory  # noqa: E402

_register_territory(app)


def main() -> None:
    process.quiet_telemetry()
    app()
