"""Button ids, typed: every action the core offers and reads back, in one module.

On the wire an action is ``"<flow>:<verb>[:<arg>]"`` (at most 64 bytes, Telegram's limit for
``callback_data``); in the core it is an ``Action``. Flows register under their prefix.

Usage::

    Action.parse("lf:choice:pret")           # Action(flow="lf", verb="choice", arg="pret")
    str(Action("card", "aid", "bpi-pret-nouvelle-industrie"))
    MENU_AID.wire                            # "menu:aid"
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FEEDBACK_DOWN", "FEEDBACK_UP", "MENU_ADVISOR", "MENU_AID", "MENU_ASK", "MENU_PARTNER",
    "PREFIXES", "Action", "card", "relay_reply", "survey_answer",
]

# flow prefixes: menu, fd (aid finder), fp (partner finder), lf (lead form), fb (feedback),
# card (a record's full card), cci (CCI lookup choices), rl (reply to an advisor's message),
# sv (the satisfaction survey after a lead's closure)
PREFIXES = ("menu", "fd", "fp", "lf", "fb", "card", "cci", "rl", "sv")
MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class Action:
    flow: str
    verb: str
    arg: str = ""

    @classmethod
    def parse(cls, raw: str) -> Action | None:
        """``None`` for anything that is not one of ours (old buttons, forged payloads)."""
        if not raw or len(raw.encode()) > MAX_BYTES:
            return None
        flow, _, rest = raw.partition(":")
        verb, _, arg = rest.partition(":")
        if flow not in PREFIXES or not verb:
            return None
        return cls(flow, verb, arg)

    @property
    def wire(self) -> str:
        return f"{self.flow}:{self.verb}:{self.arg}" if self.arg else f"{self.flow}:{self.verb}"

    def __str__(self) -> str:
        return self.wire


MENU_ASK = Action("menu", "ask")
MENU_AID = Action("menu", "aid")
MENU_PARTNER = Action("menu", "partner")
MENU_ADVISOR = Action("menu", "advisor")
FEEDBACK_UP = Action("fb", "up")
FEEDBACK_DOWN = Action("fb", "down")


def card(kind: str, record_id: str) -> Action:
    """"Voir la fiche" of one record (ids are short slugs: well under 64 bytes)."""
    return Action("card", kind, record_id)


def relay_reply(ref: str) -> Action:
    """"Répondre" under an advisor's message relayed to the company (``bot.flows.relay``)."""
    return Action("rl", "reply", ref)


def survey_answer(ref: str, question: str, yes: bool) -> Action:
    """An answer to the satisfaction survey (``bot.flows.survey``): ``question`` is
    ``contacted`` or ``useful``; ``sv:contacted:REL-2026-00042:y``."""
    return Action("sv", question, f"{ref}:{'y' if yes else 'n'}")
