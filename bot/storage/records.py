"""What the lead repositories hand out and take in: detached, read-only copies of the rows
(no ORM object leaves ``bot.storage``), and the description of an outbox row to write.

Usage::

    lead = await tx.get(ref="REL-2026-00042")        # LeadRecord | None
    lead.desk_id, lead.details.get("aids", [])
    tx.add_outbox(items=[NewOutboxItem(lead_id=lead.id, kind="new", notifier="inbox",
                                       target="var/inbox", payload={...},
                                       idempotency_key="REL-2026-00042:new:0:inbox:ab12",
                                       next_attempt_at=now)])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from bot.storage.lead_tables import Lead, LeadEvent, OutboxItem

__all__ = ["LeadEventRecord", "LeadRecord", "NewOutboxItem", "OutboxRecord", "event_record",
           "lead_record", "outbox_record", "outbox_row"]


@dataclass(frozen=True)
class LeadRecord:
    """One lead, its fields in the table's column order (``dataclasses.fields`` lists them)."""

    id: int
    ref: str
    submission_key: str
    status: str
    desk_id: str
    rule: str
    owner: str | None
    score: int
    tier: str
    channel: str
    conversation_key: str | None
    user_key: str | None
    department: str | None
    size: str | None
    headcount: int | None
    sector: str | None
    stage: str | None
    timeline: str | None
    company: str | None
    siren: str | None
    postal_code: str | None
    commune: str | None
    product: str | None
    origin: str | None
    contact_name: str | None
    email: str | None
    phone: str | None
    details: dict[str, Any]
    consent_at: dt.datetime | None
    consent_version: str | None
    consent_purpose: str | None
    anonymised_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    claimed_at: dt.datetime | None
    escalated_at: dt.datetime | None
    routed_at: dt.datetime | None = None
    reminder_step: int = 0
    surveyed_at: dt.datetime | None = None


@dataclass(frozen=True)
class LeadEventRecord:
    """One entry of a lead's audit trail."""

    id: int
    lead_id: int
    action: str
    actor: str
    detail: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class OutboxRecord:
    """One outbox row (see ``bot.storage.lead_tables.OutboxItem`` for the statuses)."""

    id: int
    lead_id: int | None
    kind: str
    notifier: str
    target: str
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    locked_until: dt.datetime | None
    last_error: str | None
    remote_ref: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    dead: bool


@dataclass(frozen=True)
class NewOutboxItem:
    """An outbox row to write (``pending``, no attempt yet); ``created_at`` defaults to the
    database write time. ``status="sent"``: a row nothing has to deliver, written as done at
    once (a company's reply kept for the advisor console, notifier ``console``)."""

    lead_id: int | None
    kind: str
    notifier: str
    target: str
    idempotency_key: str
    next_attempt_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    status: Literal["pending", "sent"] = "pending"


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def lead_record(row: Lead) -> LeadRecord:
    data = {f.name: _copy(getattr(row, f.name)) for f in fields(LeadRecord)}
    data["details"] = dict(row.details or {})
    return LeadRecord(**data)


def event_record(row: LeadEvent) -> LeadEventRecord:
    return LeadEventRecord(id=row.id, lead_id=row.lead_id, action=row.action, actor=row.actor,
                           detail=dict(row.detail or {}), at=row.at)


def outbox_row(item: NewOutboxItem) -> OutboxItem:
    """The ORM row to insert for ``item`` (storage-internal)."""
    extra: dict[str, Any] = {} if item.created_at is None else {"created_at": item.created_at}
    if item.status == "sent":
        extra["sent_at"] = item.created_at or item.next_attempt_at
    return OutboxItem(lead_id=item.lead_id, kind=item.kind, notifier=item.notifier,
                      target=item.target, payload=item.payload,
                      idempotency_key=item.idempotency_key, status=item.status, attempts=0,
                      next_attempt_at=item.next_attempt_at, dead=False, **extra)


def outbox_record(row: OutboxItem) -> OutboxRecord:
    data = {f.name: _copy(getattr(row, f.name)) for f in fields(OutboxRecord)}
    data["payload"] = dict(row.payload or {})
    return OutboxRecord(**data)
