"""Every LLM provider the README names, end to end against a local fake of its API: the model is
built from ``Settings`` as in production, ``LLMComposer`` answers a real search result, and the
request on the wire carries the model name, the system prompt and the API key."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import openai
import pytest

from bot.answering import ExtractiveComposer, LLMComposer
from bot.answering.llm import ChatModel, build_chat_model
from bot.answering.providers import resolve_model
from bot.errors import ConfigError
from bot.i18n import Catalog
from bot.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.retriever import SearchResult
from ops.fakes.albert_api import FakeAlbert
from ops.fakes.chat_api import ChatAPIFake
from ops.fakes.mistral_api import FakeMistral
from ops.fakes.ollama_api import FakeOllama

QUESTION = "Quelles aides pour relocaliser ?"
API_KEY = "sk-test-provider-key"


@dataclass
class Case:
    llm_model: str  # LLM_MODEL as an operator writes it
    wire_model: str  # the model name the API must receive
    fake: type[ChatAPIFake]


CASES = {
    # The French State's Albert API (or vLLM...): a bare name and LLM_BASE_URL, OpenAI-compatible.
    "albert": Case("albert-large", "albert-large", FakeAlbert),
    "mistralai": Case("mistralai:mistral-small-latest", "mistral-small-latest", FakeMistral),
    # Ollama tags contain colons: only the provider prefix is split off.
    "ollama": Case("ollama:llama3.1:8b", "llama3.1:8b", FakeOllama),
}


@dataclass
class Api:
    case: Case
    fake: ChatAPIFake

    def settings(self, timeout: float = 5.0, api_key: str | None = API_KEY) -> Settings:
        return Settings(llm_model=self.case.llm_model, llm_base_url=self.fake.base_url,
                        llm_api_key=api_key, llm_timeout=timeout,
                        _env_file=None)


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider clients' own variables must not reach these tests."""
    for name in list(os.environ):
        if name.startswith(("OLLAMA_", "MISTRAL_", "OPENAI_")):
            monkeypatch.delenv(name)


@pytest.fixture(params=list(CASES))
async def api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    case = CASES[request.param]
    fake = case.fake()
    await fake.start()
    try:
        yield Api(case, fake)
    finally:
        await fake.stop()


@pytest.fixture
def result(kb: KnowledgeBase) -> SearchResult:
    found = kb.search(QUESTION, lang="fr")
    assert not found.declined
    assert found.hits
    return found


def _composer(settings: Settings, kb: KnowledgeBase, catalog: Catalog) -> LLMComposer:
    """As ``ops.runtime`` / ``bot.wiring`` build it."""
    model = build_chat_model(settings)
    assert model is not None
    return LLMComposer(model=model, fallback=ExtractiveComposer(catalog=catalog, kb=kb),
                       timeout=settings.llm_timeout)


async def test_answer_and_citation_come_from_the_provider(
    api: Api, kb: KnowledgeBase, catalog: Catalog, result: SearchResult
) -> None:
    reply = (f"Plusieurs aides régionales soutiennent la relocalisation "
             f"(réponse de {api.case.wire_model}) [1].")
    api.fake.reply = reply
    composer = _composer(api.settings(), kb, catalog)
    answer = await composer.compose(result)

    assert answer.mode == "llm"
    assert answer.blocks == [reply]
    [citation] = answer.citations
    assert citation.number == 1
    assert citation.source_id == result.hits[0].chunk.source_id
    assert citation.title == result.hits[0].chunk.title

    [request] = api.fake.requests
    assert request.body["model"] == api.case.wire_model
    [(_, system), (_, user)] = composer.messages(result)
    wire = request.messages
    assert [(m["role"], m["content"]) for m in wire] == [("system", system), ("user", user)]
    assert f"<question>{QUESTION}</question>" in wire[1]["content"]
    assert request.api_key == API_KEY


