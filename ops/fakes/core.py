"""A fake of our own ``bot.port.Core``: wraps a real core and lets a test change one behaviour
(fail on a message, answer slowly, mark replies private) while the rest stays real.

Usage::

    class Failing(WrappedCore):
        async def handle(self, incoming: Incoming) -> list[Reply]:
            raise RuntimeError("simulated failure")

    channel = TelegramChannel(Failing(assistant), config=config)
"""

from __future__ import annotations

from bot.i18n import Catalog, Lang
from bot.messages import Incoming, Reply
from bot.port import Core

__all__ = ["WrappedCore"]


class WrappedCore:
    def __init__(self, inner: Core) -> None:
        self.inner = inner

    @property
    def catalog(self) -> Catalog:
        return self.inner.catalog

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.inner.handle(incoming)

    async def language(self, incoming: Incoming) -> Lang | None:
        return await self.inner.language(incoming)

    async def error_reply(self, incoming: Incoming, error: BaseException) -> Reply:
        return await self.inner.error_reply(incoming, error)
