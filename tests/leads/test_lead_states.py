"""The lead's state machine (``bot.leads.states``) and the advisor actions on it
(``bot.leads.actions``): allowed and refused moves, their audit, and "pas pour nous"
re-routing to the next candidate desk, then the regional desk, never dropping the lead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InputError
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK, apply_action
from bot.leads.desks import Desk, Desks
from bot.leads.service import LeadService
from bot.leads.states import (
    ABANDONED,
    ACTIONS,
    CLOSED_HELPED,
    CLOSED_NO_HELP,
    CLOSED_UNREACHABLE,
    NEW,
    REFUSED,
    STATUSES,
    TAKEN,
    TRANSITIONS,
    By,
    allowed,
    buttons,
    check_transition,
)
from bot.settings import Settings
from bot.storage import Database

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
HAINAUT, LILLE = "cci-grand-hainaut", "cci-grand-lille"
DESKS = Desks(desks={HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0HAINAUT"]),
                     LILLE: Desk(emails=["leads@lille.example"], advisors=["U0LILLE"]),
                     REGIONAL_DESK: Desk(webhooks=["https://crm.region.example/hook"],
                                         advisors=["U0REGION"])})
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "code postal 59300 -> plusieurs CCI",
                           "headcount": 40, "product": "Chemises", "stage": "pret",
                           "timeline": "moins-6-mois", "email": "marie@example.fr"}

ALLOWED: set[tuple[str, str, By]] = {
    (NEW, TAKEN, "advisor"), (NEW, REFUSED, "advisor"), (NEW, ABANDONED, "system"),
    (REFUSED, NEW, "system"), (REFUSED, TAKEN, "advisor"), (REFUSED, CLOSED_NO_HELP, "advisor"),
    (TAKEN, CLOSED_HELPED, "advisor"), (TAKEN, CLOSED_NO_HELP, "advisor"),
    (TAKEN, CLOSED_UNREACHABLE, "advisor"), (TAKEN, NEW, "advisor"),
}


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    assert set(TRANSITIONS) == ALLOWED
    for current, to, by in ALLOWED:
        check_transition(current, to, by=by)      # no error
    actors: tuple[By, ...] = ("advisor", "system")
    refused = [(current, to, by) for current in STATUSES for to in STATUSES
               for by in actors if (current, to, by) not in ALLOWED]
    assert (NEW, CLOSED_HELPED, "advisor") in refused
    assert (NEW, ABANDONED, "advisor") in refused
    assert (CLOSED_HELPED, NEW, "advisor") in refused
    assert (ABANDONED, TAKEN, "advisor") in refused
    for current, to, by in refused:
        assert not allowed(current, to, by=by)
        with pytest.raises(InputError, match="lead_transition_refused"):
            check_transition(current, to, by=by)


def test_every_button_is_an_allowed_advisor_move() -> None:
    for status in STATUSES:
        for action_id in buttons(status):
            assert allowed(status, ACTIONS[action_id].to), (status, action_id)
    assert buttons(NEW)[0] == "lead_claim"
    assert len(buttons(NEW)) == 5
    assert buttons(TAKEN) == ("lead_close_helped", "lead_close_no_help",
                              "lead_close_unreachable", "lead_reassign")
    assert all(buttons(s) == () for s in (CLOSED_HELPED, CLOSED_NO_HELP, CLOSED_UNREACHABLE,
                                          ABANDONED))


@pytest.fixture
def service(db: Database, tmp_path: Path, catalog: Catalog) -> LeadService:
    return LeadService(db=db, settings=Settings(data_dir=tmp_path, _env_file=None), desks=DESKS,
                       catalog=catalog, desk_names={LILLE: "CCI Grand Lille"},
                       clock=lambda: NOW)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive UTC datetimes."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


async def submit(service: LeadService, **extra: Any) -> str:
    result = await service.submit({**ANSWERS, **extra}, channel="telegram",
                                  conversation_key="telegram:1:1", user_key="telegram:1",
                                  consent_at=NOW.isoformat(), consent_version="2026-11")
    return result.ref


async def trail(db: Database, ref: str) -> list[tuple[str, str, dict[str, Any]]]:
    history = await db.leads.history(ref=ref)
    assert history is not None
    return [(e.action, e.actor, e.detail) for e in history.events]


async def test_take_then_close_is_audited(service: LeadService, db: Database) -> None:
    ref = await submit(service)
    payload = await apply_action(service, ref=ref, action="lead_claim", actor="U0HAINAUT")
    assert (payload["status"], payload["owner"]) == (TAKEN, "U0HAINAUT")
    with pytest.raises(InputError, match="lead_transition_refused"):
        await apply_action(service, ref=ref, action="lead_claim", actor="U0HAINAUT")
    payload = await apply_action(service, ref=ref, action="lead_close_helped", actor="U0HAINAUT")
    assert payload["status"] == CLOSED_HELPED
    with pytest.raises(InputError):
        await apply_action(service, ref=ref, action="lead_reassign", actor="U0REGION")
    events = await trail(db, ref)
    moves = [(d["from"], d["to"], actor) for action, actor, d in events if action == "transition"]
    assert moves == [(NEW, TAKEN, "U0HAINAUT"), (TAKEN, CLOSED_HELPED, "U0HAINAUT")]
    refusals = [(actor, d["from"], d["to"]) for action, actor, d in events
                if action == "transition_refused"]
    assert refusals == [("U0HAINAUT", TAKEN, TAKEN), ("U0REGION", CLOSED_HELPED, NEW)]
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert utc(history.lead.claimed_at) == NOW


async def test_refusal_goes_to_the_next_candidate_then_the_region(service: LeadService,
                                                                  db: Database) -> None:
    ref = await submit(service, desk_candidates=[HAINAUT, LILLE])
    payload = await apply_action(service, ref=ref, action="lead_refuse_territory",
                                 actor="U0HAINAUT")
    assert payload["rerouted_to"] == "CCI Grand Lille"
    assert payload["status"] == REFUSED
    assert payload["status_reason"] == "territory"
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.desk_id, history.lead.owner) == (NEW, LILLE, None)
    assert [(d.kind, d.target) for d in history.deliveries][-1] == ("new",
                                                                    "leads@lille.example")
    # The refusing desk may no longer act; the next desk refuses too: the region gets it.
    await apply_action(service, ref=ref, action="lead_refuse_competence", actor="U0LILLE")
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.desk_id) == (NEW, REGIONAL_DESK)
    assert history.lead.details["refused_by"] == [HAINAUT, LILLE]
    assert history.deliveries[-1].target == "https://crm.region.example/hook"
    # Refused by the region as well: it stays there, refused, and may still be closed.
    payload = await apply_action(service, ref=ref, action="lead_refuse_other", actor="U0REGION")
    assert (payload["status"], payload["desk_id"]) == (REFUSED, REGIONAL_DESK)
    assert "rerouted_to" not in payload
    await apply_action(service, ref=ref, action="lead_close_no_help", actor="U0REGION")
    moves = [(d["from"], d["to"], actor, d.get("reason")) for action, actor, d
             in await trail(db, ref) if action == "transition"]
    assert moves == [
        (NEW, REFUSED, "U0HAINAUT", "territory"), (REFUSED, NEW, "routing", "territory"),
        (NEW, REFUSED, "U0LILLE", "competence"), (REFUSED, NEW, "routing", "competence"),
        (NEW, REFUSED, "U0REGION", "other"), (REFUSED, CLOSED_NO_HELP, "U0REGION", None),
    ]


async def test_refusal_without_candidates_goes_to_the_region(service: LeadService,
                                                            db: Database) -> None:
    ref = await submit(service)
    await apply_action(service, ref=ref, action="lead_not_relevant", actor="U0HAINAUT")  # old card
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.desk_id) == (NEW, REGIONAL_DESK)
    assert utc(history.lead.routed_at) == NOW
    assert history.lead.reminder_step == 0


async def test_reassign_from_taken_goes_back_to_the_region_pool(service: LeadService,
                                                               db: Database) -> None:
    ref = await submit(service)
    with pytest.raises(InputError):    # only a taken lead is reassigned
        await apply_action(service, ref=ref, action="lead_reassign", actor="U0HAINAUT")
    await apply_action(service, ref=ref, action="lead_claim", actor="U0HAINAUT")
    payload = await apply_action(service, ref=ref, action="lead_reassign", actor="U0HAINAUT")
    assert payload["rerouted_to"] == REGIONAL_DESK
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.desk_id, history.lead.owner) == (
        NEW, REGIONAL_DESK, None)
    assert history.deliveries[-1].target == "https://crm.region.example/hook"
