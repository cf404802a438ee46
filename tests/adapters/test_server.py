"""The ASGI app without channels: health, readiness, metrics, body limit, unknown routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from bot.i18n import Catalog
from bot.messages import Incoming
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.runtime import Runtime, asgi_app

OPS_TOKEN = "ops-token-for-tests"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
Client = tuple[httpx.AsyncClient, Runtime]


def runtime_for(kb: KnowledgeBase, db: Database, catalog: Catalog) -> Runtime:
    settings = Settings(_env_file=None, max_body_bytes=2_000, ops_token=OPS_TOKEN)
    metrics = Metrics()
    assistant = build_assistant(kb=kb, db=db, catalog=catalog, settings=settings, metrics=metrics)
    return Runtime(settings=settings, kb=kb, db=db, assistant=assistant, metrics=metrics)


@pytest.fixture
async def client(kb: KnowledgeBase, db: Database, catalog: Catalog) -> AsyncIterator[Client]:
    runtime = runtime_for(kb, db, catalog)
    app = asgi_app(runtime, channels=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relocbot",
                                 headers=OPS) as http:
        yield http, runtime


async def test_health_and_readiness(client: Client) -> None:
    http, _ = client
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "index": True, "chroma": True}


async def test_readiness_fails_when_the_database_is_down(kb: KnowledgeBase, catalog: Catalog,
                                                           tmp_path: Path) -> None:
    down = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    runtime = runtime_for(kb, down, catalog)
    transport = httpx.ASGITransport(app=asgi_app(runtime, channels=[]))
    async with httpx.AsyncClient(transport=transport, base_url="http://relocbot",
                                 headers=OPS) as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] is False
        assert (await http.get("/healthz")).status_code == 200       # alive, not ready
        assert (await http.get("/metrics")).status_code == 200       # counters still served
    await down.close()


async def test_metrics_expose_counters_after_a_few_messages(client: Client) -> None:
    http, runtime = client
    for i, text in enumerate(["/start", "Quelle CCI couvre Valenciennes ?",
                              "Quelle est la météo demain ?"]):
        await runtime.assistant.handle(Incoming(channel="test", conversation_key="test:m",
                                                user_id="m", text=text, event_id=f"m{i}"))
    body = (await http.get("/metrics")).text
    assert 'relocbot_messages_total{channel="test",outcome="command:start"} 1.0' in body
    assert 'relocbot_messages_total{channel="test",outcome="cci:desk"} 1.0' in body, body
    assert 'relocbot_declines_total{channel="test"} 1.0' in body, body
    assert "relocbot_answer_latency_seconds_bucket" in body
    assert 'relocbot_outbox_items{status="dead"} 0.0' in body


async def test_body_too_large_and_unknown_route(client: Client) -> None:
    http, _ = client
    assert (await http.post("/healthz", content=b"x" * 5_000)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 1_000

    assert (await http.post("/anything", content=chunks())).status_code == 413
    assert (await http.get("/nope")).status_code == 404
    assert (await http.post("/nope", content=b"small")).status_code == 404


async def test_json_access_logs_carry_a_request_id_and_no_text(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import logging

    from bot.logs import JsonFormatter

    http, runtime = client
    caplog.set_level(logging.INFO)
    response = await http.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    generated = (await http.get("/readyz")).headers["x-request-id"]
    assert len(generated) == 16
    await runtime.assistant.handle(Incoming(channel="test", conversation_key="test:j",
                                            user_id="j", text="Mon e-mail est a@b.fr"))
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records
             if r.name in ("relocbot.http", "relocbot.messages")]
    access = [line for line in lines if line.get("path") == "/healthz"]
    assert access
    assert access[0]["request_id"] == "req-42"
    assert access[0]["status"] == 200
    handled = [line for line in lines if line["event"] == "event handled"]
    assert handled
    assert handled[-1]["channel"] == "test"
    assert "latency_ms" in handled[-1]
    assert "a@b.fr" not in json.dumps(lines)


async def test_a_slow_request_times_out_with_504() -> None:
    import asyncio

    from starlette.responses import PlainTextResponse

    from adapters.server import RequestTimeout

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(5)
        await PlainTextResponse("late")(scope, receive, send)

    transport = httpx.ASGITransport(app=RequestTimeout(slow, seconds=0.2))
    async with httpx.AsyncClient(transport=transport, base_url="http://relocbot",
                                 headers=OPS) as http:
        response = await http.get("/anything")
    assert response.status_code == 504
