"""The narrow port between channel adapters and the core.

An adapter (Telegram, Slack, terminal, the evaluation harness) needs three things from the core:
hand it a message, render an error for a message, and the catalog for its own labels (button
captions, command descriptions). It never sees the settings, the database or the knowledge base.

Usage::

    async def on_message(core: Core, incoming: Incoming) -> list[Reply]:
        try:
            return await core.handle(incoming)
        except Exception as exc:
            log.exception("update failed")
            return [await core.error_reply(incoming, exc)]
"""

from __future__ import annotations

from typing import Protocol

from bot.i18n import Catalog, Lang
from bot.messages import Incoming, Reply

__all__ = ["Core"]


class Core(Protocol):
    """What a channel adapter may ask of the core (``bot.assistant.Assistant`` implements it)."""

    @property
    def catalog(self) -> Catalog: ...

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one event; every reply carries its language (``Reply.lang``)."""
        ...

    async def language(self, incoming: Incoming) -> Lang | None:
        """The language the core would answer ``incoming`` in (its text, the conversation's
        choice, the client's); None when nothing is known yet (no text, no history, no hint)."""
        ...

    async def error_reply(self, incoming: Incoming, error: BaseException) -> Reply:
        """The polite answer to ``incoming`` when handling it failed with ``error``, in the
        conversation's language (read best-effort: the database may be what failed)."""
        ...
