"""Tables of the lead pipeline: leads, their audit trail, and the delivery outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.limits import LEAD_COLUMN_CHARS as CHARS
from bot.storage.limits import RULE_CHARS
from bot.storage.tables import Base, utcnow

__all__ = ["Lead", "LeadEvent", "OutboxItem"]


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="new")
    desk_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(RULE_CHARS))
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    conversation_key: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    user_key: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # Business fields (kept after erasure, for statistics).
    department: Mapped[str | None] = mapped_column(String(CHARS["department"]), nullable=True)
    size: Mapped[str | None] = mapped_column(String(CHARS["size"]), nullable=True)
    headcount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sector: Mapped[str | None] = mapped_column(String(CHARS["sector"]), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(CHARS["stage"]), nullable=True)
    timeline: Mapped[str | None] = mapped_column(String(CHARS["timeline"]), nullable=True)
    # Personal or identifying data (erased by /oublier and purge).
    company: Mapped[str | None] = mapped_column(String(CHARS["company"]), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(CHARS["siren"]), nullable=True, index=True)
    postal_code: Mapped[str | None] = mapped_column(String(CHARS["postal_code"]), nullable=True)
    commune: Mapped[str | None] = mapped_column(String(CHARS["commune"]), nullable=True)
    product: Mapped[str | None] = mapped_column(Text, nullable=True)
    origin: Mapped[str | None] = mapped_column(String(CHARS["origin"]), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(CHARS["contact_name"]), nullable=True)
    email: Mapped[str | None] = mapped_column(String(CHARS["email"]), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(CHARS["phone"]), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    consent_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    consent_purpose: Mapped[str | None] = mapped_column(String(255), nullable=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    # The reminder schedule (bot.leads.schedule): when the lead reached its current desk,
    # and the last step done (0 none, 1 reminded, 2 region told, 3 escalated, 4 abandoned).
    routed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True, default=utcnow)
    reminder_step: Mapped[int] = mapped_column(Integer, default=0)
    # The satisfaction survey (bot.leads.survey, migration 0008): when the company was asked.
    surveyed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class LeadEvent(Base):
    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxItem(Base):
    """One delivery to do: a lead notification through one notifier to one target.

    ``status``: pending -> sending (claimed, ``locked_until``) -> sent | pending (retry with
    backoff, ``next_attempt_at``) | dead (after ``max_attempts``); ``cancelled`` when the
    person erased their data before a message to them (or from them) went out. The
    ``idempotency_key`` is stable across retries so receivers can drop duplicates (delivery
    is at-least-once). Indexed on ``(notifier, remote_ref)`` (migration 0006): a reply in a
    Slack card's thread finds its lead.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for a message about no single lead (an advisor's weekly ``digest``, migration 0008)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"),
                                                index=True, nullable=True)
    # new | update | reminder | escalation | abandoned | erased (the desk's); redraw (Slack:
    # a card posted as its lead ended, drawn again without buttons); company_notice |
    # company_message | company_survey (to the company) | company_reply (to the desk's thread,
    # or kept for the console) | company_answered (to a console-only desk: the company
    # answered, no words) | digest (to an advisor)
    kind: Mapped[str] = mapped_column(String(24))
    # inbox|slack|email|webhook|company|console (a company's reply kept for the console:
    # written ``sent``, nothing to deliver)
    notifier: Mapped[str] = mapped_column(String(24))
    target: Mapped[str] = mapped_column(String(512))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                         default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
