"""The partner finder: what is needed (free text) and where (optional), then the partners of the
catalogue with capabilities, location (nearest first) and caveats.

Usage (from the Assistant's router)::

    replies = await partners.start(ctx, text="qui peut confectionner des chemises en lin ?")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.actions import Action
from bot.answering.render import shorten
from bot.flows.render import reason_text
from bot.i18n import Catalog
from bot.messages import Button, Citation, Reply
from bot.middleware import Context
from bot.storage import Database
from bot.understanding import Intent, Memory, RecordRef
from knowledge.base import KnowledgeBase
from knowledge.catalog import Geo, Profile, ProfileExtractor, match_partners
from knowledge.catalog.geo import HDF_DEPARTMENTS

__all__ = ["PARTNER_PAGE", "PartnerFinder"]

PARTNER_PAGE = 5


class PartnerFinder:
    intents = ("find_partner",)
    prefix = "fp"
    state = "partners"

    def __init__(self, *, kb: KnowledgeBase, catalog: Catalog, db: Database,
                 extractor: ProfileExtractor, geo: Geo,
                 named: Callable[[str], list[RecordRef]]) -> None:
        """``named``: the records a text names (``RecordIndex.find``); a partner the need
        names is the user's own client or brand, not one to suggest to them."""
        self.kb = kb
        self.named = named
        self.catalog = catalog
        self.db = db
        self.extractor = extractor
        self.geo = geo

    def _profile(self, ctx: Context) -> Profile:
        data = ctx.state.data.get("profile") if ctx.state else None
        return Profile.model_validate(data or {})

    async def _save(self, ctx: Context, *, flow: str | None, need: str | None,
                    profile: Profile) -> None:
        if ctx.state is None:  # no conversation to remember the search in (as in _results)
            return
        ctx.state.flow = flow
        ctx.state.data["profile"] = profile.model_dump(exclude_none=True)
        if need is None:
            ctx.state.data.pop("partner_need", None)
        else:
            ctx.state.data["partner_need"] = need
        await self.db.save_state(ctx.state)

    async def start(self, ctx: Context, *, text: str = "") -> list[Reply]:
        if not text.strip():
            await self._save(ctx, flow="partners", need=None, profile=self._profile(ctx))
            return [ctx.reply(self.catalog, "partner_ask_need")]
        return await self.on_text(ctx, text)

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        """A need in free text ("qui peut coudre des chemises ?"), or a follow-up that changes
        the place of the last search ("et à Amiens ?")."""
        if intent.followup and ctx.state is not None:
            memory = Memory.load(ctx.state.data)
            if memory.need:
                base = Profile.model_validate(memory.profile)
                # a restated need ("and for the market study?") or the last one in a new place
                need = intent.text if intent.said else memory.need
                return await self._results(ctx, need, base.overridden(intent.profile))
        return await self.start(ctx, text=intent.text)

    async def on_answer(self, ctx: Context, text: str) -> list[Reply]:
        return await self.on_text(ctx, text)

    def resume(self, ctx: Context) -> list[Reply]:
        if ctx.state is not None and ctx.state.data.get("partner_need"):
            return [Reply(blocks=(self.catalog.t("partner_ask_department", ctx.lang),))]
        return [ctx.reply(self.catalog, "partner_ask_need")]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        # what this message says wins over what an earlier search knew (a new place, a size)
        profile = self._profile(ctx).overridden(self.extractor.extract(text))
        need = (ctx.state.data.get("partner_need") if ctx.state else None) or text
        if profile.department is None:
            # Results straight away (nearest first once the place is known), then the place
            # is asked to refine; a typed place later is a follow-up of this search.
            replies = await self._results(ctx, need, profile)
            if replies and replies[-1].kind == "answer":
                t, lang = self.catalog.t, ctx.lang
                buttons = [Button(t(f"button_dep_{d}", lang), f"fp:dep:{d}")
                           for d in ("59", "62", "80", "60", "02")]
                replies.append(Reply(blocks=(t("partner_refine_department", lang),),
                                     buttons=tuple(buttons)))
            return replies
        return await self._results(ctx, need, profile)

    async def on_action(self, ctx: Context, action: Action | str) -> list[Reply]:
        value = str(action).split(":")[-1]
        need = ctx.state.data.get("partner_need") if ctx.state else None
        if not need and ctx.state is not None:
            need = Memory.load(ctx.state.data).need or None
        if not need or not (value in HDF_DEPARTMENTS or value == "any"):
            ctx.outcome = "action:unknown"
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        profile = self._profile(ctx)
        if value != "any":
            profile = profile.model_copy(update={"department": value})
        return await self._results(ctx, str(need), profile)

    async def preview(self, ctx: Context, intent: Intent) -> list[Reply]:
        """The partners for a need asked inside another form: the form stays where it was."""
        profile = self._profile(ctx).overridden(intent.profile)
        return await self._results(ctx, intent.text, profile, keep_flow=True)

    async def _results(self, ctx: Context, need: str, profile: Profile, *,
                       keep_flow: bool = False) -> list[Reply]:
        if ctx.state is not None:
            memory = Memory.load(ctx.state.data)
            memory.topic, memory.need, memory.focus = "find_partner", need, None
            memory.profile = profile.model_dump(exclude_none=True)
            memory.save(ctx.state.data)
        if not keep_flow:
            await self._save(ctx, flow=None, need=None, profile=profile)
        t, lang = self.catalog.t, ctx.lang
        found = await asyncio.to_thread(self.kb.search, need, lang=lang, k=15, kind="partner")
        # The retriever's ranking helps even when it would decline the need as a question.
        ranked = [h.chunk.source_id for h in found.hits]
        known = {r.id for r in self.named(need) if r.kind == "partner"}
        matches = [m for m in match_partners(need, profile, self.kb.partners.values(),
                                             geo=self.geo, ranked_ids=ranked,
                                             limit=PARTNER_PAGE + len(known))
                   if m.partner.id not in known][:PARTNER_PAGE]
        advisor = Button(t("button_advisor", lang), "menu:advisor")
        if not matches:
            return [Reply(blocks=(t("partner_no_results", lang),), buttons=(advisor,))]
        # No partner names the need among its skills or sectors: the closest by meaning are
        # shown as such, not as a fit (a machining subcontractor is not in the catalogue).
        direct = any(r.code in ("capabilities", "sectors") for m in matches for r in m.reasons)
        if not direct:
            ctx.outcome = "partners:nearest"
        blocks = [t("partner_results_title" if direct else "partner_results_nearest", lang)]
        citations = []
        for number, m in enumerate(matches, start=1):
            p = m.partner
            kind = self.catalog.label("partner_kind_label", p.kind, lang)
            lines = [t("partner_line", lang, rank=number, name=p.name, kind=kind, number=number)]
            description = p.description_fr if lang == "fr" else p.description_en
            lines.append(shorten(description, 220))
            lines += [reason_text(r, lang=lang, catalog=self.catalog) for r in m.reasons]
            lines += [reason_text(w, lang=lang, catalog=self.catalog) for w in m.warnings]
            blocks.append("\n".join(lines))
            citations.append(Citation(number=number, source_id=p.id, title=p.name,
                                      url=p.url or p.sources[0], kind="partner"))
        if ctx.state is not None:
            memory = Memory.load(ctx.state.data)
            memory.results = [RecordRef("partner", m.partner.id) for m in matches]
            memory.save(ctx.state.data)
            await self.db.save_state(ctx.state)
        if direct:
            ctx.outcome = "partners:results"
        return [Reply(blocks=tuple(blocks), citations=tuple(citations), buttons=(advisor,),
                      kind="answer")]
