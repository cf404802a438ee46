"""The lead form: consent first, then one question at a time (buttons where they help), back,
skip, correct, cancel, a summary to confirm, and the submission.

State (conversation store, so a restart resumes): ``state.flow == "lead"`` and
``state.data["lead"] = {"step", "answers", "consent_at", "history", "skipped"}``.
Nothing personal is kept before consent; a refusal or ``/annuler`` erases the answers.
A SIREN or SIRET is looked up in the register: "Est-ce bien ... ?" (step ``"company_check"``);
yes fills what the register says (``LeadAnswers.fill``) and those questions are not asked.

Usage (from the Assistant)::

    replies = await form.start(ctx)                  # intro + consent question
    replies = await form.on_action(ctx, "lf:consent:yes")
    replies = await form.on_text(ctx, "Ateliers du Nord")
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.actions import Action
from bot.errors import InputError
from bot.flows.company_check import CompanyCheck
from bot.flows.lead_answers import LeadAnswers
from bot.flows.lead_view import BY_NAME, STEPS, LeadView, Step
from bot.i18n import Catalog
from bot.leads.routing import Router
from bot.leads.service import LeadService
from bot.messages import Button, Reply
from bot.middleware import Context
from bot.storage import Database
from bot.understanding import Intent, Vocabulary
from bot.understanding.vocabulary import clean
from knowledge.catalog import Profile, size_from_headcount

__all__ = ["COMPANY_STEP", "CONSENT_VERSION", "STEPS", "LeadForm", "Step"]

CONSENT_VERSION = "2026-11"
COMPANY_STEP = "company_check"
CORRECT_WORDS = {"corriger", "modifier", "correct", "edit", "change", "changer"}


class LeadForm:
    intents = ("advisor",)
    prefix = "lf"
    state = "lead"

    def __init__(self, *, catalog: Catalog, db: Database, router: Router,
                 service: LeadService, sla_days: int = 2,
                 vocab: Vocabulary | None = None, company: CompanyCheck | None = None) -> None:
        self.vocab = vocab or Vocabulary.load()
        self.catalog = catalog
        self.db = db
        self.router = router
        self.service = service
        self.sla_days = sla_days
        self.check = company
        self.answers = LeadAnswers(router=router, check=company)
        self.view = LeadView(catalog=catalog, desk_name=service.desk_name)

    # -- state -----------------------------------------------------------------------------

    @staticmethod
    def _form(ctx: Context) -> dict[str, Any]:
        if ctx.state is None:  # the Language middleware loads it first
            raise RuntimeError("no conversation state")
        form: dict[str, Any] = ctx.state.data.setdefault("lead", {})
        form.setdefault("answers", {})
        form.setdefault("history", [])
        return form

    async def _save(self, ctx: Context) -> None:
        if ctx.state is None:  # the Language middleware loads it first
            raise RuntimeError("no conversation state")
        await self.db.save_state(ctx.state)

    async def _end(self, ctx: Context) -> None:
        if ctx.state is None:  # the Language middleware loads it first
            raise RuntimeError("no conversation state")
        ctx.state.flow = None
        ctx.state.data.pop("lead", None)
        await self._save(ctx)

    # -- entry points ----------------------------------------------------------------------

    async def start(self, ctx: Context) -> list[Reply]:
        if not ctx.incoming.private:  # SIREN, e-mail, phone: never in a group or a thread
            return [ctx.reply(self.catalog, "lead_private_only")]
        if ctx.state is None:  # the Language middleware loads it first
            raise RuntimeError("no conversation state")
        ctx.state.flow = "lead"
        ctx.state.data["lead"] = {"step": "consent", "answers": {}, "history": []}
        await self._save(ctx)
        t, lang = self.catalog.t, ctx.lang
        buttons = (Button(t("button_consent_yes", lang), "lf:consent:yes"),
                   Button(t("button_consent_no", lang), "lf:consent:no"))
        return [Reply(blocks=(t("lead_intro", lang), t("lead_consent", lang)), buttons=buttons)]

    async def handle(self, ctx: Context, intent: Intent) -> list[Reply]:
        """"Je voudrais parler à un conseiller": the form (consent first), or where it was."""
        if ctx.state is None:
            return [ctx.reply(self.catalog, "advisor")]
        if ctx.state.flow == "lead":
            return self.resume(ctx)
        if intent.profile != Profile():  # what the sentence said is not asked again
            known = Profile.model_validate(ctx.state.data.get("profile") or {})
            ctx.state.data["profile"] = known.overridden(intent.profile).model_dump(
                exclude_none=True)
        return await self.start(ctx)

    async def on_answer(self, ctx: Context, text: str) -> list[Reply]:
        return await self.on_text(ctx, text)

    async def dont_know(self, ctx: Context) -> list[Reply]:
        """"Je ne sais pas": an optional question is skipped, the timeline is "unknown",
        otherwise the question is explained and asked again."""
        form = self._form(ctx)
        step = BY_NAME.get(str(form.get("step")))
        if step is not None and step.name == "timeline":
            return await self._answer(ctx, form, "inconnu", from_button=True)
        if step is not None and step.optional:
            return [ctx.reply(self.catalog, "lead_dont_know_skip"), *await self._skip(ctx, form)]
        return [ctx.reply(self.catalog, "lead_dont_know"), *self._ask(ctx, form)]

    def resume(self, ctx: Context) -> list[Reply]:
        """Ask the current question again (after a pause, a restart or a stray button)."""
        return self._ask(ctx, self._form(ctx))

    async def cancel(self, ctx: Context) -> list[Reply]:
        await self._end(ctx)
        return [ctx.reply(self.catalog, "lead_cancelled")]

    async def on_action(self, ctx: Context, action: Action | str) -> list[Reply]:
        if ctx.state is None or ctx.state.flow != "lead":
            ctx.outcome = "action:unknown"
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        form = self._form(ctx)
        parts = str(action).split(":")
        kind, value = parts[1], (parts[2] if len(parts) > 2 else "")
        step = form.get("step")
        if kind == "consent" and step == "consent":
            if value != "yes":
                await self._end(ctx)
                return [ctx.reply(self.catalog, "lead_consent_refused")]
            form["consent_at"] = dt.datetime.now(dt.UTC).isoformat()
            form["consent_version"] = CONSENT_VERSION
            self._prefill(ctx, form)
            return await self._advance(ctx, form)
        if form.get("consent_at") is None:
            ctx.outcome = "action:unknown"
            return [ctx.reply(self.catalog, "unknown_action", kind="warning")]
        if kind == "back":
            return await self._back(ctx, form)
        if kind == "skip":
            return await self._skip(ctx, form)
        if kind == "choice" and step in BY_NAME:
            return await self._answer(ctx, form, value, from_button=True)
        if kind == "company" and step == COMPANY_STEP:
            return await self._confirm(ctx, form, yes=value == "yes")
        if kind == "confirm" and step == "summary":
            return await self._submit(ctx, form)
        if kind == "correct" and step == "summary":
            return self.view.which_field(form, ctx.lang)
        if kind == "edit" and value in BY_NAME and step == "summary":
            self.answers.forget(form, value)
            form["step"] = value
            await self._save(ctx)
            return self._ask(ctx, form)
        if kind == "cancel":
            return await self.cancel(ctx)
        ctx.outcome = "action:unknown"
        return [ctx.reply(self.catalog, "unknown_action", kind="warning")]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        form = self._form(ctx)
        v, step = self.vocab, form.get("step")
        if step == "consent":
            plain = "?" not in text  # "non merci, je ne veux pas..." but not a question
            if v.is_only("deny", text) or (plain and v.starts_with("deny", text)):
                return await self.on_action(ctx, "lf:consent:no")
            if v.is_only("affirm", text) or (plain and v.starts_with("affirm", text)):
                return await self.on_action(ctx, "lf:consent:yes")
        elif step == "summary":
            if v.is_only("affirm", text):
                return await self._submit(ctx, form)
            if v.is_only("deny", text) or clean(text) in CORRECT_WORDS:
                return self.view.which_field(form, ctx.lang)
        elif step == COMPANY_STEP:
            verdict = self.check.answer(text) if self.check else None
            if verdict is not None or v.is_only("skip", text):
                return await self._confirm(ctx, form, yes=bool(verdict))
            if v.is_only("back", text):
                return await self._back(ctx, form)
        elif v.is_only("back", text):
            return await self._back(ctx, form)
        elif v.is_only("skip", text):
            return await self._skip(ctx, form)
        else:
            choice = self.view.typed_choice(form, text, ctx.lang)
            if choice is not None:
                return await self._answer(ctx, form, choice, from_button=True)
            return await self._answer(ctx, form, text, from_button=False)
        return [ctx.reply(self.catalog, "lead_invalid_choice", kind="warning"),
                *self._ask(ctx, form)]

    # -- steps -----------------------------------------------------------------------------

    def _prefill(self, ctx: Context, form: dict[str, Any]) -> None:
        """Carry over what the finder already knows (no question asked twice)."""
        data = ctx.state.data if ctx.state else {}
        self.answers.prefill(form, Profile.model_validate(data.get("profile") or {}),
                             CompanyCheck.pending(data.get("company")), ctx.lang)

    async def _advance(self, ctx: Context, form: dict[str, Any]) -> list[Reply]:
        form["step"] = self.answers.next_step(form)
        if form["step"] == "summary" and not (form["answers"].get("email")
                                             or form["answers"].get("phone")):
            form["step"] = "email"
            form["skipped"] = [s for s in form.get("skipped", []) if s != "email"]
            await self._save(ctx)
            return [ctx.reply(self.catalog, "lead_need_contact", kind="warning"),
                    *self._ask(ctx, form)]
        await self._save(ctx)
        return self._ask(ctx, form)

    async def _back(self, ctx: Context, form: dict[str, Any]) -> list[Reply]:
        history: list[str] = form["history"]
        form.pop("pending_company", None)
        if history:
            previous = history.pop()
            self.answers.forget(form, previous)
            form["step"] = previous
        await self._save(ctx)
        return self._ask(ctx, form)

    async def _skip(self, ctx: Context, form: dict[str, Any]) -> list[Reply]:
        step = BY_NAME.get(str(form.get("step")))
        if step is None or not step.optional:
            return [ctx.reply(self.catalog, "lead_not_optional", kind="warning"),
                    *self._ask(ctx, form)]
        if step.name == "siren":
            self.answers.unfill(form)
        form.setdefault("skipped", []).append(step.name)
        form["history"].append(step.name)
        return await self._advance(ctx, form)

    async def _answer(self, ctx: Context, form: dict[str, Any], raw: str, *,
                      from_button: bool) -> list[Reply]:
        step = BY_NAME[str(form["step"])]
        try:
            value = self.answers.parse(step, form, raw, from_button=from_button)
        except InputError as exc:
            return [ctx.reply(self.catalog, str(exc), kind="warning"), *self._ask(ctx, form)]
        if step.name != "place":
            form["answers"][step.name] = value
        if step.name == "headcount":
            form["answers"]["size"] = size_from_headcount(int(value))
        form["history"].append(step.name)
        if step.name == "siren":
            return await self._look_up(ctx, form, str(value))
        return await self._advance(ctx, form)

    async def _look_up(self, ctx: Context, form: dict[str, Any], siren: str) -> list[Reply]:
        """"Est-ce bien ... ?" if the register knows the SIREN, else the form goes on."""
        self.answers.unfill(form)
        company = await self.check.find(siren) if self.check else None
        if company is None:
            return await self._advance(ctx, form)
        form["pending_company"] = company.to_dict()
        form["step"] = COMPANY_STEP
        await self._save(ctx)
        return self._ask(ctx, form)

    async def _confirm(self, ctx: Context, form: dict[str, Any], *, yes: bool) -> list[Reply]:
        company = CompanyCheck.pending(form.pop("pending_company", None))
        if not yes or company is None:
            return await self._advance(ctx, form)
        self.answers.fill(form, company, ctx.lang)
        return [ctx.reply(self.catalog, "company_filled"), *await self._advance(ctx, form)]

    def _ask(self, ctx: Context, form: dict[str, Any]) -> list[Reply]:
        if form.get("step") == COMPANY_STEP:
            company = CompanyCheck.pending(form.get("pending_company"))
            if company is not None and self.check is not None:
                back = Button(self.catalog.t("button_back", ctx.lang), "lf:back")
                return [self.check.question(company, ctx.lang, prefix="lf", more=(back,))]
            form["step"] = self.answers.next_step(form)
        return self.view.ask(form, ctx.lang)

    async def _submit(self, ctx: Context, form: dict[str, Any]) -> list[Reply]:
        incoming = ctx.incoming
        result = await self.service.submit(
            dict(form["answers"]), channel=incoming.channel,
            conversation_key=incoming.conversation_key,
            user_key=f"{incoming.channel}:{incoming.user_id}",
            consent_at=str(form.get("consent_at")),
            consent_version=str(form.get("consent_version", CONSENT_VERSION)),
            lang=ctx.lang,
        )
        await self._end(ctx)
        ctx.outcome = "lead:submitted"
        key = "lead_done" if result.created else "lead_updated"
        return [ctx.reply(self.catalog, key, ref=result.ref,
                          desk=self.service.desk_name(result.desk_id), days=self.sla_days)]
