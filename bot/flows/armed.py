"""A conversation waiting for one free-text message (the reply after "Répondre", the comment
after the satisfaction survey): armed in the state with its time, taken once by the next
message, stale after ``ARMED_FOR``; ``/annuler`` gives up, another command disarms and runs.

Usage::

    ctx.state.data["relay"] = armed_now({"ref": ref})          # then save the state
    armed = await take_armed(ctx, key="relay", db=db)          # the next message
    if armed is None: ...                                      # nothing (or nothing fresh)
    if (verdict := command_verdict(text)) is not None: ...     # "cancel" or "other"
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from bot.middleware import Context
from bot.storage import Database, utcnow

__all__ = ["ARMED_FOR", "CANCEL_COMMANDS", "armed_now", "command_verdict", "take_armed",
           "user_key"]

ARMED_FOR = dt.timedelta(hours=24)
CANCEL_COMMANDS = frozenset({"annuler", "cancel"})


def user_key(ctx: Context) -> str:
    """The person's key as leads record it (``telegram:42``)."""
    return f"{ctx.incoming.channel}:{ctx.incoming.user_id}"


def armed_now(values: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
    return {**values, "at": (now or utcnow()).isoformat()}


async def take_armed(ctx: Context, *, key: str, db: Database,
                     now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The entry armed under ``key``, removed from the state (saved); ``None`` when there is
    none or it is older than ``ARMED_FOR``."""
    state = ctx.state
    armed = state.data.get(key) if state is not None else None
    if state is None or not isinstance(armed, dict):
        return None
    del state.data[key]
    await db.save_state(state)
    try:
        fresh = (now or utcnow()) - dt.datetime.fromisoformat(str(armed.get("at"))) < ARMED_FOR
    except (TypeError, ValueError):
        fresh = False
    return armed if fresh else None


def command_verdict(text: str) -> Literal["cancel", "other"] | None:
    """``"cancel"`` for /annuler, ``"other"`` for another command, ``None`` for text."""
    if not text.startswith("/"):
        return None
    word = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text[1:] else ""
    return "cancel" if word in CANCEL_COMMANDS else "other"