async def test_ollama_without_a_key_sends_no_authorization(kb: KnowledgeBase,
                                                           catalog: Catalog,
                                                           result: SearchResult) -> None:
    fake = FakeOllama()
    await fake.start()
    try:
        api = Api(CASES["ollama"], fake)
        answer = await _composer(api.settings(api_key=None), kb, catalog).compose(result)
        assert answer.mode == "llm"
        [request] = fake.requests
        assert "authorization" not in request.headers
        assert request.body.get("stream", True) is True  # ChatOllama streams, even for ainvoke
    finally:
        await fake.stop()


@pytest.mark.parametrize("failure", ["error", "hang"])
async def test_provider_failure_falls_back_to_extractive(
    api: Api, kb: KnowledgeBase, catalog: Catalog, result: SearchResult, failure: str
) -> None:
    if failure == "error":
        api.fake.status = 500
        timeout = 5.0  # room for a retry to show up, were there one
    else:
        api.fake.delay = 3.0  # well past LLM_TIMEOUT; released when the fake stops
        timeout = 0.5
    started = time.perf_counter()
    answer = await _composer(api.settings(timeout=timeout), kb, catalog).compose(result)
    assert time.perf_counter() - started < 2.5
    assert answer.mode == "extractive"
    assert answer.citations
    assert answer.blocks
    assert len(api.fake.requests) == 1  # no retries


async def test_the_client_itself_gives_up_after_llm_timeout(api: Api) -> None:
    """LLM_TIMEOUT reaches the provider's HTTP client, not only the composer's deadline."""
    api.fake.delay = 5.0
    model: ChatModel | None = build_chat_model(api.settings(timeout=0.5))
    assert model is not None
    started = time.perf_counter()
    # Each client raises its own timeout: openai's for the OpenAI-compatible APIs, httpx's below
    # the Mistral and Ollama clients.
    with pytest.raises((openai.APITimeoutError, httpx.TimeoutException)) as raised:
        await asyncio.wait_for(model.ainvoke([("human", "?")]), 4.0)
    assert not isinstance(raised.value, TimeoutError), "the outer guard fired, not the client"
    assert time.perf_counter() - started < 2.5
    assert len(api.fake.requests) == 1  # no retries


@pytest.mark.parametrize(("llm_model", "base_url", "module", "extra"), [
    ("mistralai:mistral-small-latest", None, "langchain_mistralai", "mistral"),
    ("ollama:llama3.1:8b", None, "langchain_ollama", "ollama"),
    ("openai:gpt-4o-mini", None, "langchain_openai", "openai"),
    ("albert-large", "http://127.0.0.1:9/v1", "langchain_openai", "openai"),
])
def test_a_missing_provider_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, llm_model: str, base_url: str | None, module: str,
    extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # the package is not installed
    settings = Settings(llm_model=llm_model, llm_base_url=base_url, llm_api_key="k",
                        _env_file=None)
    with pytest.raises(ConfigError) as raised:
        build_chat_model(settings)
    assert f"pip install 'relocbot[{extra}]'" in str(raised.value)


@pytest.mark.parametrize(("llm_model", "base_url", "expected"), [
    ("mistralai:mistral-small-latest", None, ("mistralai", "mistral-small-latest")),
    ("ollama:llama3.1:8b", "http://127.0.0.1:11434", ("ollama", "llama3.1:8b")),
    ("openai:gpt-4o-mini", None, ("openai", "gpt-4o-mini")),
    ("albert-large", "https://albert.api.etalab.gouv.fr/v1", ("openai", "albert-large")),
    ("llama3.1:8b", "http://127.0.0.1:11434/v1", ("openai", "llama3.1:8b")),
    ("mistralai/Mistral-Small-3.2-24B-Instruct-2506", "http://vllm:8000/v1",
     ("openai", "mistralai/Mistral-Small-3.2-24B-Instruct-2506")),
    ("mistral-small-latest", None, ("mistralai", "mistral-small-latest")),
])
def test_llm_model_resolution(llm_model: str, base_url: str | None,
                              expected: tuple[str, str]) -> None:
    settings = Settings(llm_model=llm_model, llm_base_url=base_url,
                        _env_file=None)
    assert resolve_model(settings) == expected


def test_no_llm_model_means_no_chat_model() -> None:
    assert build_chat_model(Settings(_env_file=None)) is None
