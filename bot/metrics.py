"""Prometheus metrics, in a registry of our own (tests get a fresh one).

Usage::

    metrics = Metrics()
    metrics.messages.labels(channel="telegram", outcome="answered").inc()
    body = await metrics.render(db)        # text exposition, DB gauges refreshed first
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.storage import Database

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter("relocbot_messages", "Events handled, by channel and outcome",
                                ["channel", "outcome"], registry=self.registry)
        self.latency = Histogram("relocbot_answer_latency_seconds",
                                 "Time to handle one event", ["channel"],
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
                                 registry=self.registry)
        self.declines = Counter("relocbot_declines", "Questions declined", ["channel"],
                                registry=self.registry)
        self.leads = Gauge("relocbot_leads", "Leads by desk and status", ["desk", "status"],
                           registry=self.registry)
        self.outbox = Gauge("relocbot_outbox_items", "Outbox items by status", ["status"],
                            registry=self.registry)

    async def refresh(self, db: Database) -> None:
        counts = await db.reports.pipeline_counts()
        self.leads.clear()
        for (desk, status), count in counts.leads.items():
            self.leads.labels(desk=desk, status=status).set(count)
        self.outbox.clear()
        for status in ("pending", "sending", "sent", "dead"):
            self.outbox.labels(status=status).set(0)
        for status, count in counts.outbox.items():
            self.outbox.labels(status=status).set(count)

    async def render(self, db: Database | None = None) -> bytes:
        if db is not None:
            await self.refresh(db)
        return bytes(generate_latest(self.registry))
