"""Wiring: build the Assistant and its parts from settings (one place, used by every entry)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.llm import ChatModel, build_chat_model
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Database
from bot.worker import run_worker
from knowledge.base import KnowledgeBase
from knowledge.ingest import Progress

__all__ = ["Runtime", "open_runtime"]


@dataclass
class Runtime:
    settings: Settings
    kb: KnowledgeBase
    db: Database
    assistant: Assistant
    metrics: Metrics = field(default_factory=Metrics)

    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_worker(self) -> None:
        """Deliver leads in this process (the embedded default; see ``bot.worker``)."""
        if self.settings.embedded_worker and not self._tasks:
            self._tasks.append(asyncio.create_task(
                run_worker(self.db, self.settings, stop=self._stop), name="relocbot-worker"))

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
) -> Runtime:
    """Open (building when missing) the index, migrate the database, build the Assistant."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kb = KnowledgeBase.open(settings.knowledge, progress=progress, extra=extra)
    db = Database(settings.sqlalchemy_url)
    await db.migrate()
    model = chat_model if chat_model is not None else build_chat_model(settings)
    metrics = Metrics()
    assistant = Assistant(kb=kb, db=db, catalog=Catalog.load(), settings=settings,
                          chat_model=model, metrics=metrics)
    return Runtime(settings=settings, kb=kb, db=db, assistant=assistant, metrics=metrics)
