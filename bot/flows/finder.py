"""The aid finder: ask place, size and project (buttons first, free text accepted), then list
the best schemes with why they fit and what to check.

State: ``state.flow == "finder"``, ``state.data["profile"]`` (kept afterwards for the hand-over
to an advisor), ``state.data["finder"] = {"step": ..., "shown": n}``. A SIREN or SIRET typed
is confirmed first (step ``"company"``); yes fills the profile and ``state.data["company"]``.

Usage (from the Assistant's router)::

    replies = await finder.start(ctx, text="PME de 40 salariés à Roubaix qui relocalise")
    replies = await finder.on_text(ctx, "62")
    replies = await finder.on_action(ctx, "fd:size:PME")
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bot.actions import Action
from bot.answering.render import shorten
from bot.flows.aid_prefs import AidPreferences
from bot.flows.base import Compose
from bot.flows.company_check import CompanyCheck, fill_profile
from bot.flows.render import official_name, profile_summary, reason_text
from bot.i18n import Catalog
from bot.messages import Button, Citation, Reply
from bot.middleware import Context
from bot.storage import Database
from bot.understanding import Intent, Memory, RecordRef, Vocabulary, is_question
from knowledge.catalog import AidIndex, Profile, ProfileExtractor
from knowledge.catalog.geo import HDF_DEPARTMENTS
from knowledge.catalog.matcher import falls_short
from knowledge.catalog.profile import size_from_headcount
from knowledge.models import AidScheme

__all__ = ["OUTSIDE", "PAGE", "PROJECT_BUTTONS", "AidFinder"]

_NUMBER = re.compile(r"\b\d{1,6}\b")   # a headcount typed alone or nearly


OUTSIDE = "00"  # "outside Hauts-de-France": regional schemes are filtered out

PAGE = 4
PROJECT_BUTTONS = ("relocalisation", "implantation", "investissement", "rd", "ecoconception",
                   "recrutement", "export")


class AidFinder:
    intents = ("find_aid",)
    prefix = "fd"
    state = "finder"

    def __init__(self, *, aids: dict[str, AidScheme], catalog: Catalog, db: Database,
                 extractor: ProfileExtractor, today: Callable[[], dt.date] = dt.date.today,
                 vocab: Vocabulary | None = None, compose: Compose | None = None,
                 company: CompanyCheck | None = None) -> None:
        self.vocab = vocab or Vocabulary.load()
        self.company = company
        self.compose = compose
        self.aids = aids
        self.index = AidIndex(list(aids.values()))
        self.catalog = catalog
        self.db = db
        self.extractor = extractor
        self.today = today

    # -- state helpers ---------------------------------------------------------------------

    @staticmethod
    def profile(ctx: Context) -> Profile:
        data = ctx.state.data.get("profile") if ctx.state else None
        return Profile.model_validate(data or {})

    async def _save(self, ctx: Context, profile: Profile, **flow: Any) -> None:
        if ctx.state is None:  # the Language middleware loads it first
            raise RuntimeError("no conversation state")
        ctx.state.data["profile"] = profile.model_dump(exclude_none=True)
        if flow:
            ctx.state.flow = "finder"
            ctx.state.data["finder"] = flow
        else:
            ctx.state.flow = None
            ctx.state.data.pop("finder", None)
        await self.db.save_state(ctx.state)

    # -- entry points ----------------------------------------------------------------------

    async def start(self, ctx: Context, *, text: str = "", fresh: bool = True) -> list[Reply]:
        known = Profile() if fresh else self.profile(ctx)
        profile = known.merged(self.extractor.extract(text)) if text else known
        intro = Reply(blocks=(self.catalog.t("finder_intro", ctx.lang),))
        return [intro, *await self._next(ctx, profile)]

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        """From free text: results straight away when the sentence says something about the
        company (then only what is missing is asked, to refine); otherwise step by step.
        A follow-up ("et si on a 300 salariés ?") changes the last profile and re-runs."""
        found = intent.profile
        forms, funders = self.vocab.aid_preferences(intent.text)
        if ctx.state is not None and (forms or funders or not intent.followup):
            ctx.state.data["aid_prefs"] = {"forms": forms, "funders": funders}
        if intent.followup:
            base = Profile.model_validate(Memory.load(ctx.state.data).profile if ctx.state
                                          else {})
            profile = base.overridden(found)
        else:
            profile = found
        if profile == Profile():
            return await self.start(ctx, text=intent.text, fresh=True)
        await self._save(ctx, profile)
        direct = await self._direct(ctx, intent)
        replies = await self._results(ctx, profile, offset=0)
        listed = {c.source_id for r in replies for c in r.citations}
        schemes = {c.source_id for c in direct[0].citations if c.kind == "aid"} if direct \
            else set()
        prefs = AidPreferences.load(ctx.state.data if ctx.state else None)
        if any(falls_short(self.aids[s], profile) or not prefs.funded_as_asked(self.aids[s])
               for s in schemes if s in self.aids):
            schemes = set()  # the documents' scheme does not fit what the company said
        if schemes - listed:  # the scheme that answers is not in the list
            replies = [*direct, *replies]
        elif (closed := prefs.closed_note(self.aids, profile, listed, today=self.today(),
                                          catalog=self.catalog, lang=ctx.lang)) is not None:
            replies = [closed, *replies]
        missing = profile.missing()
        if missing and replies and replies[-1].kind == "answer":
            replies += self._ask(ctx, missing[0], refine=True)
        return replies

    async def _direct(self, ctx: Context, intent: Intent) -> list[Reply]:
        """A question ("y a-t-il une subvention de l'ADEME pour éco-concevoir ?") gets the
        scheme that answers it in one or two sentences first, then the list for the profile."""
        p = intent.profile
        described = bool(p.department or p.city or p.postal_code or p.size or p.headcount)
        if self.compose is None or intent.followup or described \
                or not is_question(intent.text):
            return []  # a company described: the list made for it is the answer
        answer = await self.compose(intent.text, ctx.lang, intent.vector, kinds=["aid"])
        if answer.declined or not answer.citations:
            return []
        return [Reply(blocks=tuple(answer.blocks), citations=tuple(answer.citations),
                      kind="answer", meta={"mode": answer.mode})]

    async def on_answer(self, ctx: Context, text: str) -> list[Reply]:
        return await self.on_text(ctx, text)

    async def dont_know(self, ctx: Context) -> list[Reply]:
        """"Je ne sais pas": what fits what is known so far, then the question to refine."""
        profile = self.profile(ctx)
        await self._save(ctx, profile)
        replies = await self._results(ctx, profile, offset=0)
        missing = profile.missing()
        if missing and replies and replies[-1].kind == "answer":
            replies += self._ask(ctx, missing[0], refine=True)
        return [ctx.reply(self.catalog, "finder_dont_know"), *replies]

    def resume(self, ctx: Context) -> list[Reply]:
        flow = (ctx.state.data.get("finder") or {}) if ctx.state else {}
        pending = CompanyCheck.pending(flow.get("company"))
        if self.company is not None and pending is not None:
            return [self.company.question(pending, ctx.lang, prefix="fd")]
        return self._ask(ctx, flow.get("step") or "department")

    async def _company(self, ctx: Context, text: str, step: str | None) -> list[Reply] | None:
        """A SIREN or SIRET: "Est-ce bien ... ?"; a typed yes / no to that question."""
        check = self.company
        verdict = check.answer(text) if check is not None and step == "company" else None
        if verdict is not None:
            return await self.on_action(ctx, f"fd:company:{'yes' if verdict else 'no'}")
        found = await check.offer(text) if check is not None else None
        if found is None or check is None:
            return None
        await self._save(ctx, self.profile(ctx), step="company", company=found.to_dict())
        return [check.question(found, ctx.lang, prefix="fd")]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        step = (ctx.state.data.get("finder") or {}).get("step") if ctx.state else None
        if (company := await self._company(ctx, text, step)) is not None:
            return company
        found = self.extractor.extract(text)
        profile = self.profile(ctx)
        if step == "department" and found.department is None and text.strip().isdigit():
            number = text.strip().zfill(2)
            found = Profile(department=number) if len(number) == 2 else found
        numbers = _NUMBER.findall(text)
        if step == "size" and found.size is None and len(numbers) == 1 \
                and len(text.split()) <= 4:   # "tapez l'effectif": "250", "on est 12"
            headcount = int(numbers[0])
            found = Profile(headcount=headcount, size=size_from_headcount(headcount))
        before = profile.missing()
        merged = profile.merged(found)
        if merged.missing() == before:
            changed = profile.overridden(found)   # "et si on était dans l'Aisne ?"
            if changed == profile:
                return [Reply(blocks=(self.catalog.t("finder_not_understood", ctx.lang),)),
                        *self._ask(ctx, before[0])]
            merged = changed
        replies = await self._next(ctx, merged)
        still = merged.missing()
        if still and still[0] == before[0]:   # taken, but not what was asked: say so
            noted = profile_summary(found, lang=ctx.lang, catalog=self.catalog)
            replies.insert(0, Reply(blocks=(self.catalog.t("finder_noted", ctx.lang,
                                                           summary=noted),)))
        return replies

    async def on_action(self, ctx: Context, action: Action | str) -> list[Reply]:
        _, kind, *rest = str(action).split(":")
        value = rest[0] if rest else ""
        profile = self.profile(ctx)
        if kind == "dep" and (value in HDF_DEPARTMENTS or value == "out"):
            profile = profile.model_copy(update={"department": value if value != "out"
                                                 else OUTSIDE})
        elif kind == "size" and value in ("TPE", "PME", "ETI", "GE"):
            profile = profile.model_copy(update={"size": value})
        elif kind == "proj" and value in PROJECT_BUTTONS:
            profile = profile.model_copy(update={"project_types": [value]})
        elif kind == "more":
            shown = int((ctx.state.data.get("finder_shown") if ctx.state else 0) or 0)
            return await self._results(ctx, profile, offset=shown)
        elif kind == "refine":
            profile = profile.model_copy(update={"project_types": [], "size": None})
        elif kind == "company" and ctx.state is not None:
            found = CompanyCheck.pending((ctx.state.data.get("finder") or {}).get("company"))
            if found is not None and value == "yes":
                profile = fill_profile(profile, found)
                ctx.state.data["company"] = found.to_dict()
        else:
            ctx.outcome = "action:unknown"
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        return await self._next(ctx, profile)

    # -- steps -----------------------------------------------------------------------------

    async def _next(self, ctx: Context, profile: Profile) -> list[Reply]:
        missing = profile.missing()
        if missing:
            await self._save(ctx, profile, step=missing[0])
            return self._ask(ctx, missing[0])
        await self._save(ctx, profile)
        return await self._results(ctx, profile, offset=0)

    def _ask(self, ctx: Context, step: str, *, refine: bool = False) -> list[Reply]:
        t, lang = self.catalog.t, ctx.lang
        if step == "department":
            buttons = [Button(t(f"button_dep_{d}", lang), f"fd:dep:{d}") for d in
                       ("59", "62", "80", "60", "02")]
            buttons.append(Button(t("button_outside", lang), "fd:dep:out"))
        elif step == "size":
            buttons = [Button(t(f"button_size_{s}", lang), f"fd:size:{s}")
                       for s in ("TPE", "PME", "ETI", "GE")]
        else:
            buttons = [Button(self.catalog.label("project_label", p, lang), f"fd:proj:{p}")
                       for p in PROJECT_BUTTONS]
        key = f"finder_refine_{step}" if refine else f"finder_ask_{step}"
        return [Reply(blocks=(t(key, lang),), buttons=tuple(buttons))]

    async def _results(self, ctx: Context, profile: Profile, *, offset: int) -> list[Reply]:
        t, lang = self.catalog.t, ctx.lang
        prefs = AidPreferences.load(ctx.state.data if ctx.state else None)
        any_project = profile.model_copy(update={"project_types": []})
        matches = prefs.ranked(  # with a project named, the other projects' schemes may come
            self.index.match(profile, today=self.today()), catalog=self.catalog, lang=ctx.lang,
            wider=lambda: self.index.match(any_project, today=self.today())
            if profile.project_types else [])
        page = matches[offset: offset + PAGE]
        if ctx.state is not None:
            ctx.state.data["finder_shown"] = offset + len(page)
            memory = Memory.load(ctx.state.data)
            memory.topic, memory.focus = "find_aid", None
            memory.profile = profile.model_dump(exclude_none=True)
            memory.results = [RecordRef("aid", m.aid.id) for m in page] if page else []
            memory.save(ctx.state.data)
            await self.db.save_state(ctx.state)
        advisor = Button(t("button_advisor", lang), "menu:advisor")
        summary = t("finder_profile", lang, summary=profile_summary(profile, lang=lang,
                                                                   catalog=self.catalog))
        if not page:
            key = "finder_no_more" if offset else "finder_no_results"
            return [Reply(blocks=(summary, t(key, lang)), buttons=(advisor,))]
        blocks = [summary, t("finder_results_title", lang)]
        citations = []
        for number, m in enumerate(page, start=1):
            aid = m.aid
            name = aid.name if lang == "fr" else official_name(aid, self.catalog)
            lines = [t("finder_aid_line", lang, rank=offset + number, name=name,
                       funder=aid.funder, number=number)]
            forms = ", ".join(self.catalog.label("aid_form", f, lang) for f in aid.aid_forms)
            if forms:
                lines[0] += f" — {forms}"
            amounts = aid.amounts_en if lang == "en" and aid.amounts_en else aid.amounts
            lines.append(self.catalog.t("aid_amounts", lang, value=shorten(amounts, 110)))
            ok = [reason_text(r, lang=lang, catalog=self.catalog).lstrip("✔ ") for r in m.reasons]
            if ok:
                lines.append("✔ " + " · ".join(ok))
            lines += [reason_text(w, lang=lang, catalog=self.catalog) for w in m.warnings]
            blocks.append("\n".join(lines))
            citations.append(Citation(number=number, source_id=aid.id, title=aid.name,
                                      url=aid.url or aid.sources[0], kind="aid"))
        buttons = [Button(t("button_more", lang), "fd:more")] if len(matches) > offset + PAGE \
            else []
        buttons += [Button(t("button_refine", lang), "fd:refine"), advisor]
        ctx.outcome = "finder:results"
        return [Reply(blocks=tuple(blocks), citations=tuple(citations), buttons=tuple(buttons),
                      kind="answer")]
