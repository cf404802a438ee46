"""Operator reports: what the corpus is missing (gaps) and how the bot is used (stats).

Usage::

    rows = await gaps(db, limit=20)      # [("quelle est la meteo a lille demain", 4, 3, 1), ...]
    tables = await stats(db)             # {"questions": [...], "leads": [...], "surveys": [...]}
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

from bot.storage import Database
from knowledge.lexical import fold

__all__ = ["gaps", "normalise_question", "stats", "survey_stats"]


def normalise_question(text: str) -> str:
    """Group near-identical questions: folded, punctuation and numbers collapsed."""
    text = re.sub(r"\d+", "#", fold(text))
    return " ".join(re.findall(r"[\w#]+", text))


async def gaps(db: Database, *, limit: int = 20) -> list[tuple[str, int, int, int]]:
    """(question, total, declined, thumbs down), most frequent first."""
    sources = await db.reports.gap_questions()
    counts_declined = Counter(normalise_question(q) for q in sources.declined)
    counts_down = Counter(normalise_question(q) for q in sources.thumbs_down)
    keys = set(counts_declined) | set(counts_down)
    rows = [(k, counts_declined[k] + counts_down[k], counts_declined[k], counts_down[k])
            for k in keys if k]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows[:limit]


async def stats(db: Database) -> dict[str, list[dict[str, Any]]]:
    usage = await db.reports.usage()
    questions, leads = usage.questions, usage.leads
    per_day: dict[tuple[str, str], list[int]] = {}
    for question in questions:
        day = question.created_at.date().isoformat()
        entry = per_day.setdefault((day, question.channel), [0, 0])
        entry[0] += 1
        entry[1] += int(question.declined)
    question_rows = [{"day": day, "channel": channel, "questions": n, "declined": d,
                      "decline_rate": round(d / n, 3)}
                     for (day, channel), (n, d) in sorted(per_day.items())]
    per_desk: dict[tuple[str, str], int] = Counter((lead.desk_id, lead.tier) for lead in leads)
    lead_rows = [{"desk": desk, "tier": tier, "leads": n}
                 for (desk, tier), n in sorted(per_desk.items())]
    waits = [(lead.claimed_at - lead.created_at).total_seconds() / 3600 for lead in leads
             if lead.claimed_at is not None]
    claim_rows = [{"claimed": len(waits), "unclaimed": len(leads) - len(waits),
                   "median_hours_to_claim": round(statistics.median(waits), 2) if waits
                   else None}]
    return {"questions": question_rows, "leads": lead_rows, "claims": claim_rows,
            "surveys": await survey_stats(db)}


async def survey_stats(db: Database) -> list[dict[str, Any]]:
    """Per desk: surveys sent, answers to both questions, comments (``bot.leads.survey``)."""
    rows: dict[str, Counter[str]] = {}
    for event in await db.reports.survey_events():
        name = event.action.removeprefix("survey_")
        key = f"{name}_{event.answer}" if event.answer in ("yes", "no") else name
        rows.setdefault(event.desk_id, Counter())[key] += 1
    columns = ("sent", "contacted_yes", "contacted_no", "useful_yes", "useful_no", "comment")
    return [{"desk": desk, **{c: counts[c] for c in columns}}
            for desk, counts in sorted(rows.items())]
