"""What the conversation remembers of the previous turn, so that follow-ups resolve.

Kept in the conversation state (``state.data["memory"]``: database, so replicas share it),
bounded (ten results, one focus, a short question), erased with the state by /oublier.

Usage::

    memory = Memory.load(ctx.state.data)
    memory.topic, memory.results[0], memory.focus
    Memory(topic="find_aid", profile={...}, results=[RecordRef("aid", "pni")]).save(data)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from bot.understanding.records import RecordKind, RecordRef

__all__ = ["MAX_RESULTS", "Memory"]

MAX_RESULTS = 10
MAX_QUESTION = 300


def _ref(data: Any) -> RecordRef | None:
    if isinstance(data, list | tuple) and len(data) == 2 and data[0] in ("aid", "partner", "cci"):
        return RecordRef(cast(RecordKind, data[0]), str(data[1]))
    return None


@dataclass
class Memory:
    topic: str | None = None              # the intent of the last answered turn
    profile: dict[str, Any] = field(default_factory=dict)
    results: list[RecordRef] = field(default_factory=list)   # in the order shown
    focus: RecordRef | None = None        # the record the last answer was about
    question: str = ""                    # the last general question
    need: str = ""                        # the last partner need
    place: str = ""                       # the last place asked about (CCI lookup)
    attribute: str = ""                   # the last attribute asked about the focus

    @classmethod
    def load(cls, data: dict[str, Any]) -> Memory:
        raw = data.get("memory") or {}
        return cls(
            topic=raw.get("topic"), profile=dict(raw.get("profile") or {}),
            results=[r for r in (_ref(x) for x in raw.get("results") or []) if r],
            focus=_ref(raw.get("focus")), question=str(raw.get("question") or ""),
            need=str(raw.get("need") or ""), place=str(raw.get("place") or ""),
            attribute=str(raw.get("attribute") or ""),
        )

    def save(self, data: dict[str, Any]) -> None:
        data["memory"] = {
            "topic": self.topic, "profile": self.profile,
            "results": [[r.kind, r.id] for r in self.results[:MAX_RESULTS]],
            "focus": [self.focus.kind, self.focus.id] if self.focus else None,
            "question": self.question[:MAX_QUESTION], "need": self.need[:MAX_QUESTION],
            "place": self.place[:120], "attribute": self.attribute[:20],
        }

    def pick(self, ordinal: int) -> RecordRef | None:
        """The n-th result shown (``-1``: the last), or ``None``."""
        if not self.results:
            return None
        if ordinal < 0:
            return self.results[-1]
        return self.results[ordinal] if ordinal < len(self.results) else None
