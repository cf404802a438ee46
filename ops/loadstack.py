"""The process stack the serve bench and the soak drive: a Chroma server, a data dir whose
embedding cache is seeded from an existing index (so nothing is re-embedded), the environment
of `relocbot serve` against a fake Bot API, and an ingest into the Chroma server.

Usage::

    chroma_port = free_port()
    chroma = await start_chroma(tmp, chroma_port)
    env = stack_env(settings, tmp, chroma_port=chroma_port, api_base_url=fake.base_url,
                    token=TOKEN, database_url=f"sqlite:///{tmp}/x.db")
    await wait_port(chroma_port, chroma)
    await ingest(env)
    ...
    await asyncio.wait_for(terminate(chroma), 10)

The processes are asyncio subprocesses (nothing blocks the event loop that drives the load).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import time
from pathlib import Path

from bot.settings import Settings
from knowledge.ingest import index_paths

__all__ = ["SECRET", "exe", "free_port", "ingest", "stack_env", "start_chroma", "terminate",
           "wait_port"]

SECRET = "bench-secret"  # noqa: S105 - webhook secret of a throw-away local load-test stack
START_SECONDS = 120.0  # for a process of the stack to listen on its port


def exe(name: str) -> str:
    """A console script of this virtual environment (``relocbot``, ``chroma``)."""
    return str(Path(sys.executable).with_name(name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_port(port: int, proc: asyncio.subprocess.Process) -> None:
    """Until ``proc`` listens on ``port`` (``START_SECONDS`` at most); an early exit fails."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError("a load-test process exited early")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError("load-test process did not start")


async def terminate(proc: asyncio.subprocess.Process) -> int:
    """SIGTERM (unless it has exited already), then its exit code; bound it with
    ``asyncio.wait_for(terminate(proc), seconds)``."""
    if proc.returncode is None:
        proc.terminate()
    return await proc.wait()


async def start_chroma(tmp: str, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        exe("chroma"), "run", "--path", f"{tmp}/chroma", "--host", "127.0.0.1",
        "--port", str(port), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


def stack_env(settings: Settings, tmp: str, *, chroma_port: int, api_base_url: str, token: str,
              database_url: str, **extra: str) -> dict[str, str]:
    """Environment of the stack's processes; seeds the new data dir's embedding cache."""
    data = Path(tmp) / "data"
    cache = index_paths(settings.model_copy(update={"data_dir": data}).knowledge)["cache"]
    cache.parent.mkdir(parents=True, exist_ok=True)
    if index_paths(settings.knowledge)["cache"].exists():
        shutil.copy(index_paths(settings.knowledge)["cache"], cache)
    return {**os.environ, "RELOCBOT_DATA_DIR": str(data), "DATABASE_URL": database_url,
            "CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": api_base_url,
            "RELOCBOT_RATE_LIMIT_PER_MINUTE": "100000", "RELOCBOT_LOG_LEVEL": "WARNING",
            "ORT_DISABLE_TELEMETRY": "1", **extra}


async def ingest(env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(exe("relocbot"), "ingest", env=env,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()
