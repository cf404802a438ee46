"""The signed-webhook receiver the desk-delivery tests share (secret ``WEBHOOK_SECRET``); the
Slack and SMTP fakes are the suite's (``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ops.fakes.webhook_receiver import WebhookReceiver

WEBHOOK_SECRET = "whsec-test-0123456789"


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver(secret=WEBHOOK_SECRET)
    await server.start()
    yield server
    await server.stop()

