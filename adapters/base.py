"""What a channel adapter offers to the runner (`relocbot run`) and the server (`relocbot serve`).

Usage::

    class TelegramChannel:
        name = "telegram"
        def routes(self) -> list[Route]: ...          # webhook endpoints for `serve`
        async def start(self) -> None: ...            # before serving webhooks
        async def stop(self) -> None: ...
        async def run_forever(self) -> None: ...      # polling / Socket Mode for `run`
"""

from __future__ import annotations

from typing import Protocol

from starlette.routing import BaseRoute

__all__ = ["Channel"]


class Channel(Protocol):
    name: str

    def routes(self) -> list[BaseRoute]:
        """HTTP endpoints this channel serves in `relocbot serve` (webhooks)."""
        ...

    async def start(self) -> None:
        """Prepare for webhook mode (initialise SDK objects); called at server start-up."""
        ...

    async def stop(self) -> None:
        """Finish in-flight work and release resources; called at shutdown."""
        ...

    async def run_forever(self) -> None:
        """Long-running mode without a public URL (Telegram polling, Slack Socket Mode)."""
        ...
