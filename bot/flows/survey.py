"""The company's side of the satisfaction survey (``bot.leads.survey``).

The survey reaches the company with "Oui" / "Non" buttons (``sv:contacted:<ref>:y|n``); a
press is recorded and answered with the next question ("Utile" / "Pas utile",
``sv:useful:<ref>:y|n``); after the last one the next message may be a comment for the advisor
(armed in the conversation state, like the relay's reply): it is recorded and passed on, and
the comment disarms. ``/annuler`` (or "stop", "annuler") disarms without sending; any other
command disarms and runs; an unused comment expires after ``ARMED_FOR``.

Used by the Assistant's router, before forms and free text.

Usage::

    replies = await press(ctx, Action.parse("sv:contacted:REL-2026-00042:y"), leads=service,
                          catalog=catalog, db=db)
    replies = await turn(ctx, "Très utile, merci", leads=service, catalog=catalog, db=db,
                         cancel=False)                    # None: no comment armed
"""

from __future__ import annotations

import datetime as dt

from bot.actions import Action, survey_answer
from bot.errors import InputError
from bot.flows.armed import armed_now, command_verdict, take_armed, user_key
from bot.i18n import Catalog
from bot.leads.service import LeadService
from bot.leads.survey import record_answer, record_comment
from bot.messages import Button, Reply
from bot.middleware import Context
from bot.storage import Database

__all__ = ["SURVEY_KEY", "press", "turn"]

SURVEY_KEY = "survey"                           # in the conversation state's data
_LABELS = {"contacted": ("survey_yes", "survey_no"), "useful": ("survey_useful",
                                                                "survey_not_useful")}


async def press(ctx: Context, action: Action, *, leads: LeadService, catalog: Catalog,
                db: Database, now: dt.datetime | None = None) -> list[Reply]:
    """An answer pressed: recorded, then the next question or the offer to comment."""
    ref, _, value = action.arg.rpartition(":")
    ctx.outcome = "survey:answered"
    try:
        following = await record_answer(leads, ref=ref, user_key=user_key(ctx),
                                        question=action.verb, yes=value == "y")
    except InputError:
        ctx.outcome = "survey:closed"
        return [ctx.reply(catalog, "survey_closed", kind="warning")]
    if following is not None:
        yes, no = _LABELS[following]
        buttons = (Button(catalog.t(yes, ctx.lang), survey_answer(ref, following, True).wire),
                   Button(catalog.t(no, ctx.lang), survey_answer(ref, following, False).wire))
        return [Reply(blocks=(catalog.t(f"survey_{following}_question", ctx.lang),),
                      buttons=buttons)]
    if ctx.state is None:
        return [ctx.reply(catalog, "survey_done")]
    ctx.state.data[SURVEY_KEY] = armed_now({"ref": ref}, now=now)
    await db.save_state(ctx.state)
    return [ctx.reply(catalog, "survey_comment_prompt")]


async def turn(ctx: Context, text: str, *, leads: LeadService, catalog: Catalog, db: Database,
               cancel: bool, now: dt.datetime | None = None) -> list[Reply] | None:
    """The message after the last answer: the comment (or nothing, cancelled). ``None`` when
    no comment is armed, or for a command other than ``/annuler`` (it runs)."""
    armed = await take_armed(ctx, key=SURVEY_KEY, db=db, now=now)
    if armed is None:
        return None
    verdict = command_verdict(text)
    if verdict is not None:
        return [ctx.reply(catalog, "survey_cancelled")] if verdict == "cancel" else None
    if cancel or not text.strip():
        return [ctx.reply(catalog, "survey_cancelled")]
    ref = str(armed.get("ref") or "")
    try:
        await record_comment(leads, ref=ref, user_key=user_key(ctx), text=text)
    except InputError:
        ctx.outcome = "survey:closed"
        return [ctx.reply(catalog, "survey_closed", kind="warning")]
    ctx.outcome = "survey:comment"
    return [ctx.reply(catalog, "survey_thanks", ref=ref)]
