"""``/readyz`` and ``/metrics`` run database queries (issue #13, item 13): they answer only
with ``Authorization: Bearer <RELOCBOT_OPS_TOKEN>``, and are closed when no token is set;
``/healthz`` (no database) stays public."""

from __future__ import annotations

import httpx
import pytest

from bot.i18n import Catalog
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.runtime import Runtime, asgi_app

TOKEN = "ops-0123456789abcdef"


def client(kb: KnowledgeBase, db: Database, catalog: Catalog,
           token: str | None) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, ops_token=token)
    metrics = Metrics()
    runtime = Runtime(settings=settings, kb=kb, db=db, metrics=metrics,
                      assistant=build_assistant(kb=kb, db=db, catalog=catalog, settings=settings,
                                          metrics=metrics))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app(runtime, channels=[])),
                             base_url="http://relocbot")


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_ops_endpoints_need_the_bearer_token(kb: KnowledgeBase, db: Database,
                                                   catalog: Catalog, path: str) -> None:
    async with client(kb, db, catalog, TOKEN) as http:
        assert (await http.get(path)).status_code == 401
        wrong = await http.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert (await http.get(path, headers={"Authorization": TOKEN})).status_code == 401
        right = await http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert (await http.get("/healthz")).status_code == 200


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_ops_endpoints_are_closed_without_a_token(kb: KnowledgeBase, db: Database,
                                                        catalog: Catalog, path: str) -> None:
    async with client(kb, db, catalog, None) as http:
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers={"Authorization": "Bearer "})).status_code == 401
        assert (await http.get(path, headers={"Authorization": "Bearer None"})).status_code \
            == 401
