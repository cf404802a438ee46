"""Optional LLM answers with LangChain ``init_chat_model``; citations validated, with fallback.

Usage::

    model = build_chat_model(settings)                 # None when LLM_MODEL is not set
    composer = LLMComposer(model=model, fallback=extractive, timeout=20)
    answer = await composer.compose(result)            # extractive on error/timeout/no citation
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any, Protocol

from bot.answering.extractive import Answer, ExtractiveComposer, select_sources
from bot.answering.providers import finish_model, provider_kwargs, require_package, resolve_model
from bot.errors import ConfigError, LLMError
from bot.messages import Citation
from bot.settings import Settings
from knowledge.retriever import SearchResult
from knowledge.yamlfile import load_yaml
from prompts import PROMPTS_DIR

__all__ = ["ChatModel", "LLMComposer", "build_chat_model", "load_templates"]

log = logging.getLogger(__name__)
_CITE = re.compile(r"\[(\d{1,2})\]")
LLM_SOURCES = 5
MAX_REWRITE = 300


class ChatModel(Protocol):
    """Anything with LangChain's async ``ainvoke`` over (role, text) messages.

    Usage::

        reply = await model.ainvoke([("system", "..."), ("human", "...")])
        reply.content
    """

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any: ...


def load_templates(directory: Path = PROMPTS_DIR) -> dict[str, Any]:
    with (directory / "llm.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml(fh)
    return data


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, built lazily; ``None`` when ``LLM_MODEL`` is unset.

    ``provider:model`` (``mistralai:``, ``ollama:``, ``openai:``...) or a bare name, which is
    OpenAI-compatible when ``LLM_BASE_URL`` is set (Albert API, vLLM): see
    :mod:`bot.answering.providers`. A missing provider package raises ``ConfigError`` naming
    the extra to install (``pip install 'relocbot[mistral]'``).
    """
    if not settings.llm_model:
        return None
    from langchain.chat_models import init_chat_model

    provider, name = resolve_model(settings)
    require_package(provider, settings)
    kwargs = provider_kwargs(provider, settings)
    try:
        model: ChatModel = init_chat_model(name, model_provider=provider, **kwargs)
    except Exception as exc:
        raise ConfigError(f"cannot build the chat model {settings.llm_model!r}: {exc}") from exc
    finish_model(model, provider, settings)
    return model


def _escape(text: str) -> str:
    return text.replace("<", "‹").replace(">", "›")


class LLMComposer:
    def __init__(
        self, *, model: ChatModel, fallback: ExtractiveComposer, timeout: float = 20.0
    ) -> None:
        self.model = model
        self.fallback = fallback
        self.timeout = timeout
        self.templates = load_templates()

    def messages(self, result: SearchResult) -> list[tuple[str, str]]:
        t = self.templates
        hits = result.hits[:LLM_SOURCES]
        sources = "\n".join(
            t["source"].format(number=i, title=_escape(h.chunk.title), text=_escape(h.chunk.text))
            for i, h in enumerate(hits, start=1)
        )
        system = t["system"].format(language=t["language"].get(result.lang, "French"))
        user = t["user"].format(question=_escape(result.query), sources=sources)
        return [("system", system), ("human", user)]

    async def _ask(self, result: SearchResult) -> Answer:
        reply = await asyncio.wait_for(self.model.ainvoke(self.messages(result)), self.timeout)
        text = str(getattr(reply, "content", reply)).strip()
        hits = result.hits[:LLM_SOURCES]
        if not text or "NO_ANSWER" in text:
            return Answer(declined=True, mode="llm")
        cited = [int(n) for n in _CITE.findall(text)]
        if not cited or any(n < 1 or n > len(hits) for n in cited):
            raise LLMError("the model's answer cites no valid source")
        numbers = sorted(set(cited))
        renumber = {old: new for new, old in enumerate(numbers, start=1)}
        text = _CITE.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
        used = [hits[n - 1] for n in numbers]
        citations = [
            Citation(number=renumber[n], source_id=h.chunk.source_id, title=h.chunk.title,
                     url=h.chunk.url, kind=h.chunk.kind)
            for n, h in zip(numbers, used, strict=True)
        ]
        blocks = [p.strip() for p in text.split("\n\n") if p.strip()]
        return Answer(blocks=blocks, citations=citations, used=used, mode="llm")

    async def rewrite(self, followup: str, *, previous: str, subject: str) -> str | None:
        """A follow-up as a standalone question ("et le montant ?" -> "Quel est le montant du
        Prêt Nouvelle Industrie ?"); ``None`` when the model fails or answers off-format."""
        t = self.templates
        messages = [("system", t["rewrite_system"]),
                    ("human", t["rewrite_user"].format(previous=_escape(previous),
                                                       subject=_escape(subject),
                                                       followup=_escape(followup)))]
        try:
            reply = await asyncio.wait_for(self.model.ainvoke(messages), self.timeout)
        except Exception as exc:  # timeout, HTTP error: the rule-based rewrite stands
            log.warning("llm rewrite failed, keeping the rule-based follow-up", exc_info=exc)
            return None
        text = " ".join(str(getattr(reply, "content", reply)).split())
        if not text or len(text) > MAX_REWRITE or "\n" in text or "NO_ANSWER" in text:
            return None
        return text

    async def compose(self, result: SearchResult) -> Answer:
        if result.declined or not select_sources(result):
            return self.fallback.compose(result)
        try:
            return await self._ask(result)
        except Exception as exc:  # timeout, HTTP error, uncited text: extractive instead
            log.warning("llm answer failed, falling back to extractive", exc_info=exc)
            return self.fallback.compose(result)
