from __future__ import annotations

import datetime as dt

from bot.reports import gaps, normalise_question, stats
from bot.storage import Database
from bot.storage.lead_tables import Lead


def test_normalise_groups_near_identical_questions() -> None:
    assert normalise_question("Météo à Lille le 12 ?") == normalise_question("meteo a lille le 3")


async def _question(db: Database, text: str, *, declined: bool, channel: str = "telegram") -> None:
    await db.log_question(channel=channel, lang="fr", question=text, declined=declined,
                          reason="", top_source=None, latency_ms=5.0)


async def test_gaps_rank_declined_and_thumbs_down_questions(db: Database) -> None:
    for _ in range(3):
        await _question(db, "Quelle est la météo à Lille ?", declined=True)
    await _question(db, "Quelle est la meteo a Lille", declined=True)
    await _question(db, "Aides pour une PME ?", declined=False)
    await db.add_feedback(channel="slack", rating=-1, question="Qui fabrique des vélos ?",
                          sources=[])
    await db.add_feedback(channel="slack", rating=1, question="Merci", sources=[])
    rows = await gaps(db)
    assert rows[0] == ("quelle est la meteo a lille", 4, 4, 0)
    assert ("qui fabrique des velos", 1, 0, 1) in rows
    assert all("pme" not in q and q != "merci" for q, *_ in rows)


async def test_stats_per_channel_day_desk_and_time_to_claim(db: Database) -> None:
    await _question(db, "a", declined=True)
    await _question(db, "b", declined=False)
    await _question(db, "c", declined=False, channel="slack")
    now = dt.datetime.now(dt.UTC)
    async with db.sessions.begin() as session:
        for i, (desk, tier, claimed) in enumerate([("cci-aisne", "chaud", 4),
                                                   ("cci-aisne", "chaud", 2),
                                                   ("cci-oise", "froid", None)]):
            session.add(Lead(ref=f"REL-T-{i}", submission_key=f"k{i}", status="new",
                             desk_id=desk, rule="r", score=1, tier=tier, channel="t",
                             details={}, created_at=now, updated_at=now,
                             claimed_at=now + dt.timedelta(hours=claimed) if claimed else None))
    tables = await stats(db)
    telegram = next(r for r in tables["questions"] if r["channel"] == "telegram")
    assert (telegram["questions"], telegram["declined"], telegram["decline_rate"]) == (2, 1, 0.5)
    assert {"desk": "cci-aisne", "tier": "chaud", "leads": 2} in tables["leads"]
    assert tables["claims"] == [{"claimed": 2, "unclaimed": 1, "median_hours_to_claim": 3.0}]


async def test_metrics_gauges_count_leads_and_outbox_items(db: Database) -> None:
    from bot.metrics import Metrics
    from bot.storage import NewOutboxItem

    now = dt.datetime.now(dt.UTC)
    values = {"status": "new", "rule": "r", "score": 1, "tier": "chaud", "channel": "t",
              "details": {}, "created_at": now, "updated_at": now}
    async with db.leads.transaction() as tx:
        for i, (desk, status) in enumerate([("cci-aisne", "new"), ("cci-aisne", "new"),
                                            ("cci-oise", "claimed")]):
            lead = await tx.insert(values={**values, "ref": f"REL-M-{i}",
                                           "submission_key": f"m{i}", "desk_id": desk,
                                           "status": status})
            tx.add_outbox(items=[NewOutboxItem(lead_id=lead.id, kind="new", notifier="inbox",
                                               target="x", idempotency_key=f"m{i}",
                                               next_attempt_at=now)])
    body = (await Metrics().render(db)).decode()
    assert 'relocbot_leads{desk="cci-aisne",status="new"} 2.0' in body
    assert 'relocbot_leads{desk="cci-oise",status="claimed"} 1.0' in body
    assert 'relocbot_outbox_items{status="pending"} 3.0' in body
    assert 'relocbot_outbox_items{status="dead"} 0.0' in body
