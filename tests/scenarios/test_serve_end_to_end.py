"""One real `relocbot serve` process with Telegram (webhook) and Slack (HTTP events) on local
fake APIs, its embedded worker delivering leads to a Slack desk channel. Proven end to end:

- every inbound endpoint checks its secret or signature (missing, wrong, stale) and nothing
  runs for a refused request; a replayed Slack event is answered once;
- Slack answering 500 is retried and the answer still arrives; a longer outage costs one
  answer (logged), never the process;
- a lead reaches its desk's channel and no other through a Slack outage, exactly once;
  strangers pressing the advisor buttons are refused and audited;
- the whole run's log holds no token, secret or personal data.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.settings import Settings
from ops.fakes.slack_api import FakeSlackAPI, action_payload, envelope, mention_event
from ops.fakes.telegram_api import (
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegramAPI,
    lead_form_updates,
    message_update,
    user,
)
from tests.scenarios.slack.slack_harness import SECRET as SLACK_SECRET
from tests.scenarios.slack.slack_harness import TOKEN as SLACK_TOKEN
from tests.scenarios.slack.slack_harness import sign

DESK_CHANNEL, ADVISOR = "C0DESK", "U0ADVISOR"
EMAIL, PHONE, SIREN = "serve.secret@example.fr", "06 11 22 33 44", "732829320"
TG = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
OPS_TOKEN = "serve-ops-token-0123"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exe(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class Served:
    url: str
    telegram: FakeTelegramAPI
    slack: FakeSlackAPI
    db_file: Path
    log_file: Path
    http: httpx.AsyncClient

    async def update(self, update: dict[str, Any]) -> httpx.Response:
        return await self.http.post("/telegram/webhook", content=json.dumps(update), headers=TG)

    async def slack_post(self, body: bytes, content_type: str, *,
                         headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post("/slack/events", content=body, headers={
            "Content-Type": content_type, **(headers if headers is not None else sign(body))})

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        body = json.dumps(envelope(event, event_id=event_id)).encode()
        return await self.slack_post(body, "application/json", headers=headers)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_file) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
async def served(kb: object, kb_settings: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    telegram, slack = FakeTelegramAPI(), FakeSlackAPI()
    await telegram.start()
    slack_url = await slack.start()
    shutil.copytree(kb_settings.index_dir, tmp / "data" / "index")          # no rebuild
    desks = tmp / "desks.yaml"
    desks.write_text(f"desks:\n  cci-grand-hainaut:\n    slack_channel: {DESK_CHANNEL}\n"
                     f"    advisors: [{ADVISOR}]\n")
    port, db_file, log_file = _port(), tmp / "bot.db", tmp / "serve.log"
    env = {**os.environ, "RELOCBOT_DATA_DIR": str(tmp / "data"),
           "DATABASE_URL": f"sqlite:///{db_file}", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "TELEGRAM_API_BASE_URL": telegram.base_url,
           "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SECRET,
           "SLACK_API_BASE_URL": slack_url, "RELOCBOT_DESKS_FILE": str(desks),
           "RELOCBOT_OUTBOX_BACKOFF_SECONDS": "0.2", "RELOCBOT_RATE_LIMIT_PER_MINUTE": "1000",
           "RELOCBOT_LOG_LEVEL": "DEBUG", "RELOCBOT_LOG_FORMAT": "json",
           "RELOCBOT_OPS_TOKEN": OPS_TOKEN, "ORT_DISABLE_TELEMETRY": "1"}
    with log_file.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            _exe("relocbot"), "serve", "--port", str(port), env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        deadline = time.monotonic() + 90
        while True:
            assert proc.returncode is None, log_file.read_text()[-3000:]
            try:
                if (await http.get("/readyz", headers={
                        "Authorization": f"Bearer {OPS_TOKEN}"})).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve never became ready"
            await asyncio.sleep(0.2)
        yield Served(url, telegram, slack, db_file, log_file, http)
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    await telegram.stop()
    await slack.stop()


async def test_every_inbound_endpoint_checks_its_secret(served: Served) -> None:
    update = json.dumps(message_update("/aide", sender=user(601))).encode()
    refused = [
        await served.http.post("/telegram/webhook", content=update),
        await served.http.post("/telegram/webhook", content=update,
                               headers={**TG, "X-Telegram-Bot-Api-Secret-Token": "wrong"}),
    ]
    body = json.dumps(envelope(mention_event("<@U0BOT> /aide", user="U0EVE"))).encode()
    stale = int(time.time()) - 600                      # a captured request replayed later
    refused += [
        await served.slack_post(body, "application/json", headers={}),
        await served.slack_post(body, "application/json",
                                headers=sign(body, secret="not-the-secret")),
        await served.slack_post(body, "application/json", headers=sign(body, ts=stale)),
        await served.slack_post(body + b" ", "application/json", headers=sign(body)),
    ]
    assert [r.status_code for r in refused] == [403, 403, 401, 401, 401, 401]
    await asyncio.sleep(0.5)
    assert served.telegram.sent(601) == []
    assert not [c for c in served.slack.calls if c.method.startswith(("chat.", "reactions."))]


async def test_a_replayed_slack_event_is_answered_once(served: Served) -> None:
    event = mention_event("<@U0BOT> /aide", user="U0ALICE")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        body = json.dumps(envelope(event, event_id="EvREPLAY1")).encode()
        response = await served.slack_post(body, "application/json",
                                           headers={**sign(body), **headers})
        assert response.status_code == 200
    await served.slack.wait_for("chat.postMessage")
    await asyncio.sleep(1.0)
    assert len([c for c in served.slack.calls_to("chat.postMessage")
                if c.body.get("thread_ts") == event["ts"]]) == 1


async def test_slack_500s_are_retried_and_the_answer_arrives(served: Served) -> None:
    before = len(served.slack.calls_to("chat.postMessage"))
    served.slack.fail("chat.postMessage", "internal_error", status=500, times=2)
    event = mention_event("<@U0BOT> /aide", user="U0BOB")
    assert (await served.event(event)).status_code == 200
    posts = await served.slack.wait_for("chat.postMessage", before + 1, timeout=30)
    assert posts[-1].body.get("thread_ts") == event["ts"]
    assert len(served.slack.calls_to("chat.postMessage", ok=False)) >= 2


async def test_a_long_slack_outage_costs_an_answer_not_the_process(served: Served) -> None:
    served.slack.fail("chat.postMessage", "internal_error", status=500, times=20)
    assert (await served.event(mention_event("<@U0BOT> /aide", user="U0CAROL"))).status_code \
        == 200
    await served.slack.wait_for("chat.postMessage", 3, ok=False, timeout=30)
    served.slack.failures.clear()
    assert (await served.http.get("/healthz")).status_code == 200
    before = len(served.slack.calls_to("chat.postMessage"))
    event = mention_event("<@U0BOT> /aide", user="U0CAROL")
    await served.event(event)
    posts = await served.slack.wait_for("chat.postMessage", before + 1, timeout=30)
    assert any(p.body.get("thread_ts") == event["ts"] for p in posts)


async def _lead_through_telegram(served: Served) -> str:
    me = user(602)
    steps = lead_form_updates(me, company="Ateliers Serve", siren=SIREN,
                              contact="Camille Serve", email=EMAIL, phone=PHONE)
    for step in steps:
        before = len(served.telegram.sent(602))
        assert (await served.update(step)).status_code == 200
        await served.telegram.wait_calls("sendMessage", before + 1, chat_id=602)
    confirmation = str(served.telegram.sent(602)[-1]["text"])
    assert "REL-" in confirmation
    return "REL-" + confirmation.split("REL-", 1)[1].split()[0].rstrip(".,;")


async def test_a_lead_reaches_only_its_desk_through_a_slack_outage(served: Served) -> None:
    served.slack.fail("chat.postMessage", "internal_error", status=500, times=4)
    ref = await _lead_through_telegram(served)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and served.rows(  # noqa: ASYNC110 - another process's
            "SELECT status FROM outbox") != [("sent",)]:      # database: no event to wait on
        await asyncio.sleep(0.3)
    assert served.rows("SELECT status, attempts > 1 FROM outbox") == [("sent", 1)]
    cards = [c for c in served.slack.calls_to("chat.postMessage") if EMAIL in json.dumps(c.body)]
    assert [c.body["channel"] for c in cards] == [DESK_CHANNEL]            # once, desk only
    assert ref in json.dumps(cards[0].body)
    assert served.rows("SELECT count(*) FROM leads") == [(1,)]


async def test_strangers_cannot_act_on_a_lead(served: Served) -> None:
    [(ref,)] = served.rows("SELECT ref FROM leads")

    async def press(who: str, name: str) -> None:
        payload = action_payload("lead_claim", ref, user=who, channel=DESK_CHANNEL,
                                 response_url=served.slack.response_url(name))
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        assert (await served.slack_post(body, "application/x-www-form-urlencoded")
                ).status_code == 200

    await press("U0INTRUDER", "intruder")
    [refusal] = await served.slack.wait_for("response_url", timeout=30)
    assert refusal.body["_name"] == "intruder"
    assert refusal.body["response_type"] == "ephemeral"
    assert served.rows("SELECT status, owner FROM leads") == [("new", None)]
    assert served.rows("SELECT action, actor FROM lead_events ORDER BY id DESC LIMIT 1") == [
        ("action_refused", "U0INTRUDER")]
    await press(ADVISOR, "advisor")
    await served.slack.wait_for("chat.update", timeout=30)
    assert served.rows("SELECT status, owner FROM leads") == [("taken", ADVISOR)]


async def test_the_whole_run_logged_no_secret_or_personal_data(served: Served) -> None:
    logged = served.log_file.read_text()
    assert '"level": "DEBUG"' in logged or '"level":"DEBUG"' in logged or "DEBUG" in logged
    for secret in (TOKEN, WEBHOOK_SECRET, SLACK_TOKEN, SLACK_SECRET, OPS_TOKEN, EMAIL, PHONE,
                   PHONE.replace(" ", ""), "+33611223344", SIREN, "Camille Serve",
                   "Ateliers Serve"):
        assert secret not in logged, secret
