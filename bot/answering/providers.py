"""Which LangChain provider serves ``LLM_MODEL``, with which arguments, from which extra.

``LLM_MODEL`` is ``provider:model`` (``mistralai:mistral-small-latest``, ``ollama:llama3.1:8b``,
``openai:gpt-4o-mini``) or a bare model name. A bare name with ``LLM_BASE_URL`` goes to an
OpenAI-compatible server (the Albert API, vLLM, LiteLLM, Ollama's ``/v1``); without a base URL,
LangChain infers the provider from the name. Every provider gets ``LLM_BASE_URL``,
``LLM_API_KEY`` and ``LLM_TIMEOUT`` in its own client's terms, and no retries (the composer
falls back to the extractive answer instead of waiting).

Usage::

    provider, model = resolve_model(settings)     # ("ollama", "llama3.1:8b")
    require_package(provider, settings)           # ConfigError: pip install 'relocbot[ollama]'
    chat = init_chat_model(model, model_provider=provider, **provider_kwargs(provider, settings))
    finish_model(chat, provider, settings)
"""

from __future__ import annotations

import importlib
import math
from typing import Any, NamedTuple

from bot.errors import ConfigError
from bot.settings import Settings

__all__ = ["PROVIDERS", "Provider", "finish_model", "provider_kwargs", "require_package",
           "resolve_model"]


class Provider(NamedTuple):
    module: str  # the LangChain integration package, as imported
    extra: str  # pip install 'relocbot[<extra>]'


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("langchain_openai", "openai"),
    "mistralai": Provider("langchain_mistralai", "mistral"),
    "ollama": Provider("langchain_ollama", "ollama"),
}


def _langchain_providers() -> set[str]:
    """Provider prefixes that ``init_chat_model`` itself splits off a ``provider:model`` name."""
    from langchain.chat_models import base

    return set(PROVIDERS) | set(getattr(base, "_BUILTIN_PROVIDERS", {}))


def _infer_provider(model: str) -> str | None:
    from langchain.chat_models import base

    infer = getattr(base, "_attempt_infer_model_provider", None)
    provider = infer(model) if callable(infer) else None
    return provider if isinstance(provider, str) else None


def resolve_model(settings: Settings) -> tuple[str | None, str]:
    """``(provider, model)`` for ``LLM_MODEL``; the model part keeps its own colons
    (``ollama:llama3.1:8b`` → ``("ollama", "llama3.1:8b")``). A bare name is OpenAI-compatible
    when ``LLM_BASE_URL`` is set, otherwise LangChain's guess (``None`` if it has none)."""
    spec = (settings.llm_model or "").strip()
    prefix, sep, rest = spec.partition(":")
    if sep and rest and prefix in _langchain_providers():
        return prefix, rest
    if settings.llm_base_url:
        return "openai", spec
    return _infer_provider(spec), spec


def require_package(provider: str | None, settings: Settings) -> None:
    """Raise ``ConfigError`` naming the extra to install when the provider's package is absent."""
    known = PROVIDERS.get(provider or "")
    if known is None:
        return  # other LangChain providers: init_chat_model names their package itself
    try:
        importlib.import_module(known.module)
    except ImportError as exc:
        raise ConfigError(
            f"LLM_MODEL={settings.llm_model!r} needs the {provider} provider package "
            f"({known.module.replace('_', '-')}), which is not installed: "
            f"pip install 'relocbot[{known.extra}]'"
        ) from exc


def provider_kwargs(provider: str | None, settings: Settings) -> dict[str, Any]:
    """The chat model's constructor arguments for the base URL, the key and the timeout."""
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    kwargs: dict[str, Any] = {}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    if provider == "ollama":
        # The ollama client has no retries; timeout and headers go to its httpx clients.
        client: dict[str, Any] = {"timeout": settings.llm_timeout}
        if api_key:
            client["headers"] = {"Authorization": f"Bearer {api_key}"}
        kwargs["client_kwargs"] = client
        return kwargs
    if provider == "mistralai":
        # ChatMistralAI's ``timeout`` is whole seconds; finish_model sets the exact value.
        kwargs["timeout"] = max(1, math.ceil(settings.llm_timeout))
    else:
        kwargs["timeout"] = settings.llm_timeout
    kwargs["max_retries"] = 0
    if api_key:
        kwargs["api_key"] = api_key
    return kwargs


def finish_model(model: object, provider: str | None, settings: Settings) -> None:
    """Adjustments the constructor cannot express: Mistral's httpx clients get the exact
    ``LLM_TIMEOUT`` (the constructor only takes whole seconds)."""
    if provider != "mistralai":
        return
    import httpx

    for name in ("client", "async_client"):
        client = getattr(model, name, None)
        if isinstance(client, httpx.Client | httpx.AsyncClient):
            client.timeout = httpx.Timeout(settings.llm_timeout)
