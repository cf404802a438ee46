"""The conversational flows: small talk, general questions, questions about one record (and
its card on demand), the CCI lookup, the menu and feedback buttons. None of them changes the
active form: inside a form they answer a digression and the form resumes.

Usage (built by the Assistant, dispatched by ``FlowRegistry``)::

    flows = Conversation(kb=kb, db=db, catalog=catalog, compose=assistant.compose, ...)
    await flows.questions.handle(ctx, intent)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.actions import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MENU_ADVISOR,
    MENU_AID,
    MENU_ASK,
    MENU_PARTNER,
    Action,
    card,
)
from bot.answering import Answer
from bot.answering.records import RecordAnswers
from bot.flows.base import Compose
from bot.i18n import Catalog
from bot.leads.routing import Router
from bot.messages import Button, Reply
from bot.middleware import Context
from bot.storage import Database
from bot.understanding import Intent, Memory, RecordRef
from knowledge.catalog import Profile
from knowledge.lexical import fold

__all__ = [
    "CciLookup", "Feedback", "Questions", "RecordQuestions", "Rewrite", "SmallTalk", "main_menu",
    "remember",
]

Rewrite = Callable[..., Awaitable[str | None]]




async def remember(ctx: Context, db: Database, memory: Memory) -> None:
    """Keep what this turn showed, for the follow-ups of the next one."""
    if ctx.state is not None:
        memory.save(ctx.state.data)
        await db.save_state(ctx.state)


def _about(reply: Reply, subject: str) -> bool:
    """Whether an answer speaks of ``subject``: named in its first block or a cited title."""
    wanted = fold(subject)
    return any(wanted in fold(text) for text in (*reply.blocks[:1],
                                                 *(c.title for c in reply.citations)))


def _missing(missing: bool) -> dict[str, str]:
    """The reply's mark when it says the sources do not hold what was asked (the evaluation
    counts it as declining, as the user reads it)."""
    return {"missing": "yes"} if missing else {}


def advisor_button(catalog: Catalog, lang: str) -> Button:
    return Button(catalog.t("button_advisor", lang), MENU_ADVISOR.wire)


def card_buttons(records: RecordAnswers, refs: list[RecordRef], lang: str) -> list[Button]:
    return [Button(records.catalog.t("button_card", lang, name=records.name(r, lang)[:40]),
                   card(r.kind, r.id).wire) for r in refs[:2] if records.exists(r)]


def main_menu(catalog: Catalog, lang: str) -> tuple[Button, ...]:
    """The four ways in (ask, find aid, find partners, talk to an advisor) as buttons."""
    t = catalog.t
    return (
        Button(t("button_ask", lang), MENU_ASK.wire),
        Button(t("button_find_aid", lang), MENU_AID.wire),
        Button(t("button_find_partner", lang), MENU_PARTNER.wire),
        Button(t("button_advisor", lang), MENU_ADVISOR.wire),
    )


class SmallTalk:
    """Greetings, thanks, help, and what is kept of a person's data (``retain_months``: how
    long a request is kept before it is anonymised; ``question_days``: the question log)."""

    intents = ("greeting", "thanks", "help", "privacy")
    prefix = None
    state = None

    def __init__(self, *, catalog: Catalog, retain_months: int = 36,
                 question_days: float = 90) -> None:
        self.catalog = catalog
        self.retain_months = retain_months
        self.question_days = question_days

    def menu(self, lang: str) -> tuple[Button, ...]:
        return main_menu(self.catalog, lang)

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        t, lang = self.catalog.t, ctx.lang
        ctx.outcome = f"intent:{intent.kind}"
        if intent.kind == "greeting":
            return [Reply(blocks=(t("greeting_reply", lang),), buttons=self.menu(lang))]
        if intent.kind == "thanks":
            return [Reply(blocks=(t("thanks_reply", lang),))]
        if intent.kind == "privacy":
            return [Reply(blocks=(t("privacy_reply", lang, months=self.retain_months,
                                           days=f"{self.question_days:g}"),))]
        return [Reply(blocks=(t("help", lang),), buttons=self.menu(lang))]

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]:
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]



def _said_before(ctx: Context) -> frozenset[str]:
    """The sentences the last answer quoted (kept in the state)."""
    last = ctx.state.data.get("last") if ctx.state is not None else None
    said = last.get("said") if isinstance(last, dict) else None
    return frozenset(str(s) for s in said) if isinstance(said, list) else frozenset()

class Questions:
    """General questions: retrieval, then the direct answer with at most three sources."""

    intents = ("question", "offtopic")
    prefix = None
    state = None

    def __init__(self, *, db: Database, catalog: Catalog, records: RecordAnswers,
                 compose: Compose, rewrite: Rewrite | None = None) -> None:
        self.db = db
        self.catalog = catalog
        self.records = records
        self.compose = compose
        self.rewrite = rewrite  # the LLM's standalone rewrite of follow-ups, when configured

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        started = time.perf_counter()
        lang = ctx.lang
        kinds = ["document"] if intent.why == "definition" else None
        if intent.why == "which_record":  # "qui le finance ?" with no subject yet
            ctx.outcome = "question:which"
            return [ctx.reply(self.catalog, "ask_which_record")]
        if intent.kind == "offtopic" or intent.why == "not_held":  # no search needed
            answer = Answer(declined=True)
        else:
            text, vector = intent.text, intent.vector
            if intent.followup and self.rewrite is not None and ctx.state is not None:
                memory = Memory.load(ctx.state.data)
                subject = self.records.name(memory.focus, lang) if memory.focus else ""
                better = await self.rewrite(intent.said or intent.text,
                                            previous=memory.question, subject=subject)
                if better:  # the model's standalone question, searched as such
                    text, vector = better, None
            answer = await self.compose(text, lang, vector, kinds=kinds,
                                        avoid=_said_before(ctx) if intent.followup
                                        else frozenset())
        hits = answer.result.hits if answer.result else []
        await self.db.log_question(
            channel=ctx.incoming.channel, lang=lang, question=intent.text,
            declined=answer.declined,
            reason=answer.result.reason if answer.result else "off-topic-intent",
            top_source=hits[0].chunk.source_id if hits else None,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        t = self.catalog.t
        advisor = advisor_button(self.catalog, lang)
        if answer.declined:
            ctx.outcome = "declined"
            return [Reply(blocks=(t("decline", lang), t("decline_offer", lang)),
                          buttons=(advisor,), kind="decline")]
        refs = [RecordRef(c.kind, c.source_id) for c in answer.citations  # type: ignore[arg-type]
                if c.kind in ("aid", "partner", "cci")]
        if ctx.state is not None:
            ctx.state.data["last"] = {"q": intent.text,
                                      "sources": [c.source_id for c in answer.citations],
                                      "said": list(answer.sentences)}  # an answer's length
        memory = Memory.load(ctx.state.data) if ctx.state else Memory()
        memory.topic, memory.question = "question", intent.text
        memory.results, memory.focus = refs, (refs[0] if len(refs) == 1 else None)
        if intent.record is not None:  # "Rev3, c'est quoi ?": Rev3 stays the subject
            memory.topic, memory.focus = "record_question", intent.record
            memory.results = [intent.record, *(r for r in refs if r != intent.record)]
        await remember(ctx, self.db, memory)
        blocks = list(answer.blocks)
        if answer.missing:
            blocks.insert(0, t("answer_missing", lang))
        buttons = [*card_buttons(self.records, refs, lang),
                   Button(t("button_up", lang), FEEDBACK_UP.wire),
                   Button(t("button_down", lang), FEEDBACK_DOWN.wire), advisor]
        return [Reply(blocks=tuple(blocks), citations=tuple(answer.citations),
                      buttons=tuple(buttons), kind="answer",
                      meta={"mode": answer.mode, **_missing(answer.missing)})]

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]:
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]


class RecordQuestions:
    """A question about one named record: the asked field first; its card on demand."""

    intents = ("record_question",)
    prefix = "card"
    state = None

    def __init__(self, *, db: Database, catalog: Catalog, records: RecordAnswers,
                 questions: Questions) -> None:
        self.db = db
        self.catalog = catalog
        self.records = records
        self.questions = questions

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        """Aid schemes are answered from their fields; a partner or a CCI is answered from its
        record only for where and how to reach it (the documents say more about the rest);
        a fact the record does not hold is looked for in the documents."""
        ref = intent.record
        if ref is None or not self.records.exists(ref):
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        if ref.kind != "aid" and intent.attribute not in ("contact", "apply"):
            # who qualifies is the record's own ("quels sont les critères ?" of a label);
            # the documents say more about the rest of a partner or a CCI
            own = self.records.detail(ref, intent.text, ctx.lang, vector=intent.vector) \
                if intent.attribute == "conditions" else None
            if own is None or own.missing:
                return await self._from_documents(ctx, intent, ref)
            ctx.outcome = f"record:{intent.attribute}"
            return await self._reply(ctx, ref, own, with_card=True)
        if intent.attribute == "summary" or (intent.attribute is None and not intent.followup):
            answer = self.records.answer(ref, intent.attribute, ctx.lang)
        else:
            answer = self.records.detail(ref, intent.text, ctx.lang, vector=intent.vector,
                                         attribute=intent.attribute)
        if answer.missing:
            return await self._from_documents(ctx, intent, ref)
        ctx.outcome = f"record:{intent.attribute or 'detail'}"
        return await self._reply(ctx, ref, answer, with_card=True)

    async def _from_documents(self, ctx: Context, intent: Intent, ref: RecordRef) -> list[Reply]:
        """The documents about the record; when they do not hold what was asked either
        ("qui le finance ?"), that is said first, then what they say closest to it."""
        name = self.records.name(ref, ctx.lang)
        short = self.records.short_name(ref, ctx.lang)
        text = intent.text if not intent.followup else f"{short} {intent.text}"
        replies = await self.questions.handle(ctx, Intent("question", text, said=intent.text,
                                                          followup=intent.followup))
        if intent.followup and short != name and replies and replies[0].kind == "decline":
            # the short name alone was too little to search with: the full one, as before
            replies = await self.questions.handle(ctx, Intent(
                "question", f"{name} {intent.text}", said=intent.text, followup=True))
        t = self.catalog.t
        if replies and replies[0].kind == "answer" and not any(
                _about(replies[0], n) for n in {short, *self.records.names(ref)} if n):
            # the documents answered about something else ("qui le finance ?" about the think
            # tank found the FEDER; "le PNI est cumulable avec une aide de la Région ?" found
            # the ADGE): say the record's sources do not tell, and offer an advisor
            what = self.catalog.label("attribute", intent.attribute or "summary", ctx.lang)
            ctx.outcome = "record:missing"
            replies = [Reply(blocks=(t("rec_missing", ctx.lang, name=name, what=what),
                                     t("answer_missing_offer", ctx.lang)),
                             buttons=(advisor_button(self.catalog, ctx.lang),), kind="answer",
                             meta=_missing(True))]
        if ref.kind == "aid" and intent.attribute not in (None, "summary") and replies \
                and t("answer_missing", ctx.lang) in replies[0].blocks:
            what = self.catalog.label("attribute", intent.attribute or "summary", ctx.lang)
            first = replies[0]
            blocks = [b for b in first.blocks if b != t("answer_missing", ctx.lang)]
            replies[0] = replace(first, blocks=(t("rec_missing", ctx.lang, name=name, what=what),
                                                t("answer_missing", ctx.lang), *blocks))
        if ctx.state is not None:  # the record stays the subject of the next follow-up
            memory = Memory.load(ctx.state.data)
            memory.focus = ref
            memory.topic = "record_question"
            if ref not in memory.results:
                memory.results = [ref, *memory.results][:10]
            await remember(ctx, self.db, memory)
        return replies

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]:
        ref = RecordRef(action.verb, action.arg)  # type: ignore[arg-type]
        if action.verb not in ("aid", "partner", "cci") or not self.records.exists(ref):
            ctx.outcome = "action:unknown"
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        ctx.outcome = "record:card"
        return await self._reply(ctx, ref, self.records.card(ref, ctx.lang), with_card=False)

    async def _reply(self, ctx: Context, ref: RecordRef, answer: Answer, *,
                     with_card: bool) -> list[Reply]:
        memory = Memory.load(ctx.state.data) if ctx.state else Memory()
        if ref not in memory.results or memory.topic not in ("find_aid", "find_partner"):
            memory.topic = "record_question"  # a look at one result keeps the search's topic
        memory.focus = ref
        memory.attribute = answer.attribute or memory.attribute
        if ref not in memory.results:
            memory.results = [ref]
        await remember(ctx, self.db, memory)
        lang = ctx.lang
        blocks = list(answer.blocks)
        if answer.missing:
            blocks.append(self.catalog.t("answer_missing_offer", lang))
        buttons = card_buttons(self.records, [ref], lang) if with_card else []
        buttons.append(advisor_button(self.catalog, lang))
        return [Reply(blocks=tuple(blocks), citations=tuple(answer.citations),
                      buttons=tuple(buttons), kind="answer",
                      meta={"mode": answer.mode, **_missing(answer.missing)})]


class CciLookup:
    """Which CCI covers a place, how to reach it, and the offer to send it a request."""

    intents = ("cci_lookup",)
    prefix = "cci"
    state = None

    def __init__(self, *, db: Database, catalog: Catalog, records: RecordAnswers,
                 router: Router) -> None:
        self.db = db
        self.catalog = catalog
        self.records = records
        self.router = router

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        t, lang = self.catalog.t, ctx.lang
        profile = intent.profile
        place = profile.postal_code or profile.city or ""
        memory = Memory.load(ctx.state.data) if ctx.state else Memory()
        if not place and profile.department:
            place = profile.department
        if not place:  # "and which CCI is there?": the place of the last turn
            known = Profile.model_validate(memory.profile)
            place = memory.place or known.postal_code or known.city or known.department or ""
        memory.topic = "cci_lookup"
        if not place:
            await remember(ctx, self.db, memory)
            ctx.outcome = "cci:ask-place"
            return [Reply(blocks=(t("cci_ask_place", lang),))]
        routing = self.router.route(place) if not place.isdigit() or len(place) == 5 else \
            self.router.for_department(place)
        desks = [d for d in routing.desk_ids if self.records.exists(RecordRef("cci", d))]
        memory.place = place
        memory.results = [RecordRef("cci", d) for d in desks]
        memory.focus = memory.results[0] if len(desks) == 1 else None
        if ctx.state is not None:  # the request form starts from this place
            known = Profile.model_validate(ctx.state.data.get("profile") or {})
            if not (known.city or known.postal_code or known.department):  # never overrides
                ctx.state.data["profile"] = known.model_copy(update={  # the company's place
                    "city": profile.city, "postal_code": profile.postal_code,
                    "department": profile.department,
                }).model_dump(exclude_none=True)
        await remember(ctx, self.db, memory)
        offer = Button(t("button_send_request", lang), MENU_ADVISOR.wire)
        label = routing.commune or profile.city or place
        if not desks:
            return [Reply(blocks=(t("cci_unknown_place", lang, place=label),),
                          buttons=(offer,))]
        if len(desks) > 1:
            names = ", ".join(self.records.name(RecordRef("cci", d), lang) for d in desks)
            ctx.outcome = "cci:choice"
            buttons = tuple(Button(self.records.name(RecordRef("cci", d), lang),
                                   card("cci", d).wire) for d in desks)
            return [Reply(blocks=(t("cci_several", lang, place=label, names=names),),
                          buttons=(*buttons, offer))]
        ref = RecordRef("cci", desks[0])
        contact = self.records.answer(ref, "contact", lang)
        ctx.outcome = "cci:desk"
        first = t("cci_desk", lang, place=label, name=self.records.name(ref, lang))
        return [Reply(blocks=(f"{first} {contact.blocks[0]}", *contact.blocks[1:],
                              t("cci_offer", lang)),
                      citations=tuple(contact.citations), buttons=(offer,), kind="answer")]

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]:
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]


class Feedback:
    intents = ()
    prefix = "fb"
    state = None

    def __init__(self, *, db: Database, catalog: Catalog) -> None:
        self.db = db
        self.catalog = catalog

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        return []

    async def on_action(self, ctx: Context, action: Action) -> list[Reply]:
        if action.verb in ("up", "down") and ctx.state and "last" in ctx.state.data:
            last = ctx.state.data.pop("last")
            await self.db.add_feedback(
                channel=ctx.incoming.channel, rating=1 if action.verb == "up" else -1,
                question=str(last.get("q", "")), sources=list(last.get("sources", [])),
            )
            await self.db.save_state(ctx.state)
            return [ctx.reply(self.catalog, "feedback_thanks")]
        ctx.outcome = "action:unknown"
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
