"""One way to dispatch: every capability is a ``Flow``; the router asks the registry which
flow serves an intent, a button prefix or the form waiting for an answer (as PTB's handlers
and bolt's listener matchers do).

Usage::

    class Hello:
        intents = ("greeting",)
        prefix = None
        state = None

        async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
            return [ctx.reply(catalog, "greeting_reply")]

    registry = FlowRegistry([Hello(), finder, lead_form])
    await registry.for_intent("greeting").handle(ctx, intent)
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Protocol, TypeVar, runtime_checkable

from bot.actions import Action
from bot.answering import Answer
from bot.messages import Reply
from bot.middleware import Context
from bot.understanding import Intent
from knowledge.embeddings import Vector

__all__ = ["Compose", "Flow", "FlowRegistry", "FormFlow"]


class Compose(Protocol):
    """Search and compose an answer (``Assistant.compose``)."""

    def __call__(self, question: str, lang: str, vector: Vector | None, *,
                 kinds: list[str] | None = None,
                 avoid: frozenset[str] = frozenset()) -> Awaitable[Answer]: ...


@runtime_checkable
class Flow(Protocol):
    @property
    def intents(self) -> tuple[str, ...]:
        """The intents it serves outside a form."""

    @property
    def prefix(self) -> str | None:
        """The button prefix it owns (``bot.actions.PREFIXES``)."""

    @property
    def state(self) -> str | None:
        """``state.flow`` while it waits for an answer."""

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]: ...

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]: ...


@runtime_checkable
class FormFlow(Flow, Protocol):
    """A flow that asks questions: typed answers go to ``on_answer``; ``resume`` asks the
    pending question again after a digression."""

    async def on_answer(self, ctx: Context, text: str) -> list[Reply]: ...

    def resume(self, ctx: Context) -> list[Reply]: ...


F = TypeVar("F")


class FlowRegistry:
    def __init__(self, flows: Iterable[Flow]) -> None:
        self.flows = list(flows)
        self._intents: dict[str, Flow] = {}
        self._prefixes: dict[str, Flow] = {}
        self._states: dict[str, FormFlow] = {}
        for flow in self.flows:
            for intent in flow.intents:
                self._add(self._intents, intent, flow)
            if flow.prefix:
                self._add(self._prefixes, flow.prefix, flow)
            if flow.state:
                if not isinstance(flow, FormFlow):
                    raise TypeError(f"{type(flow).__name__} has a state but is not a form")
                self._add(self._states, flow.state, flow)

    @staticmethod
    def _add(table: dict[str, Flow] | dict[str, FormFlow], key: str, flow: Flow) -> None:
        if key in table:
            raise ValueError(f"{key!r} is served twice")
        table[key] = flow  # type: ignore[assignment]

    def for_intent(self, intent: str) -> Flow:
        return self._intents[intent]

    def for_action(self, action: Action) -> Flow | None:
        return self._prefixes.get(action.flow)

    def for_state(self, state: str | None) -> FormFlow | None:
        return self._states.get(state) if state else None

    def get(self, kind: type[F]) -> F:
        """The one registered flow of class ``kind`` (the router calls a few by name)."""
        [flow] = [f for f in self.flows if isinstance(f, kind)]
        return flow
