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

from bot.answering import Answer, ExtractiveComposer, LLMComposer
from bot.answering.llm import ChatModel
from bot.errors import StorageError
from bot.flows import AidFinder, PartnerFinder
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
from knowledge.base import KnowledgeBase
from knowledge.catalog import ProfileExtractor

__all__ = ["COMMANDS", "Assistant"]

COMMANDS = {
    "start": "start", "aide": "help", "help": "help", "langue": "lang", "language": "lang",
    "lang": "lang", "conseiller": "advisor", "advisor": "advisor", "oublier": "forget",
    "forget": "forget", "annuler": "cancel", "cancel": "cancel",
}


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
        self.extractive = ExtractiveComposer(catalog=catalog, kb=kb, today=today)
        extractor = ProfileExtractor.load()
        self.finder = AidFinder(aids=kb.aids, catalog=catalog, db=db, extractor=extractor,
                                today=today)
        self.partner_finder = PartnerFinder(kb=kb, catalog=catalog, db=db, extractor=extractor,
                                            geo=extractor.geo)
        self.leads = LeadService(
            db=db, settings=settings, desks=Desks.load(settings.desks_file), catalog=catalog,
            desk_names={c.id: c.name.split(" (")[0] for c in kb.ccis.values()},
            enrich=LeadEnricher(kb, index=self.finder.index, today=today))
        self.lead_form = LeadForm(catalog=catalog, db=db, router=Router.load(geo=extractor.geo),
                                  service=self.leads)
        self.llm = (
            LLMComposer(model=chat_model, fallback=self.extractive, timeout=settings.llm_timeout)
            if chat_model is not None
            else None
        )
        chain: Sequence[Middleware] = middleware if middleware is not None else [
            LogContext(metrics),
            RateLimit(catalog, per_minute=settings.rate_limit_per_minute, db=db,
                      global_per_second=settings.rate_limit_global_per_second, clock=clock),
            Dedupe(db),
            Language(db),
            InputGuard(catalog, max_chars=settings.max_message_chars),
        ]
        self._handler = run_chain(chain, self._route)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one event; events of one conversation are handled in arrival order.

        Raises ``StorageError`` when the database fails (down, locked for too long): what was
        already saved stays, and the channel's error handler asks the user to resend."""
        try:
            async with self.db.conversation_lock(incoming.conversation_key):
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
        flow = ctx.state.flow if ctx.state else None
        if flow == "lead":
            return await self.lead_form.on_text(ctx, text)
        if flow == "finder":
            return await self.finder.on_text(ctx, text)
        if flow == "partners":
            return await self.partner_finder.on_text(ctx, text)
        return await self.answer(ctx, text)

    def _menu(self, lang: str) -> tuple[Button, ...]:
        t = self.catalog.t
        return (
            Button(t("button_ask", lang), "menu:ask"),
            Button(t("button_find_aid", lang), "menu:aid"),
            Button(t("button_find_partner", lang), "menu:partner"),
            Button(t("button_advisor", lang), "menu:advisor"),
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
            return await self._advisor(ctx)
        if name == "cancel":
            if ctx.state is not None and ctx.state.flow == "lead":
                return await self.lead_form.cancel(ctx)
            if ctx.state is None or ctx.state.flow is None:
                return [ctx.reply(self.catalog, "finder_nothing_to_cancel")]
            ctx.state.flow = None
            await self.db.save_state(ctx.state)
            return [ctx.reply(self.catalog, "finder_cancelled")]
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

    async def _advisor(self, ctx: Context) -> list[Reply]:
        """Start (or resume) the lead form that puts the user in touch with a CCI advisor."""
        if ctx.state is None:
            return [ctx.reply(self.catalog, "advisor")]
        if ctx.state.flow == "lead":
            return self.lead_form.resume(ctx)
        return await self.lead_form.start(ctx)

    async def _set_lang(self, ctx: Context, value: str) -> list[Reply]:
        if value not in ("fr", "en") or ctx.state is None:
            return [ctx.reply(self.catalog, "lang_usage", kind="warning")]
        ctx.state.lang, ctx.state.lang_locked = value, True
        await self.db.save_state(ctx.state)
        ctx.lang = value  # type: ignore[assignment]
        return [ctx.reply(self.catalog, "lang_set")]

    async def _action(self, ctx: Context, action: str) -> list[Reply]:
        ctx.outcome = f"action:{action.split(':', 1)[0]}"
        if action == "menu:ask":
            return [ctx.reply(self.catalog, "ask_prompt")]
        if action == "menu:aid":
            return await self.finder.start(ctx, fresh=False)
        if action == "menu:partner":
            return await self.partner_finder.start(ctx)
        if action.startswith("fd:") and ctx.state is not None:
            return await self.finder.on_action(ctx, action)
        if action.startswith("fp:") and ctx.state is not None:
            return await self.partner_finder.on_action(ctx, action)
        if action == "menu:advisor":
            return await self._advisor(ctx)
        if action.startswith("lf:") and ctx.state is not None and ctx.state.flow == "lead":
            return await self.lead_form.on_action(ctx, action)
        if action in ("fb:up", "fb:down") and ctx.state and "last" in ctx.state.data:
            last = ctx.state.data.pop("last")
            await self.db.add_feedback(
                channel=ctx.incoming.channel, rating=1 if action == "fb:up" else -1,
                question=str(last.get("q", "")), sources=list(last.get("sources", [])),
            )
            await self.db.save_state(ctx.state)
            return [ctx.reply(self.catalog, "feedback_thanks")]
        ctx.outcome = "action:unknown"
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]

    # -- questions -------------------------------------------------------------------------

    async def compose(self, question: str, lang: str) -> Answer:
        """Search and compose an answer (no state, no logging): used by ``ask`` and ``eval``."""
        result = await asyncio.to_thread(
            self.kb.search, question, lang=lang, k=self.settings.top_k
        )
        if self.llm is not None:
            answer = await self.llm.compose(result)
        else:
            answer = self.extractive.compose(result)
        answer.result = result
        return answer

    async def answer(self, ctx: Context, question: str) -> list[Reply]:
        started = time.perf_counter()
        lang = ctx.lang
        answer = await self.compose(question, lang)
        latency = (time.perf_counter() - started) * 1000
        hits = answer.result.hits if answer.result else []
        await self.db.log_question(
            channel=ctx.incoming.channel, lang=lang, question=question,
            declined=answer.declined, reason=answer.result.reason if answer.result else "",
            top_source=hits[0].chunk.source_id if hits else None,
            latency_ms=latency,
        )
        t = self.catalog.t
        advisor = Button(t("button_advisor", lang), "menu:advisor")
        if answer.declined:
            ctx.outcome = "declined"
            return [Reply(blocks=(t("decline", lang), t("decline_offer", lang)),
                          buttons=(advisor,), kind="decline")]
        if ctx.state is not None:
            ctx.state.data["last"] = {"q": question, "sources": [c.source_id for c in
                                                                 answer.citations]}
            await self.db.save_state(ctx.state)
        buttons = (Button(t("button_up", lang), "fb:up"), Button(t("button_down", lang), "fb:down"),
                   advisor)
        return [Reply(blocks=tuple(answer.blocks), citations=tuple(answer.citations),
                      buttons=buttons, kind="answer", meta={"mode": answer.mode})]
