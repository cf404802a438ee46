"""Two real `relocbot serve` processes, one PostgreSQL and one Chroma server, behave as one bot:
a duplicated Telegram update is answered once, and a lead form split across both completes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.settings import Settings
from bot.storage import Database
from knowledge.ingest import index_paths
from ops.fakes.telegram_api import (
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegramAPI,
    lead_form_updates,
    message_update,
    user,
)
from ops.loadstack import terminate, wait_port

PG_ADMIN = os.environ.get("RELOCBOT_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")
REPLICA_DB = f"relocbot_replicas_{os.getpid()}"  # one per test run: runs never collide
HEADER = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
          "Content-Type": "application/json"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"port {port} never opened")


def _exe(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of its own on the local server (the `test` database is the unit tests')."""
    admin_url = Settings(database_url=PG_ADMIN, _env_file=None).sqlalchemy_url

    async def recreate() -> bool:
        admin = Database(admin_url)
        try:
            async with admin.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{REPLICA_DB}" WITH (FORCE)'))
                await conn.execute(text(f'CREATE DATABASE "{REPLICA_DB}"'))
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    if not asyncio.run(recreate()):
        if os.environ.get("RELOCBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required for the replica test")
        pytest.skip("local PostgreSQL not reachable")
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + REPLICA_DB

    async def drop() -> None:
        admin = Database(admin_url)
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{REPLICA_DB}" WITH (FORCE)'))
        await admin.close()

    asyncio.run(drop())


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _port()
    proc = subprocess.Popen([_exe("chroma"), "run", "--path",
                             str(tmp_path_factory.mktemp("chroma")), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_port(port, proc, 60)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
async def replicas(kb_settings: Settings, kb: object, database_url: str, chroma_server: str,
                   fake_api: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[list[str]]:
    data = tmp_path / "data"
    cache = index_paths(Settings(data_dir=data, _env_file=None).knowledge)["cache"]
    cache.parent.mkdir(parents=True)
    shutil.copy(index_paths(kb_settings.knowledge)["cache"], cache)   # no re-embedding
    env = {**os.environ, "RELOCBOT_DATA_DIR": str(data), "DATABASE_URL": database_url,
           "CHROMA_URL": chroma_server, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "TELEGRAM_API_BASE_URL": fake_api.base_url, "RELOCBOT_EMBEDDED_WORKER": "false",
           "ORT_DISABLE_TELEMETRY": "1", "RELOCBOT_LOG_LEVEL": "WARNING"}
    ingest = await asyncio.create_subprocess_exec(_exe("relocbot"), "ingest", env=env,
                                                  stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.DEVNULL)
    assert await ingest.wait() == 0
    procs: list[asyncio.subprocess.Process] = []
    urls: list[str] = []
    for _ in range(2):
        port = _port()
        with (tmp_path / f"serve-{port}.log").open("wb") as log:  # the child keeps its copy
            procs.append(await asyncio.create_subprocess_exec(
                _exe("relocbot"), "serve", "--port", str(port), env=env,
                stdout=log, stderr=asyncio.subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
    for proc, url in zip(procs, urls, strict=True):
        await wait_port(int(url.rsplit(":", 1)[1]), proc)
    yield urls
    codes = await asyncio.wait_for(asyncio.gather(*(terminate(proc) for proc in procs)), 30)
    assert codes == [0, 0]


async def _post(client: httpx.AsyncClient, url: str, update: dict[str, object]) -> None:
    response = await client.post(f"{url}/telegram/webhook", content=json.dumps(update),
                                 headers=HEADER)
    assert response.status_code == 200


async def test_duplicate_update_to_both_replicas_is_answered_once(
    replicas: list[str], fake_api: FakeTelegramAPI
) -> None:
    update = message_update("/aide", sender=user(71), update_id=71_000_001)
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(_post(client, url, update) for url in replicas))
        await fake_api.wait_calls("sendMessage", chat_id=71)
        await fake_api.settle(0.5)
    assert len(fake_api.sent(71)) == 1


async def test_a_lead_form_split_across_replicas_completes(
    replicas: list[str], fake_api: FakeTelegramAPI, database_url: str
) -> None:
    me = user(72)
    steps = lead_form_updates(me, product="Chemises en lin", timeline="moins-6-mois")
    async with httpx.AsyncClient(timeout=30) as client:
        for i, update in enumerate(steps):
            before = len(fake_api.sent(72))
            await _post(client, replicas[i % 2], update)
            await fake_api.wait_calls("sendMessage", before + 1, chat_id=72)
    assert "REL-" in str(fake_api.sent(72)[-1]["text"])
    db = Database(Settings(database_url=database_url, _env_file=None).sqlalchemy_url)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT company, desk_id, channel FROM leads"))).all()
    await db.close()
    assert [tuple(r) for r in rows] == [("Ateliers du Nord", "cci-grand-hainaut", "telegram")]


async def test_sigterm_during_a_request_lets_it_complete(
    replicas: list[str], fake_api: FakeTelegramAPI
) -> None:
    fake_api.delays["sendMessage"] = 2.0            # the answer is slow to go out
    update = message_update("/aide", sender=user(73), update_id=73_000_001)
    port = int(replicas[0].rsplit(":", 1)[1])
    [pid] = [p for p in _pids_listening(port)]
    async with httpx.AsyncClient(timeout=30) as client:
        request = asyncio.create_task(_post(client, replicas[0], update))
        await asyncio.sleep(0.7)                     # the request is in flight
        os.kill(pid, signal.SIGTERM)
        await request                                # 200: it completed
    assert len(fake_api.sent(73)) == 1
    fake_api.delays.clear()


def _pids_listening(port: int) -> list[int]:
    """The pid of the process listening on ``port`` (from /proc, no extra tool)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inode = fields[9]
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            pids.append(int(proc.name))
    return pids
