"""A private PostgreSQL server for fault tests: initialised in a temp dir on a free port, owned
by this test, so it can be stopped and restarted under the bot (the shared local server cannot).

Usage::

    @pytest.fixture
    def private_pg() -> Iterator[PrivatePostgres]:
        yield from private_postgres()          # skips without root, runuser or the binaries

    db = Database(private_pg.url); private_pg.stop(); ...; private_pg.start()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["BIN", "PrivatePostgres", "private_postgres"]

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None) if Path(
    "/usr/lib/postgresql").exists() else None


def _as_postgres(*args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="relocbot-pg-", dir="/tmp"))
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        assert BIN is not None
        _as_postgres(str(BIN / "initdb"), "-D", str(self.root / "data"), "-A", "trust",
                     "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        assert BIN is not None
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.root / "data"), "-w", "-o",
                     f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        assert BIN is not None
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.root / "data"), "-w", "-m", "fast",
                     "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def private_postgres() -> Iterator[PrivatePostgres]:
    """The body of a ``private_pg`` fixture: a started server, removed afterwards."""
    if BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root, runuser and the PostgreSQL server binaries")
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()
