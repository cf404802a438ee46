"""Keeping the company informed: the outbox rows for it, and the words it reads.

When its request is taken in charge, closed (helped, no help possible, unreachable) or
abandoned, the company gets a ``company_notice``; an advisor's message relayed to it is a
``company_message``; the satisfaction survey some days after closure (``bot.leads.survey``) is
a ``company_survey``. All go to the notifier ``company`` (``adapters.company_notifier``) with
the lead's ``user_key`` as target (``telegram:12345``, ``slack:U0123``): it writes where the
company spoke to Relocbot, or to the e-mail the company gave when that chat cannot be reached.
Nothing is queued for an erased lead (``/oublier``: no ``user_key`` any more), nor for a lead
with neither a chat Relocbot can write to nor an e-mail.

The text is rendered in the lead's language (``details["lang"]``, recorded at submission) from
the ``followup_*`` keys of ``prompts/<lang>.followup.yaml``; ``company_text`` returns plain
text, each medium escapes it. "Who" is the desk, and the advisor's first name only when the
advisor allows it (``Desks.first_name``).

Usage::

    item = company_item(lead, kind=NOTICE, key=notice_key(lead, TAKEN, 3), now=now,
                        notice=TAKEN, desk_name="CCI Grand Hainaut", advisor="Camille")
    if item is not None:
        tx.add_outbox(items=[item])
    text = company_text(delivery.payload, catalog=catalog, medium="chat")
    text.subject, text.paragraphs, text.quote, text.reply      # reply: the "Répondre" button
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.actions import relay_reply, survey_answer
from bot.i18n import Catalog, Lang, normalise_lang
from bot.leads.states import ABANDONED, CLOSED, TAKEN
from bot.messages import Button
from bot.storage import LeadRecord, NewOutboxItem

__all__ = ["COMPANY", "MESSAGE", "NOTICE", "NOTICES", "REACHABLE_CHANNELS", "SURVEY",
           "CompanyText", "company_item", "company_text", "lead_lang", "notice_key", "reachable",
           "who_text"]

COMPANY = "company"                 # the notifier
NOTICE = "company_notice"           # outbox kinds
MESSAGE = "company_message"
SURVEY = "company_survey"
NOTICES = (TAKEN, *CLOSED, ABANDONED)
REACHABLE_CHANNELS = ("telegram", "slack")   # chats Relocbot can write to first
Medium = Literal["chat", "email"]


def lead_lang(lead: LeadRecord) -> Lang:
    """The language the company used for its request (French when not recorded)."""
    return normalise_lang(str(lead.details.get("lang") or "")) or "fr"


def reachable(lead: LeadRecord) -> bool:
    """Whether the company can be written to: not erased, and a chat or an e-mail."""
    return bool(lead.user_key) and lead.anonymised_at is None and (
        lead.channel in REACHABLE_CHANNELS or bool(lead.email))


def notice_key(lead: LeadRecord, notice: str, stamp: int | str) -> str:
    """The idempotency key of one notice: the lead, the notice and what makes it unique
    (the number of the transition that caused it, the schedule's step)."""
    return f"{lead.ref}:{NOTICE}:{notice}:{stamp}"


def company_item(lead: LeadRecord, *, kind: str, key: str, now: dt.datetime,
                 desk_name: str | None, notice: str | None = None, advisor: str | None = None,
                 text: str | None = None) -> NewOutboxItem | None:
    """The outbox row telling the company (``kind`` ``company_notice`` with ``notice``, or
    ``company_message`` with the advisor's ``text``, which it may answer: "Répondre");
    ``None`` when it cannot be told."""
    if not reachable(lead) or lead.user_key is None:
        return None
    if kind == NOTICE and notice not in NOTICES:
        raise ValueError(f"unknown company notice {notice!r}")
    payload = {"ref": lead.ref, "kind": kind, "notice": notice, "lang": lead_lang(lead),
               "desk_name": desk_name, "advisor": advisor, "text": text, "email": lead.email,
               "channel": lead.channel}
    return NewOutboxItem(lead_id=lead.id, kind=kind, notifier=COMPANY, target=lead.user_key,
                         payload={k: v for k, v in payload.items() if v is not None},
                         idempotency_key=key, next_attempt_at=now, created_at=now)


@dataclass(frozen=True)
class CompanyText:
    """What the company reads, as plain text: ``paragraphs`` (then ``quote``, an advisor's
    message as written, then ``hint``), ``footer``, and the ``reply`` button for chats."""

    ref: str
    lang: Lang
    subject: str
    paragraphs: tuple[str, ...]
    quote: str | None
    hint: str | None
    footer: str
    reply: Button | None
    buttons: tuple[Button, ...] = ()    # the survey's answers, in one row

    def plain(self) -> str:
        """Everything, in order, for an e-mail or a plain-text chat message."""
        quote = "\n".join(f"> {line}" for line in (self.quote or "").splitlines())
        parts = [*self.paragraphs, quote, self.hint or "", self.footer]
        return "\n\n".join(part for part in parts if part)


def who_text(*, desk_name: str | None, advisor: str | None, catalog: Catalog,
             lang: str) -> str:
    """Who the company deals with: "Camille (CCI Grand Hainaut)", "la CCI Grand Hainaut"."""
    desk = (desk_name or "").strip()
    advisor = (advisor or "").strip()
    if advisor and desk:
        return catalog.t("followup_who_advisor", lang, name=advisor, desk=desk)
    if desk:
        return catalog.t("followup_who_desk", lang, desk=desk)
    return advisor or catalog.t("followup_who_cci", lang)


def company_text(payload: Mapping[str, Any], *, catalog: Catalog,
                 medium: Medium = "chat") -> CompanyText:
    """The notice or relayed message of ``payload`` in the company's language; ``ValueError``
    for a payload that is neither (an erased row, whose words are gone)."""
    lang = normalise_lang(str(payload.get("lang") or "")) or "fr"
    ref = str(payload.get("ref") or "")
    kind = payload.get("kind")
    who = who_text(desk_name=str(payload.get("desk_name") or ""),
                   advisor=str(payload.get("advisor") or ""), catalog=catalog, lang=lang)
    t = catalog.t
    footer = t("followup_footer", lang, ref=ref)
    if kind == MESSAGE and str(payload.get("text") or "").strip():
        chat = medium == "chat"
        if payload.get("replies") is False:   # queued before console-only desks had answers
            return CompanyText(
                ref=ref, lang=lang, subject=t("followup_subject_message", lang, ref=ref),
                paragraphs=(t("followup_message_intro", lang, who=who, ref=ref),),
                quote=str(payload["text"]).strip(),
                hint=t("followup_message_hint_direct", lang), footer=footer, reply=None)
        return CompanyText(
            ref=ref, lang=lang, subject=t("followup_subject_message", lang, ref=ref),
            paragraphs=(t("followup_message_intro", lang, who=who, ref=ref),),
            quote=str(payload["text"]).strip(),
            hint=t("followup_message_hint" if chat else "followup_message_hint_email", lang),
            footer=footer,
            reply=Button(t("relay_button_reply", lang), relay_reply(ref).wire) if chat else None)
    if kind == SURVEY:
        return _survey_text(ref, lang, catalog=catalog, medium=medium, footer=footer)
    notice = str(payload.get("notice") or "")
    if kind != NOTICE or notice not in NOTICES:
        raise ValueError("not a company notice or message")
    subject = "closed" if notice in CLOSED else notice
    return CompanyText(
        ref=ref, lang=lang, subject=t(f"followup_subject_{subject}", lang, ref=ref),
        paragraphs=(t(f"followup_{notice}", lang, ref=ref, who=who),
                    t(f"followup_{notice}_next", lang)),
        quote=None, hint=None, footer=footer, reply=None)


def _survey_text(ref: str, lang: Lang, *, catalog: Catalog, medium: Medium,
                 footer: str) -> CompanyText:
    """The survey's first question with its buttons (the second comes once it is answered);
    by e-mail both questions, and where to answer."""
    t = catalog.t
    intro = t("survey_intro", lang, ref=ref)
    if medium == "email":
        return CompanyText(ref=ref, lang=lang, subject=t("survey_subject", lang, ref=ref),
                           paragraphs=(intro, t("survey_contacted_question", lang),
                                       t("survey_useful_question", lang)),
                           quote=None, hint=t("survey_email_hint", lang), footer=footer,
                           reply=None)
    buttons = tuple(Button(t(key, lang), survey_answer(ref, "contacted", yes).wire)
                    for key, yes in (("survey_yes", True), ("survey_no", False)))
    return CompanyText(ref=ref, lang=lang, subject=t("survey_subject", lang, ref=ref),
                       paragraphs=(intro, t("survey_contacted_question", lang)), quote=None,
                       hint=None, footer=footer, reply=None, buttons=buttons)
