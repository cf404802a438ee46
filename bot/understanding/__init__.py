"""Understanding what people type: intents, named records, follow-ups (see ``intents``)."""

from __future__ import annotations

from bot.understanding.intents import Intent, IntentKind, Understanding
from bot.understanding.memory import Memory
from bot.understanding.records import RecordIndex, RecordKind, RecordRef
from bot.understanding.vocabulary import Vocabulary, is_question

__all__ = [
    "Intent",
    "IntentKind",
    "Memory",
    "RecordIndex",
    "RecordKind",
    "RecordRef",
    "Understanding",
    "Vocabulary",
    "is_question",
]
