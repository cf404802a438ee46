"""Retrieval and declining metrics on an evaluation set (``relocbot eval FILE.yaml``).

File format::

    items:
      - q: "Combien de produits ... ?"
        expect: ["250 produits"]          # a hit when one appears in a top-k source's text
      - q: "Quelle est la météo demain ?"
        answerable: false

Usage::

    items = load_items(Path("ops/evalsets/dev.yaml"))
    report = evaluate(items, search=lambda q: kb.search(q, lang=detect_language(q)))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from knowledge.lexical import fold
from knowledge.retriever import SearchResult
from knowledge.yamlfile import load_yaml

__all__ = ["EvalItem", "EvalReport", "Outcome", "calibrate", "evaluate", "load_items"]


class EvalItem(BaseModel):
    q: str = Field(min_length=1)
    expect: list[str] = Field(default_factory=list)
    answerable: bool = True


@dataclass
class Outcome:
    item: EvalItem
    rank: int | None  # 1-based rank of the first source containing an expected string
    declined: bool
    confidence: float
    offtopic: float
    reason: str
    seconds: float


@dataclass
class EvalReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def _answerable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.answerable]

    def hit_at(self, k: int) -> float:
        items = self._answerable()
        return sum(o.rank is not None and o.rank <= k for o in items) / max(len(items), 1)

    @property
    def mrr(self) -> float:
        items = self._answerable()
        return sum(1 / o.rank for o in items if o.rank) / max(len(items), 1)

    @property
    def answered_correctly(self) -> float:
        items = self._answerable()
        return sum(not o.declined and o.rank is not None and o.rank <= 5 for o in items) / max(
            len(items), 1
        )

    @property
    def decline_precision(self) -> float:
        declined = [o for o in self.outcomes if o.declined]
        return sum(not o.item.answerable for o in declined) / max(len(declined), 1)

    @property
    def decline_recall(self) -> float:
        unanswerable = [o for o in self.outcomes if not o.item.answerable]
        return sum(o.declined for o in unanswerable) / max(len(unanswerable), 1)

    def latency_ms(self, percentile: float) -> float:
        return float(np.percentile([o.seconds * 1000 for o in self.outcomes], percentile))

    def metrics(self) -> dict[str, float]:
        return {
            "items": float(len(self.outcomes)),
            "hit@1": self.hit_at(1),
            "hit@5": self.hit_at(5),
            "mrr": self.mrr,
            "answered_correctly": self.answered_correctly,
            "decline_precision": self.decline_precision,
            "decline_recall": self.decline_recall,
            "latency_p50_ms": self.latency_ms(50),
            "latency_p95_ms": self.latency_ms(95),
        }

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if (o.item.answerable and (o.declined or not o.rank
                or o.rank > 5)) or (not o.item.answerable and not o.declined)]


def load_items(path: Path) -> list[EvalItem]:
    with path.open(encoding="utf-8") as fh:
        data: Any = load_yaml(fh)
    raw = data.get("items", []) if isinstance(data, dict) else data
    return [EvalItem.model_validate(item) for item in raw]


def _rank(result: SearchResult, expect: Sequence[str]) -> int | None:
    wanted = [fold(e) for e in expect]
    for rank, hit in enumerate(result.hits, start=1):
        text = fold(hit.chunk.text)
        if any(w in text for w in wanted):
            return rank
    return None


def evaluate(items: Iterable[EvalItem], *, search: Callable[[str], SearchResult]) -> EvalReport:
    report = EvalReport()
    for item in items:
        started = time.perf_counter()
        result = search(item.q)
        seconds = time.perf_counter() - started
        report.outcomes.append(Outcome(
            item=item, rank=_rank(result, item.expect) if item.expect else None,
            declined=result.declined, confidence=result.confidence, offtopic=result.offtopic,
            reason=result.reason, seconds=seconds,
        ))
    return report


def calibrate(report: EvalReport) -> tuple[float, float, float]:
    """Best (min_dense, offtopic_margin, score) on this report's features.

    Maximises decline F1 on unanswerable items while keeping answerable items answered;
    reasons other than the two thresholds (e.g. unknown year) are kept as they are.
    """
    best = (0.0, 0.0, -1.0)
    for min_dense in np.arange(0.78, 0.86, 0.0025):
        for margin in np.arange(-0.03, 0.03, 0.0025):
            tp = fp = fn = 0
            for o in report.outcomes:
                declined = (o.confidence < min_dense or o.offtopic - o.confidence > margin
                            or o.reason in ("unknown-year", "no-hit"))
                if declined and not o.item.answerable:
                    tp += 1
                elif declined:
                    fp += 1
                elif not o.item.answerable:
                    fn += 1
            f1 = 2 * tp / max(2 * tp + fp + fn, 1)
            # prefer the least aggressive thresholds among equals (generalises better)
            score = f1 - 0.01 * fp
            if score > best[2]:
                best = (round(float(min_dense), 4), round(float(margin), 4), score)
    return best
