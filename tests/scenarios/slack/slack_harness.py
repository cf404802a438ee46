"""The scenario harness: signs requests like Slack, posts them to our Starlette server, and
waits until the acknowledged work is done."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.slack import SlackChannel
from ops.fakes.slack_api import FakeSlackAPI, action_payload, command_form, envelope
from ops.runtime import Runtime

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
QUESTION = "Les 24 heures pour relocaliser à Lille, c'était à quelles dates ?"


def sign(body: bytes, *, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{ts}:{raw body}")."""
    stamp = int(time.time()) if ts is None else ts
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": "v0=" + digest.hexdigest()}


@dataclass
class SlackHarness:
    fake: FakeSlackAPI
    channel: SlackChannel
    runtime: Runtime
    http: httpx.AsyncClient

    async def post(self, body: bytes, content_type: str, *, headers: dict[str, str] | None = None,
                   signed: bool = True) -> httpx.Response:
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {}),
                       **(headers or {})}
        return await self.http.post("/slack/events", content=body, headers=all_headers)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    retry: int | None = None) -> httpx.Response:
        body = json.dumps(envelope(event, event_id=event_id)).encode()
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        return await self.post(body, "application/json", headers=headers)

    async def command(self, text: str, *, name: str = "cmd", **fields: Any) -> httpx.Response:
        form = command_form(text, response_url=self.fake.response_url(name), **fields)
        return await self.post(urllib.parse.urlencode(form).encode(),
                               "application/x-www-form-urlencoded")

    async def action(self, action_id: str, value: str, *, name: str = "act",
                     **fields: Any) -> httpx.Response:
        payload = action_payload(action_id, value, response_url=self.fake.response_url(name),
                                 **fields)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def settle(self) -> None:
        """Wait until every acknowledged delivery has been fully processed."""
        assert await self.channel.drain(15)


MakeSlack = Callable[..., Awaitable[SlackHarness]]
