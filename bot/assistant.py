"""The Assistant: one entry point for every channel, ``handle(incoming) -> list[Reply]``.

Usage::

    assistant = Assistant(kb=kb, db=db, catalog=Catalog.load(), settings=settings)
    replies = await assistant.handle(Incoming(channel="terminal", conversation_key="t:1",
                                              user_id="1", text="/start"))
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.actions import MENU_ADVISOR, MENU_AID, MENU_ASK, MENU_PARTNER, Action
from bot.answering import Answer, ExtractiveComposer, LLMComposer
from bot.answering.llm import ChatModel
from bot.answering.records import RecordAnswers
from bot.errors import StorageError
from bot.flows import AidFinder, PartnerFinder
from bot.flows.base import FlowRegistry, FormFlow
from bot.flows.conversation import CciLookup, Feedback, Questions, RecordQuestions, SmallTalk
from bot.flows.lead import LeadForm
from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.enrich import LeadEnricher
from bot.leads.routing import Router
from bot.leads.service import LeadService
from bot.messages import Button, Incoming, Reply
from bot.metrics import Metrics
from bot.middleware import (
    Context,
    ConversationLock,
    Dedupe,
    InputGuard,
    Language,
    LogContext,
    Middleware,
    RateLimit,
    run_chain,
)
from bot.settings import Settings
from bot.storage import Database
from bot.understanding import Intent, Memory, Understanding
from knowledge.base import KnowledgeBase
from knowledge.catalog import Profile, ProfileExtractor
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
    def __init__(
        self,
        *,
        kb: KnowledgeBase,
        db: Database,
        catalog: Catalog,
        settings: Settings,
        chat_model: ChatModel | None = None,
        middleware: Sequence[Middleware] | None = None,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], dt.date] = dt.date.today,
        metrics: Metrics | None = None,
    ) -> None:
        self.kb = kb
        self.db = db
        self.catalog = catalog
        self.settings = settings
        embedder = getattr(getattr(kb, "retriever", None), "embedder", None)
        self.extractive = ExtractiveComposer(catalog=catalog, kb=kb, today=today,
                                             embedder=embedder)
        extractor = ProfileExtractor.load()
        self.understanding = Understanding.build(kb=kb, extractor=extractor)
        self.finder = AidFinder(aids=kb.aids, catalog=catalog, db=db, extractor=extractor,
                                today=today, compose=self._compose)
        self.partner_finder = PartnerFinder(kb=kb, catalog=catalog, db=db, extractor=extractor,
                                            geo=extractor.geo)
        self.leads = LeadService(
            db=db, settings=settings, desks=Desks.load(settings.desks_file), catalog=catalog,
            desk_names={c.id: c.name.split(" (")[0] for c in kb.ccis.values()},
            enrich=LeadEnricher(kb, index=self.finder.index, today=today))
        router = Router.load(geo=extractor.geo)
        self.lead_form = LeadForm(catalog=catalog, db=db, router=router, service=self.leads,
                                  vocab=self.understanding.vocab)
        self.llm = (
            LLMComposer(model=chat_model, fallback=self.extractive, timeout=settings.llm_timeout)
            if chat_model is not None
            else None
        )
        records = RecordAnswers(kb=kb, catalog=catalog, today=today, embedder=embedder)
        questions = Questions(db=db, catalog=catalog, records=records, compose=self._compose,
                              rewrite=self.llm.rewrite if self.llm is not None else None)
        self.flows = FlowRegistry([
            SmallTalk(catalog=catalog, menu=self._menu),
            questions,
            RecordQuestions(db=db, catalog=catalog, records=records, questions=questions),
            CciLookup(db=db, catalog=catalog, records=records, router=router),
            Feedback(db=db, catalog=catalog),
            self.finder, self.partner_finder, self.lead_form,
        ])
        chain: Sequence[Middleware] = middleware if middleware is not None else [
            LogContext(metrics),
            RateLimit(catalog, per_minute=settings.rate_limit_per_minute, db=db,
                      global_per_second=settings.rate_limit_global_per_second, clock=clock),
            ConversationLock(db),
            Dedupe(db),
            Language(db),
            InputGuard(catalog, max_chars=settings.max_message_chars),
        ]
        if not any(isinstance(m, ConversationLock) for m in chain):
            chain = [ConversationLock(db), *chain]
        self._handler = run_chain(chain, self._route)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one event; events of one conversation are handled in arrival order (the
        ``ConversationLock`` middleware, after the rate limit).

        Raises ``StorageError`` when the database fails (down, locked for too long): what was
        already saved stays, and the channel's error handler asks the user to resend."""
        try:
            return await self._handler(Context(incoming=incoming))
        except (SQLAlchemyError, ConnectionError) as exc:
            raise StorageError(f"database unavailable ({type(exc).__name__})") from exc

    # -- routing ---------------------------------------------------------------------------

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.kind == "action" and incoming.action:
            return await self._action(ctx, incoming.action)
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            return await self._command(ctx, text)
        form = self.flows.for_state(ctx.state.flow if ctx.state else None)
        if form is not None:
            return await self._in_form(ctx, form, text)
        memory = Memory.load(ctx.state.data) if ctx.state else None
        intent = self.understanding.understand(text, memory=memory)
        if intent.kind == "cancel":
            return _tag(await self._cancel(ctx), "cancel")
        return _tag(await self.flows.for_intent(intent.kind).handle(ctx, intent), intent.kind)

    async def _in_form(self, ctx: Context, form: FormFlow, text: str) -> list[Reply]:
        """An answer goes to the form; a digression is answered, then the form resumes."""
        assert ctx.state is not None
        step = str((ctx.state.data.get(ctx.state.flow or "", {}) or {}).get("step", ""))
        intent = self.understanding.in_form(text, step=step)
        if intent.kind == "cancel":
            return _tag(await self._cancel(ctx), "cancel")
        if intent.kind == "form_answer":
            return _tag(await form.on_answer(ctx, text), "form_answer")
        return _tag(await self._digression(ctx, form, intent), "digression")

    async def _digression(self, ctx: Context, form: FormFlow, intent: Intent) -> list[Reply]:
        assert ctx.state is not None
        if intent.why == "dont_know":
            dont_know = getattr(form, "dont_know", None)
            if dont_know is not None:
                return list(await dont_know(ctx))
            return [ctx.reply(self.catalog, "form_dont_know"), *form.resume(ctx)]
        kind = intent.why if intent.why in ("question", "record_question", "cci_lookup",
                                             "help", "greeting", "thanks") else "question"
        if intent.why in ("find_aid", "find_partner") and form.state != self.lead_form.state:
            # A new search replaces a half-finished one (nothing personal is lost).
            ctx.state.flow = None
            await self.db.save_state(ctx.state)
            return await self.flows.for_intent(intent.why).handle(ctx, intent)
        if intent.why == "advisor" and form.state == self.lead_form.state:
            return form.resume(ctx)
        if intent.why == "find_partner":  # "qui peut reconditionner... ?" asked in the form
            inner_replies = await self.partner_finder.preview(ctx, intent)
            return [*inner_replies, *self._resume(ctx, form)]
        if form.state == self.finder.state and intent.profile != Profile() \
                and intent.why not in ("record_question", "cci_lookup") \
                and not self.understanding.vocab.has("definition", intent.text):
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

    def _menu(self, lang: str) -> tuple[Button, ...]:
        t = self.catalog.t
        return (
            Button(t("button_ask", lang), MENU_ASK.wire),
            Button(t("button_find_aid", lang), MENU_AID.wire),
            Button(t("button_find_partner", lang), MENU_PARTNER.wire),
            Button(t("button_advisor", lang), MENU_ADVISOR.wire),
        )

    async def _command(self, ctx: Context, text: str) -> list[Reply]:
        word, _, arg = text[1:].partition(" ")
        name = COMMANDS.get(word.split("@", 1)[0].lower())
        t, lang = self.catalog.t, ctx.lang
        ctx.outcome = f"command:{name or 'unknown'}"
        if name == "start":
            return [Reply(blocks=(t("welcome", lang), t("help", lang)), buttons=self._menu(lang))]
        if name == "help":
            return [Reply(blocks=(t("help", lang),), buttons=self._menu(lang))]
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
        flow = self.flows.for_action(action) if action is not None else None
        if flow is not None and ctx.state is not None:
            return await flow.on_action(ctx, action)  # type: ignore[arg-type]
        ctx.outcome = "action:unknown"
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]

    # -- questions -------------------------------------------------------------------------

    async def compose(self, question: str, lang: str, vector: Vector | None = None, *,
                      kinds: list[str] | None = None) -> Answer:
        """Search and compose an answer (no state, no logging): used by ``ask`` and ``eval``.
        ``kinds``: only these kinds of source (a definition is looked for in documents)."""
        filters = {"kind": kinds} if kinds else {}
        result = await asyncio.to_thread(
            self.kb.search, question, lang=lang, k=self.settings.top_k, vector=vector, **filters
        )
        if self.llm is not None:
            answer = await self.llm.compose(result)
        else:
            answer = await asyncio.to_thread(self.extractive.compose, result, vector=vector)
        answer.result = result
        return answer

    async def _compose(self, question: str, lang: str, vector: Vector | None, *,
                       kinds: list[str] | None = None) -> Answer:
        answer = await self.compose(question, lang, vector, kinds=kinds)
        if kinds and answer.declined:
            answer = await self.compose(question, lang, vector)
        return answer
