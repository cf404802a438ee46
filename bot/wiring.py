"""Construction in one place: the Assistant and everything it is made of.

The only module that reads the core's data files (desks, vocabularies, routing) and builds
collaborators; ``Assistant.__init__`` only receives them. ``ops`` builds the rest of the
process (knowledge base, database, notifiers, channels) and calls :func:`build_assistant`.

Usage::

    assistant = build_assistant(kb=kb, db=db, catalog=Catalog.load(), settings=settings)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence

from bot.answering import Answerer
from bot.answering.llm import ChatModel
from bot.answering.records import RecordAnswers
from bot.assistant import Assistant
from bot.company import CompanyLookup, build_company_lookup
from bot.flows import AidFinder, PartnerFinder
from bot.flows.base import FlowRegistry
from bot.flows.company_check import CompanyCheck
from bot.flows.conversation import CciLookup, Feedback, Questions, RecordQuestions, SmallTalk
from bot.flows.lead import LeadForm
from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.enrich import LeadEnricher
from bot.leads.routing import Router
from bot.leads.service import LeadService
from bot.metrics import Metrics
from bot.middleware import (
    ConversationLock,
    Dedupe,
    InputGuard,
    Language,
    LogContext,
    Middleware,
    RateLimit,
)
from bot.settings import Settings
from bot.storage import Database
from bot.understanding import Understanding
from knowledge.base import KnowledgeBase
from knowledge.catalog import ProfileExtractor

__all__ = ["build_assistant", "default_chain"]


def default_chain(*, catalog: Catalog, db: Database, settings: Settings,
                  metrics: Metrics | None = None,
                  clock: Callable[[], float] = time.monotonic) -> list[Middleware]:
    """The ordered middleware chain: log context, rate limit, one event at a time per
    conversation, dedupe, language, input guard."""
    return [
        LogContext(metrics),
        RateLimit(catalog, per_minute=settings.rate_limit_per_minute, db=db,
                  global_per_second=settings.rate_limit_global_per_second, clock=clock),
        ConversationLock(db),
        Dedupe(db),
        Language(db),
        InputGuard(catalog, max_chars=settings.max_message_chars),
    ]


def build_assistant(
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
    company_lookup: CompanyLookup | None = None,
) -> Assistant:
    """Read the data files once and assemble the flows, the answerer and the chain.
    ``company_lookup``: the companies register (None: the HTTP client, unless switched off)."""
    answerer = Answerer.build(kb=kb, catalog=catalog, top_k=settings.top_k,
                              chat_model=chat_model, llm_timeout=settings.llm_timeout,
                              today=today)
    llm = answerer.llm
    extractor = ProfileExtractor.load()
    understanding = Understanding.build(kb=kb, extractor=extractor)
    check = CompanyCheck(lookup=company_lookup if company_lookup is not None
                         else build_company_lookup(settings), catalog=catalog,
                         vocab=understanding.vocab, timeout=settings.company_api_timeout_seconds)
    finder = AidFinder(aids=kb.aids, catalog=catalog, db=db, extractor=extractor, today=today,
                       compose=answerer.compose_or_wider, company=check)
    leads = LeadService(
        db=db, settings=settings, desks=Desks.load(settings.desks_file), catalog=catalog,
        desk_names={c.id: c.name.split(" (")[0] for c in kb.ccis.values()},
        enrich=LeadEnricher(kb, index=finder.index, today=today))
    router = Router.load(geo=extractor.geo)
    records = RecordAnswers(kb=kb, catalog=catalog, today=today,
                            embedder=answerer.extractive.embedder,
                            stale_months=settings.aid_stale_months)
    questions = Questions(db=db, catalog=catalog, records=records,
                          compose=answerer.compose_or_wider,
                          rewrite=llm.rewrite if llm is not None else None)
    flows = FlowRegistry([
        SmallTalk(catalog=catalog, retain_months=settings.retain_leads_months,
                  question_days=settings.retain_questions_days),
        questions,
        RecordQuestions(db=db, catalog=catalog, records=records, questions=questions),
        CciLookup(db=db, catalog=catalog, records=records, router=router),
        Feedback(db=db, catalog=catalog),
        finder,
        PartnerFinder(kb=kb, catalog=catalog, db=db, extractor=extractor, geo=extractor.geo,
                      named=understanding.records.find),
        LeadForm(catalog=catalog, db=db, router=router, service=leads,
                 vocab=understanding.vocab, company=check,
                 sla_days=settings.lead_remind_days),
    ])
    chain = list(middleware) if middleware is not None else default_chain(
        catalog=catalog, db=db, settings=settings, metrics=metrics, clock=clock)
    if not any(isinstance(m, ConversationLock) for m in chain):
        chain = [ConversationLock(db), *chain]
    return Assistant(catalog=catalog, db=db, understanding=understanding, flows=flows,
                     answerer=answerer, leads=leads, chain=chain)
