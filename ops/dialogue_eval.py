"""Multi-turn evaluation (``relocbot eval ops/evalsets/dialogues.yaml``): each dialogue played
through the real ``Assistant`` (fresh conversation, SQLite), beside the previous pipeline
(every message straight to retrieval) in the same run. Figures, never asserts.

Metrics: intent accuracy, follow-up resolution (intent right and fact found), first-sentence
fact rate (an expected fact within the first 300 characters of the reply), false-decline rate,
decline recall, per-turn latency p50/p95. A reply saying the sources do not hold what was asked
(``meta["missing"]``: "my sources do not say...", then the advisor offer) counts as declining,
for both rates.

Usage::

    report = await play(assistant, load_dialogues(path))
    report.metrics()["intent_accuracy"]
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.assistant import Assistant
from bot.i18n import detect_language
from bot.messages import Incoming, Reply
from knowledge.yamlfile import load_yaml

__all__ = ["FIRST_CHARS", "DialogueReport", "TurnOutcome", "load_dialogues", "play"]

FIRST_CHARS = 300
_IN_SCOPE = {"find_aid", "find_partner", "cci_lookup", "record_question", "question"}


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces, and typography that varies between writers
    ("40 %" / "40%", "4,75 M€" / "4,75M€") made one."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    folded = " ".join("".join(c for c in text if not unicodedata.combining(c)).split())
    return re.sub(r" (?=[%€])", "", folded)


def single_turns(items: list[Any]) -> list[dict[str, Any]]:
    """Retrieval-set items (``q``, ``expect``, ``answerable``) as one-turn dialogues: an
    answerable one is a question whose fact must come first, the others must be declined."""
    out = []
    for n, item in enumerate(items):
        turn: dict[str, Any] = {"say": item.q}
        if item.answerable:
            turn |= {"expect": list(item.expect), "in_scope": True}
        else:
            turn |= {"intent": "offtopic", "decline": True}
        out.append({"id": f"item-{n}", "lang": detect_language(item.q), "turns": [turn]})
    return out


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, list[dict[str, Any]]] = load_yaml(fh)
    return data["dialogues"]


@dataclass
class TurnOutcome:
    dialogue: str
    say: str
    expected: str | None
    predicted: str
    declined: bool
    text: str
    fact: bool | None          # None: no fact expected
    followup: bool
    must_decline: bool
    latency_ms: float
    in_scope: bool = False     # a retrieval-set question that must be answered

    @property
    def intent_ok(self) -> bool:
        if self.expected is None:
            return True
        if self.expected == "offtopic" or self.must_decline:
            return self.declined
        return self.predicted == self.expected


@dataclass
class DialogueReport:
    turns: list[TurnOutcome] = field(default_factory=list)

    def _rate(self, outcomes: list[bool]) -> float:
        return sum(outcomes) / len(outcomes) if outcomes else 0.0

    def metrics(self) -> dict[str, float]:
        t = self.turns
        labelled = [o for o in t if o.expected]
        follow = [o for o in t if o.followup]
        facts = [o for o in t if o.fact is not None]
        in_scope = [o for o in t if (o.expected in _IN_SCOPE or o.in_scope)
                    and not o.must_decline]
        declines = [o for o in t if o.must_decline or o.expected == "offtopic"]
        latencies = sorted(o.latency_ms for o in t) or [0.0]
        return {
            "intent_accuracy": self._rate([o.intent_ok for o in labelled]),
            "followup_resolution": self._rate([o.intent_ok and o.fact is not False
                                               for o in follow]),
            "first_sentence_fact": self._rate([bool(o.fact) for o in facts]),
            "false_decline_rate": self._rate([o.declined for o in in_scope]),
            "decline_recall": self._rate([o.declined for o in declines]),
            "turn_p50_ms": latencies[len(latencies) // 2],
            "turn_p95_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))],
            "turns": float(len(t)),
        }

    def misses(self) -> list[TurnOutcome]:
        return [o for o in self.turns if not o.intent_ok or o.fact is False
                or ((o.expected in _IN_SCOPE or o.in_scope) and not o.must_decline
                    and o.declined)]


def _outcome(dialogue: str, turn: dict[str, Any], replies: list[Reply], predicted: str,
             elapsed: float) -> TurnOutcome:
    text = "\n\n".join(r.text for r in replies)
    expect = turn.get("expect")
    fact = None
    if expect:
        head = _fold(text[:FIRST_CHARS])
        fact = any(_fold(e) in head for e in expect)
    return TurnOutcome(
        dialogue=dialogue, say=str(turn["say"]), expected=turn.get("intent"),
        predicted=predicted, declined=any(r.kind == "decline" or r.meta.get("missing")
                                          for r in replies), text=text,
        fact=fact, followup=bool(turn.get("followup")),
        must_decline=bool(turn.get("decline")), latency_ms=elapsed * 1000,
        in_scope=bool(turn.get("in_scope")))


async def play(assistant: Assistant, dialogues: list[dict[str, Any]], *,
               baseline: bool = False) -> DialogueReport:
    """Play every dialogue; ``baseline``: the previous pipeline (retrieval for every text)."""
    report = DialogueReport()
    run = uuid.uuid4().hex[:8]
    for dialogue in dialogues:
        key = f"eval:{run}:{dialogue['id']}"
        lang = dialogue.get("lang", "fr")
        for turn in dialogue["turns"]:
            started = time.perf_counter()
            if baseline:
                answer = await assistant.compose(str(turn["say"]), lang)
                replies = [Reply(blocks=tuple(answer.blocks),
                                 kind="decline" if answer.declined else "answer",
                                 meta={"missing": "yes"} if answer.missing else {})]
                predicted = "question"
            else:
                incoming = Incoming(channel="eval", conversation_key=key, user_id=key,
                                    text=str(turn["say"]))
                replies = await assistant.handle(incoming)
                predicted = next((r.meta.get("intent", "") for r in replies
                                  if r.meta.get("intent")), "")
            report.turns.append(_outcome(dialogue["id"], turn, replies, predicted,
                                         time.perf_counter() - started))
    return report
