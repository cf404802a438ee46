"""One way for the fake servers to listen: an aiohttp app on 127.0.0.1, on a free port.

Usage::

    runner, port = await serve_on_loopback(app)
    ...
    await runner.cleanup()
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["serve_on_loopback"]


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start ``app`` on a port the system picks; returns the runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner, port
