"""One way for the fake servers to listen: an aiohttp app on 127.0.0.1, on a free port.

Usage::

    runner, port = await serve_on_loopback(app)
    ...
    await runner.cleanup()
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

__all__ = ["FakeProcess", "serve_on_loopback", "serve_until_stdin_closes",
           "start_fake_process"]


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start ``app`` on a port the system picks; returns the runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner, port


@dataclass
class FakeProcess:
    """A fake server running in a process of its own (as a remote API would: its HTTP work
    does not share the bot's interpreter); ``url`` is the first line it printed."""

    process: asyncio.subprocess.Process
    url: str

    @property
    def stdout(self) -> asyncio.StreamReader:
        """What the fake prints after its URL (e.g. arrival times)."""
        if self.process.stdout is None:   # PIPE given by start_fake_process: never
            raise RuntimeError("the fake's process has no stdout")
        return self.process.stdout

    def cpu_seconds(self) -> float:
        """CPU time the fake's process has used so far (Linux ``/proc``; 0.0 elsewhere): on
        a two-core machine its work competes with the bot's, which a real remote API's
        would not."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        """Close its stdin (it stops serving) and wait for it to exit."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        await self.process.wait()


async def start_fake_process(module: str) -> FakeProcess:
    """Run ``python -m module`` (which calls :func:`serve_until_stdin_closes`) and read the
    URL it prints. Usage::

        fake = await start_fake_process("ops.fakes.telegram_api")
        ... fake.url ...
        await fake.stop()
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    fake = FakeProcess(process, "")
    fake.url = (await fake.stdout.readline()).decode().strip()
    return fake


async def serve_until_stdin_closes(url: str) -> None:
    """The fake process's side: print ``url`` for the parent, then serve until stdin closes."""
    print(url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
