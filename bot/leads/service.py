"""Submitting, deduplicating, erasing and purging leads; the lead, its audit event and its
outbox rows are written in ONE transaction before the user is told it is done.

Usage::

    service = LeadService(db=db, settings=settings, desks=Desks.load(settings.desks_file),
                          enrich=enricher)
    result = await service.submit(answers, channel="telegram", conversation_key="telegram:1:1",
                                  user_key="telegram:1", consent_at=iso, consent_version="2026-11",
                                  lang="fr")
    result.ref   # "REL-2026-00042"

The company's language (``lang``) is kept in the lead's details: what the company is told
later about its request (``bot.leads.company``) is written in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.i18n import Catalog, normalise_lang
from bot.leads.desks import Desks
from bot.leads.scoring import Scored, score_lead
from bot.settings import Settings
from bot.storage import (
    ConstraintError,
    Database,
    LeadRecord,
    LeadTransaction,
    NewOutboxItem,
    utcnow,
)
from bot.storage.erasure import PERSONAL_FIELDS
from bot.storage.limits import RULE_CHARS

__all__ = ["DEDUPE_DAYS", "PERSONAL_FIELDS", "LeadService", "SubmitResult"]

DEDUPE_DAYS = 30
_COLUMNS = (*PERSONAL_FIELDS, "department", "size", "headcount", "sector", "stage", "timeline")
Enricher = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SubmitResult:
    ref: str
    desk_id: str
    created: bool
    lead_id: int


def _submission_key(conversation_key: str, answers: dict[str, Any]) -> str:
    raw = json.dumps([conversation_key, answers], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


class LeadService:
    def __init__(self, *, db: Database, settings: Settings, desks: Desks, catalog: Catalog,
                 desk_names: dict[str, str], enrich: Enricher | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.desks = desks
        self.catalog = catalog
        self.desk_names = desk_names
        self.enrich = enrich
        self.clock = clock

    def desk_name(self, desk_id: str) -> str:
        return self.desk_names.get(desk_id, desk_id)

    def payload(self, lead: LeadRecord, *, kind: str) -> dict[str, Any]:
        """What notifiers render (advisor side, French)."""
        data: dict[str, Any] = {c: getattr(lead, c) for c in _COLUMNS}
        data.update({
            "ref": lead.ref, "kind": kind, "desk_id": lead.desk_id,
            "desk_name": self.desk_name(lead.desk_id), "rule": lead.rule, "score": lead.score,
            "tier": lead.tier, "channel": lead.channel, "owner": lead.owner,
            "status": lead.status, "created_at": lead.created_at.isoformat(),
            "score_reasons": lead.details.get("score_reasons", []),
            "aids": lead.details.get("aids", []), "partners": lead.details.get("partners", []),
            "assigned_to": lead.details.get("assigned_to"),
            "possible_duplicate_of": lead.details.get("possible_duplicate_of"),
            "registry": lead.details.get("registry") or {},
            "erased": lead.anonymised_at is not None,
        })
        return data

    def outbox(self, lead: LeadRecord, *, kind: str, stamp: str) -> list[NewOutboxItem]:
        """The outbox rows notifying ``lead``'s desk (one per configured target)."""
        desk = self.desks.desk(lead.desk_id)
        payload = self.payload(lead, kind=kind)
        items = []
        for target in desk.targets(self.settings.inbox_dir):
            digest = hashlib.sha1(target.address.encode(), usedforsecurity=False).hexdigest()[:10]
            items.append(NewOutboxItem(
                lead_id=lead.id, kind=kind, notifier=target.notifier, target=target.address,
                payload=payload, idempotency_key=f"{lead.ref}:{kind}:{stamp}:{target.notifier}:"
                f"{digest}", next_attempt_at=self.clock()))
        return items

    def _score_reasons(self, reasons: list[tuple[str, str, int]]) -> list[str]:
        out = []
        for key, value, points in reasons:
            label = value
            if key in ("stage", "timeline"):
                label = self.catalog.label(f"lead_{key}", value, "fr")
            out.append(self.catalog.label("score_reason", key, "fr").format(value=label,
                                                                              points=points))
        return out

    async def _duplicates(self, tx: LeadTransaction, answers: dict[str, Any],
                          user_key: str) -> tuple[LeadRecord | None, LeadRecord | None]:
        """Recent live leads with the same SIREN or e-mail: (the person's own, to update;
        another person's, only to flag the new lead for the advisor). A SIREN is public: a
        match across people must never let one person change or see another's request."""
        since = self.clock() - dt.timedelta(days=DEDUPE_DAYS)
        matches = await tx.recent(siren=answers.get("siren") or None,
                                  email=answers.get("email") or None, since=since)
        own = next((lead for lead in matches if lead.user_key == user_key), None)
        other = next((lead for lead in matches if lead.user_key != user_key), None)
        return own, other

    async def submit(self, answers: dict[str, Any], *, channel: str, conversation_key: str,
                     user_key: str, consent_at: str, consent_version: str,
                     lang: str | None = None) -> SubmitResult:
        key = _submission_key(conversation_key, answers)
        details = self.enrich(answers) if self.enrich else {}
        details["lang"] = normalise_lang(lang) or "fr"   # what the company is told later
        scored = score_lead({**answers, **details.get("figures", {})},
                            thresholds=(self.settings.lead_hot, self.settings.lead_warm))
        details["score_reasons"] = self._score_reasons(scored.reasons)
        if answers.get("registry"):  # what the companies register said (flags, band, NAF)
            details["registry"] = answers["registry"]
        if answers.get("desk_candidates"):  # the routing's choices: "pas pour nous" goes on
            details["desk_candidates"] = [str(d) for d in answers["desk_candidates"]]
        now = self.clock()
        try:
            async with self.db.leads.transaction() as tx:
                own, other = await self._duplicates(tx, answers, user_key)
                if own is not None:
                    return await self._update(tx, own, answers, details, scored, key)
                if other is not None:
                    details["possible_duplicate_of"] = other.ref
                lead = await tx.insert(values=dict(
                    ref=key[:32], submission_key=key, status="new",
                    desk_id=str(answers.get("desk") or "cci-hauts-de-france"),
                    rule=str(answers.get("routing_rule")
                             or "choix de l'utilisateur")[:RULE_CHARS],
                    score=scored.points, tier=scored.tier, channel=channel,
                    conversation_key=conversation_key, user_key=user_key,
                    details=details, consent_at=dt.datetime.fromisoformat(consent_at),
                    consent_version=consent_version,
                    consent_purpose="mise en relation avec un conseiller CCI",
                    created_at=now, updated_at=now,
                    **{c: answers.get(c) for c in _COLUMNS}))
                changes: dict[str, Any] = {"ref": f"REL-{now.year}-{lead.id:05d}"}
                assigned = self._round_robin(lead.desk_id, lead.id)
                if assigned:
                    changes["details"] = {**lead.details, "assigned_to": assigned}
                lead = await tx.update(lead_id=lead.id, changes=changes)
                tx.add_event(lead_id=lead.id, action="created", actor=user_key,
                             detail={"rule": lead.rule, "score": lead.score,
                                     "consent_version": consent_version}, at=now)
                if other is not None:
                    tx.add_event(lead_id=lead.id, action="possible_duplicate",
                                 actor="submission", detail={"of": other.ref}, at=now)
                tx.add_outbox(items=self.outbox(lead, kind="new", stamp="0"))
                return SubmitResult(lead.ref, lead.desk_id, True, lead.id)
        except ConstraintError:
            # The same submission twice (a double tap, a retry): the lead stored first.
            first = await self.db.leads.by_submission(key=key)
            if first is None:
                raise
            return SubmitResult(first.ref, first.desk_id, False, first.id)

    def _round_robin(self, desk_id: str, lead_id: int) -> str | None:
        """The advisor proposed for this lead (the desk's advisors in turn); claiming sets
        the owner."""
        advisors = self.desks.desk(desk_id).advisors
        return advisors[lead_id % len(advisors)] if advisors else None

    async def _update(self, tx: LeadTransaction, lead: LeadRecord, answers: dict[str, Any],
                      details: dict[str, Any], scored: Scored, key: str) -> SubmitResult:
        now = self.clock()
        changes: dict[str, Any] = {column: answers[column] for column in _COLUMNS
                                   if answers.get(column) not in (None, "")}
        changes |= {"details": {**lead.details, **details}, "score": scored.points,
                    "tier": scored.tier, "updated_at": now}
        lead = await tx.update(lead_id=lead.id, changes=changes)
        count = await tx.count_events(lead_id=lead.id, action="updated")
        tx.add_event(lead_id=lead.id, action="updated", actor="submission",
                     detail={"submission": key[:12]}, at=now)
        tx.add_outbox(items=self.outbox(lead, kind="update", stamp=str(count + 1)))
        return SubmitResult(lead.ref, lead.desk_id, False, lead.id)

    async def erase(self, *, user_key: str, actor: str) -> int:
        """Erase a person's data: the personal data of their leads (anonymised fields stay for
        statistics, see ``bot.storage.erasure``) and their other conversations' states (groups,
        threads) in the same channel. Returns how many leads were erased."""
        channel, _, user_id = user_key.partition(":")
        if user_id:
            await self.db.delete_user_states(channel, user_id)
        return await self.db.leads.erase(user_key=user_key, actor=actor, now=self.clock(),
                                         payload=self.payload)

    async def purge(self, *, older_than: dt.timedelta, actor: str) -> int:
        cutoff = self.clock() - older_than
        return await self.db.leads.purge(before=cutoff, actor=actor, now=self.clock(),
                                         payload=self.payload)
