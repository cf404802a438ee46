"""What the advisor console may do, for one signed-in advisor: their desks' leads (filtered,
paged), one lead with its timeline, the card's actions, a message to the company.

An advisor sees the leads of the desks that list them; the regional desk's advisors see every
desk's. A lead of another desk is "not found" for them (nothing tells it exists). Actions go
through ``bot.leads.actions.apply_action`` (state machine, audit event with the advisor as
actor, company told, the desk's Slack card redrawn as a click on it would redraw it); a
message is queued for the company like a reply in a Slack card's thread
(``bot.leads.relay``), audited as ``relay_to_company`` with ``via: console``, never with its
text; the same form sent twice (its ``nonce``) is queued once. The company always gets
its "Répondre": when the lead has a Slack card the relay opens on it (if not open already) and
the answers go to its thread; without one (a desk without Slack) the relay opens in the
console, which keeps the answers. Either way the lead's page shows the words exchanged
(``bot.leads.exchange``), to the advisors who may see the lead only.

Usage::

    console = Console(service=lead_service)
    scope = console.scope("U01ADVISOR")                 # None: not an advisor
    page = await console.leads(scope, filters=Filters(status="new"), page=1)
    history = await console.lead(scope, ref="REL-2026-00042")      # None: not theirs
    words = exchanges(history)              # bot.leads.exchange: what the page shows
    await console.act(scope, ref="REL-2026-00042", action="lead_claim")
    await console.message(scope, ref="REL-2026-00042", text="Bonjour...", nonce="f1a2")
    await console.audit(actor="U01ADVISOR", action="lead", target="REL-2026-00042", status=200)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from bot.errors import AccessDenied, InputError
from bot.leads.actions import REGIONAL_DESK, apply_action
from bot.leads.company import MESSAGE, company_item, reachable
from bot.leads.relay import CARD_NOTIFIER, MAX_RELAY_CHARS
from bot.leads.service import LeadService
from bot.storage import ConstraintError, LeadFact, LeadHistory, LeadPage, LeadQuery

__all__ = ["PAGE_SIZE", "Console", "Filters", "Scope"]

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Scope:
    """A signed-in advisor and the desks they see (``None``: every desk)."""

    advisor: str
    desks: tuple[str, ...] | None

    def sees(self, desk_id: str) -> bool:
        return self.desks is None or desk_id in self.desks


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    max_age_days: int | None = None
    min_score: int | None = None
    sector: str | None = None
    desk: str | None = None


class Console:
    def __init__(self, *, service: LeadService) -> None:
        self.service = service

    def scope(self, advisor: str) -> Scope | None:
        listed = self.service.desks.desks_of(advisor)
        if not listed:
            return None
        return Scope(advisor, None if REGIONAL_DESK in listed else listed)

    def desk_ids(self, scope: Scope) -> tuple[str, ...]:
        """The desks the advisor may pick in the filters and statistics."""
        if scope.desks is not None:
            return scope.desks
        names = set(self.service.desk_names) | set(self.service.desks.desks)
        return tuple(sorted(names))

    def desk_name(self, desk_id: str) -> str:
        return self.service.desk_name(desk_id)

    def _desks(self, scope: Scope, desk: str | None) -> tuple[str, ...] | None:
        if desk:
            return (desk,) if scope.sees(desk) else ()
        return scope.desks

    async def leads(self, scope: Scope, *, filters: Filters, page: int = 1) -> LeadPage:
        now = self.service.clock()
        after = (None if filters.max_age_days is None
                 else now - dt.timedelta(days=filters.max_age_days))
        page = max(1, page)
        return await self.service.db.console.leads(query=LeadQuery(
            desks=self._desks(scope, filters.desk), status=filters.status,
            min_score=filters.min_score, sector=filters.sector, created_after=after,
            limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))

    async def lead(self, scope: Scope, *, ref: str) -> LeadHistory | None:
        history = await self.service.db.leads.history(ref=ref)
        if history is None or not scope.sees(history.lead.desk_id):
            return None
        return history

    async def act(self, scope: Scope, *, ref: str, action: str) -> dict[str, Any]:
        """Apply a card action; ``AccessDenied`` for another desk's lead, ``InputError`` for
        a move the state machine refuses."""
        if await self.lead(scope, ref=ref) is None:
            raise AccessDenied(f"{scope.advisor} may not act on {ref}")
        return await apply_action(self.service, ref=ref, action=action, actor=scope.advisor,
                                  redraw=True)

    async def message(self, scope: Scope, *, ref: str, text: str, nonce: str) -> bool:
        """Queue ``text`` for the company; ``False`` when this form was sent already."""
        service, now = self.service, self.service.clock()
        text = text.strip()
        if not text:
            raise InputError("relay_empty")
        if len(text) > MAX_RELAY_CHARS:
            text = text[: MAX_RELAY_CHARS - 1] + "…"
        digest = hashlib.sha256(f"console\n{ref}\n{nonce}".encode()).hexdigest()[:16]
        card = await self._card(ref)
        try:
            async with service.db.leads.transaction() as tx:
                lead = await tx.get(ref=ref)
                if lead is None or not scope.sees(lead.desk_id):
                    raise AccessDenied(f"{scope.advisor} may not write about {ref}")
                if lead.anonymised_at is not None or lead.user_key is None:
                    raise InputError("relay_erased")
                item = company_item(lead, kind=MESSAGE, key=f"{lead.ref}:{MESSAGE}:{digest}",
                                    now=now, desk_name=service.desk_name(lead.desk_id),
                                    advisor=service.desks.first_name(scope.advisor), text=text)
                if item is None or not reachable(lead):
                    raise InputError("relay_unreachable")
                relay = _opened(lead.details.get("relay"), card=card,
                                advisor=item.payload.get("advisor"), now=now)
                if relay is not None:
                    await tx.update(lead_id=lead.id, changes={"details": {
                        **lead.details, "relay": relay}})
                tx.add_outbox(items=[item])
                tx.add_event(lead_id=lead.id, action="relay_to_company", actor=scope.advisor,
                             at=now, detail={"chars": len(text), "via": "console",
                                             "desk": lead.desk_id, "message": digest})
        except ConstraintError:
            return False
        return True

    async def _card(self, ref: str) -> str | None:
        """The lead's Slack card (``channel:ts``), where the company's answers go."""
        history = await self.service.db.leads.history(ref=ref)
        for delivery in history.deliveries if history is not None else ():
            if delivery.notifier == CARD_NOTIFIER and delivery.kind == "new" \
                    and delivery.remote_ref:
                return delivery.remote_ref
        return None

    async def audit(self, *, actor: str, action: str, target: str | None,
                    status: int) -> None:
        """One line of the console's access log (never a form's content)."""
        await self.service.db.console.log(actor=actor, action=action, target=target,
                                          status=status, at=self.service.clock())

    async def facts(self, scope: Scope, *, desk: str | None,
                    since: dt.datetime) -> list[LeadFact]:
        """The statistics' rows of the advisor's desks (or one of them)."""
        return await self.service.db.console.facts(desks=self._desks(scope, desk), since=since)


def _opened(relay: Any, *, card: str | None, advisor: Any,
            now: dt.datetime) -> dict[str, Any] | None:
    """The relay to store after a console message (``None``: keep the one open). On the
    lead's Slack card when it has one (the company's answers go to its thread), else in the
    console alone; a console relay moves to the card once there is one."""
    if isinstance(relay, dict) and (relay.get("thread") or (relay.get("console") and not card)):
        return None
    opened: dict[str, Any] = {"thread": card, "advisor": advisor, "opened_at": now.isoformat()}
    return opened if card else opened | {"console": True}
