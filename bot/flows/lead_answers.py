"""The lead form's answers: one typed answer parsed, the place routed to a desk, and what is
already known filled in — the finder's profile, a company confirmed from the register. No
state is saved here and nothing is said.

What the register filled is remembered (``form["filled"]``: step -> the answer it replaced)
so that another SIREN, or none, puts the earlier answers back.

Usage::

    answers = LeadAnswers(router=router, check=check)
    value = answers.parse(BY_NAME["siren"], form, "732 829 320 00074", from_button=False)
    answers.fill(form, company, "fr")      # company, place, headcount band, sector, flags
    answers.unfill(form)                    # back to what the person said
"""

from __future__ import annotations

from typing import Any

from bot.company import Company
from bot.company.model import siren_in
from bot.errors import InputError
from bot.flows.company_check import CompanyCheck, in_region
from bot.flows.lead_view import STEPS, Step
from bot.leads.routing import Router
from bot.leads.validate import (
    validate_answer,
    validate_email_address,
    validate_headcount,
    validate_phone,
    validate_siren,
)
from knowledge.catalog import Profile, size_from_headcount

__all__ = ["PLACE_KEYS", "LeadAnswers"]

PLACE_KEYS = ("place", "postal_code", "commune", "department", "routing_rule", "desk",
              "desk_candidates")


class LeadAnswers:
    def __init__(self, *, router: Router, check: CompanyCheck | None = None) -> None:
        self.router = router
        self.check = check

    # -- one answer ------------------------------------------------------------------------

    def parse(self, step: Step, form: dict[str, Any], raw: str, *, from_button: bool) -> Any:
        name = step.name
        if step.choices:
            if raw in step.choices:
                return raw
            raise InputError("lead_invalid_choice")
        if name == "desk":
            if raw in form.get("desk_candidates", []):
                return raw
            # A shared postal code: the commune typed decides ("Hélesmes" after "59171").
            refined = self.router.route(f"{form['answers'].get('postal_code') or ''} {raw}")
            if refined.desk_id in form.get("desk_candidates", []) and refined.commune:
                form["answers"]["commune"] = refined.commune
                return refined.desk_id
            raise InputError("lead_invalid_choice")
        if from_button:
            raise InputError("lead_invalid_choice")
        if name == "siren":  # a SIRET's first nine digits are its SIREN
            return siren_in(raw) or validate_siren(raw)
        if name == "email":
            return validate_email_address(raw)
        if name == "phone":
            return validate_phone(raw)
        if name == "headcount":
            return validate_headcount(raw)
        if name == "place":
            if not self.set_place(form, validate_answer("place", raw)):
                raise InputError("lead_invalid_place")
            return raw
        return validate_answer(name, raw)

    def set_place(self, form: dict[str, Any], place: str) -> bool:
        routing = self.router.route(place)
        if routing.rule.startswith("lieu inconnu"):
            return False
        answers = form["answers"]
        answers.update({"place": place, "postal_code": routing.postal_code,
                        "commune": routing.commune, "department": routing.department,
                        "routing_rule": routing.rule})
        answers.pop("desk", None)
        if routing.ambiguous:
            form["desk_candidates"] = routing.desk_ids
            # kept with the lead: a desk's "pas pour nous" hands it to the next candidate
            answers["desk_candidates"] = list(routing.desk_ids)
        else:
            answers["desk"] = routing.desk_ids[0]
            form.pop("desk_candidates", None)
            answers.pop("desk_candidates", None)
        return True

    @staticmethod
    def next_step(form: dict[str, Any]) -> str:
        """The first step neither answered, skipped nor filled by the register."""
        answers, skipped = form["answers"], set(form.get("skipped", []))
        skipped |= set(form.get("filled") or {})
        for step in STEPS:
            if step.name in answers or step.name in skipped:
                continue
            if step.name == "desk" and not form.get("desk_candidates"):
                continue
            return step.name
        return "summary"

    def forget(self, form: dict[str, Any], name: str) -> None:
        """Step ``name`` to be asked again (back, or "correct" in the summary)."""
        form["answers"].pop(name, None)
        form["skipped"] = [s for s in form.get("skipped", []) if s != name]
        filled = form.get("filled") or {}
        if name in filled:
            del filled[name]
            if name == "headcount":
                (form["answers"].get("registry") or {})["headcount_band"] = None

    # -- what is already known -------------------------------------------------------------

    def prefill(self, form: dict[str, Any], profile: Profile, company: Company | None,
                lang: str) -> None:
        """Carry over what the finder already knows (no question asked twice)."""
        answers = form["answers"]
        place = profile.postal_code or profile.city
        if place:
            self.set_place(form, place)
        if profile.headcount is not None:
            answers["headcount"] = profile.headcount
            answers["size"] = size_from_headcount(profile.headcount)
        elif profile.size:
            answers["size"] = profile.size
        if profile.sector:
            answers["sector"] = profile.sector
        if company is not None:
            self.fill(form, company, lang)

    def fill(self, form: dict[str, Any], company: Company, lang: str) -> None:
        """A confirmed company: its SIREN and name; its place, headcount band and sector when
        not answered yet; the flags the advisor must see (closed, intermediary)."""
        self.unfill(form)
        answers, filled = form["answers"], {}
        answers["siren"] = company.siren
        if company.name:
            filled["company"] = answers.get("company")
            answers["company"] = company.name
        if ("place" not in answers and company.place and in_region(company)
                and self.set_place(form, company.place)):
            filled["place"] = None
        band = company.headcount_band if company.size and "headcount" not in answers else None
        if band:
            filled["headcount"] = None
            answers["size"] = company.size
        sector = self.check.sector(company, lang) if self.check else None
        if sector and "sector" not in answers:
            filled["sector"] = None
            answers["sector"] = sector
        answers["registry"] = {"naf": company.naf or company.naf25, "headcount_band": band,
                               "flags": list(company.flags)}
        form["filled"] = filled

    def unfill(self, form: dict[str, Any]) -> None:
        """Take back what the register filled (another SIREN is coming, or none)."""
        answers = form["answers"]
        for name, previous in (form.pop("filled", None) or {}).items():
            if name == "place":
                for key in PLACE_KEYS:
                    answers.pop(key, None)
                form.pop("desk_candidates", None)
            elif name == "headcount":
                if "headcount" not in answers:
                    answers.pop("size", None)
            elif previous is None:
                answers.pop(name, None)
            else:
                answers[name] = previous
        answers.pop("registry", None)
