"""The composition root: the one place that builds the process from the settings.

``open_runtime`` opens the knowledge base (its own ``KnowledgeConfig``), migrates the database,
builds the Assistant (``bot.wiring.build_assistant``) and the lead notifiers
(``adapters.notifiers``); ``asgi_app`` gives each part of ``relocbot serve`` only what it needs;
``ops.channels`` builds the channels on the core's narrow port. Nothing below ``ops`` sees the
whole runtime.

Usage::

    runtime = await open_runtime(settings)
    runtime.start_worker()
    app = asgi_app(runtime, channels=enabled_channels(runtime, webhook=True))
    ...
    await runtime.close()
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering.llm import ChatModel, build_chat_model
from bot.assistant import Assistant
from bot.i18n import Catalog, warm_up_language
from bot.leads.notifiers import Notifier
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from bot.worker import run_worker
from knowledge.base import KnowledgeBase
from knowledge.ingest import Progress

if TYPE_CHECKING:  # the server and the notifiers' SDKs are imported only where used
    from starlette.types import ASGIApp

    from adapters.base import Channel

__all__ = ["Runtime", "asgi_app", "open_runtime"]


@dataclass
class Runtime:
    settings: Settings
    kb: KnowledgeBase
    db: Database
    assistant: Assistant
    metrics: Metrics = field(default_factory=Metrics)
    # the worker's notifiers by name; None: those the settings configure (build_notifiers)
    notifiers: Mapping[str, Notifier] | None = None

    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_worker(self) -> None:
        """Deliver leads in this process (the embedded default; see ``bot.worker``)."""
        if self.settings.embedded_worker and not self._tasks:
            from adapters.notifiers import build_notifiers

            notifiers = self.notifiers if self.notifiers is not None else build_notifiers(
                self.settings, catalog=self.assistant.catalog)
            self._tasks.append(asyncio.create_task(
                run_worker(self.db, self.settings, stop=self._stop, notifiers=notifiers),
                name="relocbot-worker"))

    async def close(self) -> None:
        """Stop the worker (it finishes the delivery in hand), then release the database."""
        self._stop.set()
        for task in self._tasks:
            await task
        await self.db.close()


async def open_runtime(
    settings: Settings,
    *,
    progress: Progress | None = None,
    chat_model: ChatModel | None = None,
    extra: Iterable[Path] = (),
    notifiers: Mapping[str, Notifier] | None = None,
    background: bool = False,
) -> Runtime:
    """Open (building when missing) the index, migrate the database, build the Assistant;
    the embedded worker delivers with ``notifiers`` (by default those the settings configure:
    inbox, webhooks, Slack with a bot token, e-mail with an SMTP host)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    warm_up_language()
    kb = KnowledgeBase.open(settings.knowledge, progress=progress, extra=extra,
                            background=background)
    db = Database(settings.sqlalchemy_url)
    await db.migrate()
    model = chat_model if chat_model is not None else build_chat_model(settings)
    metrics = Metrics()
    assistant = build_assistant(kb=kb, db=db, catalog=Catalog.load(), settings=settings,
                                chat_model=model, metrics=metrics)
    return Runtime(settings=settings, kb=kb, db=db, assistant=assistant, metrics=metrics,
                   notifiers=notifiers)


def asgi_app(runtime: Runtime, *, channels: Sequence[Channel]) -> ASGIApp:
    """Channels' webhooks, health, readiness and metrics, each given only what it needs;
    the advisor console when configured (``ops.console_app``)."""
    from adapters.server import Readiness, ServerConfig, build_asgi_app
    from ops.console_app import console_app


    async def metrics(with_database: bool) -> bytes:
        return await runtime.metrics.render(runtime.db if with_database else None)

    return build_asgi_app(channels=channels, readiness=Readiness(db=runtime.db, kb=runtime.kb),
                          metrics=metrics, config=ServerConfig.from_settings(runtime.settings),
                          console=console_app(settings=runtime.settings,
                                              leads=runtime.assistant.leads,
                                              catalog=runtime.assistant.catalog))
