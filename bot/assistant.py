"""The Assistant: one entry point for every channel, ``handle(incoming) -> list[Reply]``.

Usage::

    assistant = build_assistant(kb=kb, db=db, catalog=Catalog.load(), settings=settings)
    replies = await assistant.handle(Incoming(channel="terminal", conversation_key="t:1",
                                              user_id="1", text="/start"))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import replace

from bot.actions import MENU_ADVISOR, MENU_AID, MENU_ASK, MENU_PARTNER, Action
from bot.answering import Answer, Answerer
from bot.errors import StorageError, user_message_key
from bot.flows import AidFinder, PartnerFinder, relay, survey
from bot.flows.base import FlowRegistry, FormFlow
from bot.flows.conversation import main_menu
from bot.flows.lead import LeadForm
from bot.i18n import Catalog, Lang, normalise_lang
from bot.leads.service import LeadService
from bot.messages import Incoming, Reply
from bot.middleware import Context, Middleware, pick_language, run_chain
from bot.storage import ConversationState, Database
from bot.understanding import Intent, Memory, Understanding
from knowledge.catalog import Profile
from knowledge.embeddings import Vector

__all__ = ["COMMANDS", "Assistant"]

COMMANDS = {
    "start": "start", "aide": "help", "help": "help", "langue": "lang", "language": "lang",
    "lang": "lang", "conseiller": "advisor", "advisor": "advisor", "oublier": "forget",
    "forget": "forget", "annuler": "cancel", "cancel": "cancel",
}


def _tag(replies: list[Reply], intent: str) -> list[Reply]:
    """Say which intent the replies answer (``meta["intent"]``: metrics and evaluation)."""
    for reply in replies[:1]:
        reply.meta.setdefault("intent", intent)
    return replies


class Assistant:
    """Routes one event to the flow that handles it; built by ``bot.wiring.build_assistant``
    (the constructor reads no file and builds no collaborator)."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        db: Database,
        understanding: Understanding,
        flows: FlowRegistry,
        answerer: Answerer,
        leads: LeadService,
        chain: Sequence[Middleware],
    ) -> None:
        self.catalog = catalog
        self.db = db
        self.understanding = understanding
        self.flows = flows
        self.answerer = answerer
        self.leads = leads
        self.finder = flows.get(AidFinder)
        self.partner_finder = flows.get(PartnerFinder)
        self.lead_form = flows.get(LeadForm)
        self._handler = run_chain(chain, self._route)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one event; events of one conversation are handled in arrival order (the
        ``ConversationLock`` middleware, after the rate limit).

        Raises ``StorageError`` when the database fails (down, locked for too long): what was
        already saved stays, and the channel's error handler asks the user to resend."""
        ctx = Context(incoming=incoming)
        try:
            replies = await self._handler(ctx)
        except ConnectionError as exc:   # a driver's; the store raises StorageError
            raise StorageError(f"database unavailable ({type(exc).__name__})") from exc
        return [r if r.lang else replace(r, lang=ctx.lang) for r in replies]

    async def language(self, incoming: Incoming) -> Lang | None:
        """See ``bot.port.Core.language`` (the ``Language`` middleware's choice, read-only)."""
        state = await self.db.load_state(incoming.conversation_key, channel=incoming.channel)
        if not (incoming.text or state.lang or incoming.lang_hint):
            return None
        return pick_language(state, incoming)

    async def error_reply(self, incoming: Incoming, error: BaseException) -> Reply:
        """The polite answer when handling ``incoming`` failed (``bot.port.Core``): "resend in a
        minute" for a database outage, the generic apology otherwise, in the conversation's
        language when the state can still be read, else the client's, else French."""
        lang: Lang = normalise_lang(incoming.lang_hint) or "fr"
        with contextlib.suppress(Exception):
            state = await self.db.load_state(incoming.conversation_key, channel=incoming.channel)
            lang = normalise_lang(state.lang) or lang
        text = self.catalog.t(user_message_key(error), lang)
        return Reply(blocks=(text,), kind="error", lang=lang)

    # -- routing ---------------------------------------------------------------------------

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.kind == "action" and incoming.action:
            return await self._action(ctx, incoming.action)
        text = (incoming.text or "").strip()
        cancel = self.understanding.vocab.is_only("cancel", text)
        relayed = await relay.turn(ctx, text, leads=self.leads, catalog=self.catalog,
                                   db=self.db, cancel=cancel)   # after "Répondre" (bot.flows.relay)
        if relayed is not None:
            return relayed
        commented = await survey.turn(ctx, text, leads=self.leads, catalog=self.catalog,
                                      db=self.db, cancel=cancel)   # after the survey's last answer
        if commented is not None:
            return commented
        if text.startswith("/"):
            return await self._command(ctx, text)
        state = ctx.state
        form = self.flows.for_state(state.flow) if state is not None else None
        if state is not None and form is not None:
            return await self._in_form(ctx, state, form, text)
        memory = Memory.load(state.data) if state else None
        intent = await asyncio.to_thread(    # its embedding must not block the event loop
            self.understanding.understand, text, memory=memory)
        if intent.kind == "cancel":
            return _tag(await self._cancel(ctx), "cancel")
        return _tag(await self.flows.for_intent(intent.kind).handle(ctx, intent), intent.kind)

    async def _in_form(self, ctx: Context, state: ConversationState, form: FormFlow,
                       text: str) -> list[Reply]:
        """An answer goes to the form; a digression is answered, then the form resumes."""
        step = str((state.data.get(state.flow or "", {}) or {}).get("step", ""))
        memory = Memory.load(state.data)
        intent = await asyncio.to_thread(self.understanding.in_form, text, step=step,
                                         memory=memory)
        if intent.kind == "cancel":
            return _tag(await self._cancel(ctx), "cancel")
        if intent.kind == "form_answer":
            return _tag(await form.on_answer(ctx, text), "form_answer")
        return _tag(await self._digression(ctx, state, form, intent), "digression")

    async def _digression(self, ctx: Context, state: ConversationState, form: FormFlow,
                          intent: Intent) -> list[Reply]:
        if intent.why == "dont_know":
            dont_know = getattr(form, "dont_know", None)
            if dont_know is not None:
                return list(await dont_know(ctx))
            return [ctx.reply(self.catalog, "form_dont_know"), *form.resume(ctx)]
        kind = intent.why if intent.why in ("question", "record_question", "cci_lookup",
                                             "help", "greeting", "thanks", "privacy") \
            else "question"
        if intent.why in ("find_aid", "find_partner") and form.state != self.lead_form.state:
            # A new search replaces a half-finished one (nothing personal is lost).
            state.flow = None
            await self.db.save_state(state)
            return await self.flows.for_intent(intent.why).handle(ctx, intent)
        if intent.why == "advisor" and form.state == self.lead_form.state:
            return form.resume(ctx)
        if intent.why == "find_partner":  # "qui peut reconditionner... ?" asked in the form
            inner_replies = await self.partner_finder.preview(ctx, intent)
            return [*inner_replies, *self._resume(ctx, form)]
        if form.state == self.finder.state and intent.profile != Profile() \
                and intent.why not in ("record_question", "cci_lookup") \
                and self.understanding.vocab.starts_with("continuation", intent.text):
            return await form.on_answer(ctx, intent.text)  # "et si on était dans l'Aisne ?"
        inner = Intent(kind, intent.text, record=intent.record,  # type: ignore[arg-type]
                       attribute=intent.attribute, profile=intent.profile, vector=intent.vector,
                       why="definition" if intent.why == "definition" else "rule")
        replies = await self.flows.for_intent(kind).handle(ctx, inner)
        ctx.outcome = f"digression:{kind}"
        return [*replies, *self._resume(ctx, form)]

    def _resume(self, ctx: Context, form: FormFlow) -> list[Reply]:
        """The form's pending question again, introduced by "Pour reprendre :"."""
        resume = form.resume(ctx)
        if resume:
            first = resume[0]
            resume[0] = Reply(blocks=(self.catalog.t("form_resume", ctx.lang), *first.blocks),
                              buttons=first.buttons, kind=first.kind)
        return resume

    async def _cancel(self, ctx: Context) -> list[Reply]:
        if ctx.state is not None and ctx.state.flow == "lead":
            return await self.lead_form.cancel(ctx)
        if ctx.state is None or ctx.state.flow is None:
            return [ctx.reply(self.catalog, "finder_nothing_to_cancel")]
        ctx.state.flow = None
        await self.db.save_state(ctx.state)
        return [ctx.reply(self.catalog, "finder_cancelled")]

    async def _command(self, ctx: Context, text: str) -> list[Reply]:
        word, _, arg = text[1:].partition(" ")
        name = COMMANDS.get(word.split("@", 1)[0].lower())
        t, lang = self.catalog.t, ctx.lang
        ctx.outcome = f"command:{name or 'unknown'}"
        if name == "start":
            return [Reply(blocks=(t("welcome", lang), t("help", lang)),
                          buttons=main_menu(self.catalog, lang))]
        if name == "help":
            return [Reply(blocks=(t("help", lang),), buttons=main_menu(self.catalog, lang))]
        if name == "lang":
            return await self._set_lang(ctx, arg.strip().lower())
        if name == "advisor":
            return await self.lead_form.handle(ctx, Intent("advisor", ""))
        if name == "cancel":
            return await self._cancel(ctx)
        if name == "forget":
            await self.db.delete_state(ctx.incoming.conversation_key)
            ctx.state = None
            user_key = f"{ctx.incoming.channel}:{ctx.incoming.user_id}"
            erased = await self.leads.erase(user_key=user_key, actor=user_key)
            replies = [ctx.reply(self.catalog, "forgotten")]
            if erased:
                replies.append(ctx.reply(self.catalog, "forgotten_leads", count=erased))
            return replies
        return [ctx.reply(self.catalog, "unknown_command", kind="warning",
                          command="/" + word[:32])]

    async def _set_lang(self, ctx: Context, value: str) -> list[Reply]:
        if value not in ("fr", "en") or ctx.state is None:
            return [ctx.reply(self.catalog, "lang_usage", kind="warning")]
        ctx.state.lang, ctx.state.lang_locked = value, True
        await self.db.save_state(ctx.state)
        ctx.lang = value  # type: ignore[assignment]
        return [ctx.reply(self.catalog, "lang_set")]

    async def _action(self, ctx: Context, raw: str) -> list[Reply]:
        action = Action.parse(raw)
        ctx.outcome = f"action:{action.flow if action else 'unknown'}"
        if action is not None and action.flow == "menu":
            if action == MENU_ASK:
                return [ctx.reply(self.catalog, "ask_prompt")]
            if action == MENU_AID:
                return await self.finder.start(ctx, fresh=False)
            if action == MENU_PARTNER:
                return await self.partner_finder.start(ctx)
            if action == MENU_ADVISOR:
                return await self.lead_form.handle(ctx, Intent("advisor", ""))
        if action is not None and action.flow == "rl":   # "Répondre" to an advisor's message
            return await relay.arm(ctx, action, leads=self.leads, catalog=self.catalog,
                                   db=self.db)
        if action is not None and action.flow == "sv":   # the satisfaction survey
            return await survey.press(ctx, action, leads=self.leads, catalog=self.catalog,
                                      db=self.db)
        flow = self.flows.for_action(action) if action is not None else None
        if flow is not None and ctx.state is not None:
            return await flow.on_action(ctx, action)  # type: ignore[arg-type]
        ctx.outcome = "action:unknown"
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]

    # -- questions -------------------------------------------------------------------------

    async def compose(self, question: str, lang: str, vector: Vector | None = None, *,
                      kinds: list[str] | None = None) -> Answer:
        """Search and compose an answer (no state, no logging): used by ``ask`` and ``eval``."""
        return await self.answerer.compose(question, lang, vector, kinds=kinds)
