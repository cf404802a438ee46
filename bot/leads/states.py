"""The life of a lead as a state machine, kept as data.

Statuses are stable ASCII ids (stored in ``leads.status``); their labels are in the catalogs
(``notify_status`` in ``prompts/*.notify.yaml``)::

    new ──(advisor: take)──────────> taken ──(advisor: close)──> closed_helped
     │                                 │                         closed_no_help
     │                                 └──(advisor: reassign)──> new   closed_unreachable
     ├──(advisor: refuse + reason)──> refused ──(routing)──────> new   (the next desk)
     │                                 ├──(advisor: take)──────> taken (last resort: region)
     │                                 └──(advisor: close)─────> closed_no_help
     └──(schedule: nobody took it)──> abandoned

``TRANSITIONS`` lists every allowed ``(from, to, by)``; ``check_transition`` refuses anything
else with ``InputError("lead_transition_refused")`` (the caller audits it). ``by`` is who may
make the move: ``advisor`` (a button) or ``system`` (the routing, the reminder schedule).

Usage::

    check_transition(lead.status, TAKEN, by="advisor")      # or raises InputError
    ACTIONS["lead_close_helped"]                            # Action(to="closed_helped", ...)
    buttons(lead.status)                                    # the card's action ids
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.errors import InputError

__all__ = ["ABANDONED", "ACTIONS", "CLOSED", "CLOSED_HELPED", "CLOSED_NO_HELP",
           "CLOSED_UNREACHABLE", "FINAL", "NEW", "REASONS", "REFUSED", "STATUSES", "TAKEN",
           "TRANSITIONS", "Action", "By", "allowed", "buttons", "check_transition"]

NEW = "new"
TAKEN = "taken"
REFUSED = "refused"
CLOSED_HELPED = "closed_helped"
CLOSED_NO_HELP = "closed_no_help"
CLOSED_UNREACHABLE = "closed_unreachable"
ABANDONED = "abandoned"
STATUSES = (NEW, TAKEN, REFUSED, CLOSED_HELPED, CLOSED_NO_HELP, CLOSED_UNREACHABLE, ABANDONED)
CLOSED = (CLOSED_HELPED, CLOSED_NO_HELP, CLOSED_UNREACHABLE)
FINAL = frozenset((*CLOSED, ABANDONED))
REASONS = ("territory", "competence", "duplicate", "other")

By = Literal["advisor", "system"]

TRANSITIONS: frozenset[tuple[str, str, By]] = frozenset({
    (NEW, TAKEN, "advisor"),
    (NEW, REFUSED, "advisor"),
    (NEW, ABANDONED, "system"),
    (REFUSED, NEW, "system"),          # re-routed to the next candidate desk or the region
    (REFUSED, TAKEN, "advisor"),       # refused everywhere: the regional desk still may
    (REFUSED, CLOSED_NO_HELP, "advisor"),
    (TAKEN, CLOSED_HELPED, "advisor"),
    (TAKEN, CLOSED_NO_HELP, "advisor"),
    (TAKEN, CLOSED_UNREACHABLE, "advisor"),
    (TAKEN, NEW, "advisor"),           # reassigned (to the regional desk)
})


@dataclass(frozen=True, slots=True)
class Action:
    """What a card button does: the status it moves to, and the reason it gives."""

    to: str
    reason: str | None = None
    reassign: bool = False


ACTIONS: dict[str, Action] = {
    "lead_claim": Action(TAKEN),
    **{f"lead_refuse_{reason}": Action(REFUSED, reason) for reason in REASONS},
    "lead_close_helped": Action(CLOSED_HELPED),
    "lead_close_no_help": Action(CLOSED_NO_HELP),
    "lead_close_unreachable": Action(CLOSED_UNREACHABLE),
    "lead_reassign": Action(NEW, reassign=True),
    # Buttons of cards posted before the state machine (still in Slack channels).
    "lead_contacted": Action(TAKEN),
    "lead_not_relevant": Action(REFUSED, "other"),
}

_BUTTONS: dict[str, tuple[str, ...]] = {
    NEW: ("lead_claim", *(f"lead_refuse_{reason}" for reason in REASONS)),
    TAKEN: ("lead_close_helped", "lead_close_no_help", "lead_close_unreachable",
            "lead_reassign"),
    REFUSED: ("lead_claim", "lead_close_no_help"),
}


def allowed(current: str, to: str, *, by: By = "advisor") -> bool:
    """Whether ``by`` may move a lead from ``current`` to ``to``."""
    return (current, to, by) in TRANSITIONS


def check_transition(current: str, to: str, *, by: By = "advisor") -> None:
    """Raise ``InputError("lead_transition_refused")`` unless the move is in the table."""
    if not allowed(current, to, by=by):
        raise InputError("lead_transition_refused")


def buttons(status: str) -> tuple[str, ...]:
    """The card's action ids for a lead in ``status`` (none once closed or abandoned)."""
    return _BUTTONS.get(status, ())
