"""Loopback fakes the desk-delivery tests share: the Slack Web API, a signed-webhook receiver
(secret ``WEBHOOK_SECRET``) and an SMTP server, each started and stopped per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.webhook_receiver import WebhookReceiver

WEBHOOK_SECRET = "whsec-test-0123456789"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver(secret=WEBHOOK_SECRET)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSMTPServer]:
    server = FakeSMTPServer()
    await server.start()
    yield server
    await server.stop()
