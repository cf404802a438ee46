"""The process stack the serve bench and the soak drive: a Chroma server, a data dir whose
embedding cache is seeded from an existing index (so nothing is re-embedded), the environment
of `relocbot serve` against a fake Bot API, and an ingest into the Chroma server.

Usage::

    chroma_port = free_port()
    chroma = start_chroma(tmp, chroma_port)
    env = stack_env(settings, tmp, chroma_port=chroma_port, api_base_url=fake.base_url,
                    token=TOKEN, database_url=f"sqlite:///{tmp}/x.db")
    await wait_port(chroma_port, chroma)
    await ingest(env)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import Settings
from knowledge.ingest import index_paths

__all__ = ["SECRET", "exe", "free_port", "ingest", "stack_env", "start_chroma", "wait_port"]

SECRET = "bench-secret"


def exe(name: str) -> str:
    """A console script of this virtual environment (``relocbot``, ``chroma``)."""
    return str(Path(sys.executable).with_name(name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("a load-test process exited early")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError("load-test process did not start")


def start_chroma(tmp: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([exe("chroma"), "run", "--path", f"{tmp}/chroma", "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
