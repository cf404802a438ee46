"""The company's side of the relay: answering an advisor's message through Relocbot.

An advisor's message reaches the company with a "Répondre" button (``bot.actions.relay_reply``,
``rl:reply:<ref>``). Pressing it arms a one-time reply in the conversation state (checked
against the lead: this person's request, an advisor wrote, not erased); the next message is
passed on to the card's thread, or kept for the advisors' console when the desk has no Slack
card (``bot.leads.relay.reply_to_desk``), and the relay disarms.
``/annuler`` (or "stop", "annuler" typed) disarms without sending; any other command disarms
and runs; an armed reply left unused expires after ``ARMED_FOR``; ``/oublier`` deletes the
state, and the erased lead accepts no more replies.

Used by the Assistant's router, before forms and free text.

Usage::

    replies = await arm(ctx, Action.parse("rl:reply:REL-2026-00042"), leads=service,
                        catalog=catalog, db=db)
    replies = await turn(ctx, "Merci, je suis disponible jeudi", leads=service,
                         catalog=catalog, db=db, cancel=False)    # None: nothing armed
"""

from __future__ import annotations

import datetime as dt

from bot.actions import Action, relay_reply
from bot.errors import InputError
from bot.flows.armed import armed_now, command_verdict, take_armed, user_key
from bot.i18n import Catalog
from bot.leads.company import who_text
from bot.leads.relay import relay_open, reply_to_desk
from bot.leads.service import LeadService
from bot.messages import Button, Reply
from bot.middleware import Context
from bot.storage import Database

__all__ = ["RELAY_KEY", "arm", "turn"]

RELAY_KEY = "relay"                            # in the conversation state's data

async def arm(ctx: Context, action: Action, *, leads: LeadService, catalog: Catalog,
              db: Database, now: dt.datetime | None = None) -> list[Reply]:
    """"Répondre" pressed: the next message goes to the advisor, if the relay is open."""
    ctx.outcome = "relay:armed"
    opened = await relay_open(leads, ref=action.arg, user_key=user_key(ctx))
    if opened is None or ctx.state is None:
        ctx.outcome = "relay:closed"
        return [ctx.reply(catalog, "relay_closed", kind="warning")]
    ctx.state.data[RELAY_KEY] = armed_now({"ref": opened.ref}, now=now)
    await db.save_state(ctx.state)
    who = who_text(desk_name=opened.desk_name, advisor=opened.advisor, catalog=catalog,
                   lang=ctx.lang)
    return [ctx.reply(catalog, "relay_armed", who=who)]


async def turn(ctx: Context, text: str, *, leads: LeadService, catalog: Catalog, db: Database,
               cancel: bool, now: dt.datetime | None = None) -> list[Reply] | None:
    """The message after "Répondre": passed on (or the relay cancelled). ``None`` when no
    reply is armed, or for a command other than ``/annuler`` (it runs; the relay is dropped)."""
    armed = await take_armed(ctx, key=RELAY_KEY, db=db, now=now)
    if armed is None or ctx.state is None:
        return None
    state = ctx.state
    verdict = command_verdict(text)
    if verdict is not None:
        return [ctx.reply(catalog, "relay_cancelled")] if verdict == "cancel" else None
    if cancel:
        return [ctx.reply(catalog, "relay_cancelled")]
    try:
        ref = await reply_to_desk(leads, ref=str(armed.get("ref") or ""),
                                  user_key=user_key(ctx), text=text)
    except InputError as exc:
        if str(exc) == "relay_empty":   # nothing to pass on yet: still armed
            state.data[RELAY_KEY] = armed
            await db.save_state(state)
            return [ctx.reply(catalog, "relay_empty", kind="warning")]
        ctx.outcome = "relay:closed"
        return [ctx.reply(catalog, "relay_closed", kind="warning")]
    ctx.outcome = "relay:sent"
    again = Button(catalog.t("relay_button_reply", ctx.lang), relay_reply(ref).wire)
    return [Reply(blocks=(catalog.t("relay_sent", ctx.lang, ref=ref),), buttons=(again,))]
