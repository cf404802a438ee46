"""The store on SQLAlchemy 2 (async): SQLite by default, PostgreSQL in production. Only this
package imports SQLAlchemy or Alembic; everything else goes through ``Database``, its
repositories and the records they return, and sees database failures as
``bot.errors.StorageError`` (``ConstraintError`` for a broken unique key).

Usage::

    db = Database(settings.sqlalchemy_url)
    await db.migrate()                                  # Alembic upgrade head
    state = await db.load_state("telegram:42:42", channel="telegram")
    state.lang = "en"; await db.save_state(state)
    if await db.claim_event("telegram:update:1001"): ...   # False for a duplicate delivery
    async with db.leads.transaction() as tx: ...       # bot.storage.leads / lead_tx
    await db.outbox.due(now=now, limit=50)             # bot.storage.outbox
    await db.reports.usage()                           # bot.storage.reports
    await db.channel_store.get(namespace="slack-thread", key="T1:C1:17.1")   # channel_store
    await db.console.leads(query=LeadQuery(desks=("cci-grand-lille",)))   # bot.storage.console
"""

from __future__ import annotations

from bot.storage.channel_store import ChannelStore
from bot.storage.console import (
    AccessRecord,
    ConsoleRepository,
    LeadFact,
    LeadPage,
    LeadQuery,
    SessionRecord,
)
from bot.storage.conversations import ConversationState, FeedbackRecord, QuestionRecord
from bot.storage.database import Database
from bot.storage.guard import ConstraintError
from bot.storage.lead_tx import LeadTransaction
from bot.storage.leads import LeadHistory, LeadRepository
from bot.storage.outbox import Claim, OutboxRepository
from bot.storage.records import LeadEventRecord, LeadRecord, NewOutboxItem, OutboxRecord
from bot.storage.reports import PipelineCounts, ReportRepository, Usage
from bot.storage.scrub import scrub
from bot.storage.tables import utcnow

__all__ = [
    "AccessRecord",
    "ChannelStore",
    "Claim",
    "ConsoleRepository",
    "ConstraintError",
    "ConversationState",
    "Database",
    "FeedbackRecord",
    "LeadEventRecord",
    "LeadFact",
    "LeadHistory",
    "LeadPage",
    "LeadQuery",
    "LeadRecord",
    "LeadRepository",
    "LeadTransaction",
    "NewOutboxItem",
    "OutboxRecord",
    "OutboxRepository",
    "PipelineCounts",
    "QuestionRecord",
    "ReportRepository",
    "SessionRecord",
    "Usage",
    "scrub",
    "utcnow",
]
