"""Fixtures of the core's tests: a local OpenAI-compatible server for the LLM mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ops.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    """The fake chat server, started on loopback for one test."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()
