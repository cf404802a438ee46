"""Transparent lead scoring: points from a data table, a tier, and the reasons listed.

Usage::

    scored = score_lead(answers, thresholds=(60, 30))
    scored.points, scored.tier, scored.reasons   # 72, "chaud", [("stage", "pret", 30), ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.yamlfile import load_yaml

__all__ = ["Scored", "score_lead"]

SCORING_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "lead_scoring.yaml"


@dataclass
class Scored:
    points: int
    tier: str
    reasons: list[tuple[str, str, int]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    with SCORING_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml(fh)
    return data


def score_lead(answers: dict[str, Any], *, thresholds: tuple[int, int]) -> Scored:
    """``thresholds`` = (hot, warm): points >= hot -> "chaud", >= warm -> "tiede", else "froid"."""
    table = _table()
    reasons: list[tuple[str, str, int]] = []
    for key in ("stage", "timeline", "size"):
        value = answers.get(key)
        points = int(table[key].get(value, 0)) if value else 0
        if points:
            reasons.append((key, str(value), points))
    for key, points in table["completeness"].items():
        if answers.get(key):
            reasons.append((key, "ok", int(points)))
    if answers.get("jobs") or answers.get("investment_eur"):
        reasons.append(("project_figures", "ok", int(table["project_figures"])))
    total = sum(p for _, _, p in reasons)
    hot, warm = thresholds
    tier = "chaud" if total >= hot else "tiede" if total >= warm else "froid"
    return Scored(points=total, tier=tier, reasons=reasons)
