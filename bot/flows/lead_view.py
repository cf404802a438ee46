"""The lead form's steps and how they are shown: each question with its buttons, the summary
to confirm, the "which field?" menu. Pure: no state, no database.

Usage::

    view = LeadView(catalog=catalog, desk_name=service.desk_name)
    replies = view.ask({"step": "stage", "answers": {}, "history": []}, "fr")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.i18n import Catalog, Lang
from bot.messages import Button, Reply
from bot.understanding.vocabulary import clean

__all__ = ["BY_NAME", "STEPS", "LeadView", "Step"]


@dataclass(frozen=True)
class Step:
    name: str
    optional: bool = False
    choices: tuple[str, ...] = ()      # keys of the catalog table lead_<name>


STEPS = (
    Step("company"), Step("siren", optional=True), Step("place"), Step("desk"),
    Step("headcount"), Step("sector", optional=True), Step("product"),
    Step("origin", optional=True),
    Step("stage", choices=("idee", "etude", "financement", "pret")),
    Step("timeline", choices=("moins-6-mois", "6-12-mois", "plus-12-mois", "inconnu")),
    Step("contact_name"), Step("email", optional=True), Step("phone", optional=True),
)
BY_NAME = {s.name: s for s in STEPS}


class LeadView:
    def __init__(self, *, catalog: Catalog, desk_name: Callable[[str], str]) -> None:
        self.catalog = catalog
        self.desk_name = desk_name

    def ask(self, form: dict[str, Any], lang: Lang) -> list[Reply]:
        """The current step's question with its buttons (or the summary)."""
        t, step = self.catalog.t, str(form.get("step"))
        if step == "summary":
            return self.summary(form, lang)
        if step == "consent":
            return [Reply(blocks=(t("lead_consent", lang),), buttons=(
                Button(t("button_consent_yes", lang), "lf:consent:yes"),
                Button(t("button_consent_no", lang), "lf:consent:no")))]
        spec = BY_NAME[step]
        buttons: list[Button] = []
        if spec.choices:
            buttons = [Button(self.catalog.label(f"lead_{step}", c, lang), f"lf:choice:{c}")
                       for c in spec.choices]
        if step == "desk":
            buttons = [Button(self.desk_name(d), f"lf:choice:{d}")
                       for d in form.get("desk_candidates", [])]
        if spec.optional:
            buttons.append(Button(t("button_skip", lang), "lf:skip"))
        if form["history"]:
            buttons.append(Button(t("button_back", lang), "lf:back"))
        return [Reply(blocks=(t(f"lead_q_{step}", lang),), buttons=tuple(buttons))]

    def _display(self, name: str, value: Any, lang: str) -> str:
        if name in ("stage", "timeline"):
            return self.catalog.label(f"lead_{name}", str(value), lang)
        if name == "desk":
            return self.desk_name(str(value))
        return str(value)

    def _value(self, form: dict[str, Any], name: str, lang: str) -> str | None:
        """An answer as shown, or the register's headcount band; None when unanswered."""
        answers = form["answers"]
        if name in answers:
            return self._display(name, answers[name], lang)
        band = (answers.get("registry") or {}).get("headcount_band")
        return self.catalog.label("company_band", band, lang) if name == "headcount" and band \
            else None

    def summary(self, form: dict[str, Any], lang: Lang) -> list[Reply]:
        t = self.catalog.t
        lines = [t("lead_summary_line", lang, label=self.catalog.label("lead_field", s.name, lang),
                   value=value) for s in STEPS
                 if (value := self._value(form, s.name, lang)) is not None]
        buttons = (Button(t("button_confirm", lang), "lf:confirm"),
                   Button(t("button_correct", lang), "lf:correct"),
                   Button(t("button_cancel", lang), "lf:cancel"))
        return [Reply(blocks=(t("lead_summary_title", lang), "\n".join(lines),
                              t("lead_confirm_question", lang)), buttons=buttons)]

    def which_field(self, form: dict[str, Any], lang: Lang) -> list[Reply]:
        buttons = tuple(Button(self.catalog.label("lead_field", s.name, lang), f"lf:edit:{s.name}")
                        for s in STEPS if s.name != "desk"
                        and self._value(form, s.name, lang) is not None)
        return [Reply(blocks=(self.catalog.t("lead_which_field", lang),), buttons=buttons)]

    def typed_choice(self, form: dict[str, Any], text: str, lang: str) -> str | None:
        """A typed choice: its number in the list, or (part of) its label."""
        step = BY_NAME.get(str(form.get("step")))
        if step is None:
            return None
        choices: list[tuple[str, str]]
        if step.name == "desk":
            choices = [(str(d), self.desk_name(str(d)))
                       for d in form.get("desk_candidates", [])]
        elif step.choices:
            choices = [(c, self.catalog.label(f"lead_{step.name}", c, lang))
                       for c in step.choices]
        else:
            return None
        typed = clean(text)
        if typed.isdigit() and 1 <= int(typed) <= len(choices):
            return choices[int(typed) - 1][0]
        for value, label in choices:
            if typed and (typed == clean(value) or typed in clean(label)
                          or clean(label) in typed):
                return value
        return None
