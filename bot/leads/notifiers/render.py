"""A lead payload laid out once (title, intro, sections of labelled lines), for every medium.

Every word comes from the ``notify_*`` keys of ``prompts/<lang>.notify.yaml``; values are kept
raw here and escaped by each medium (HTML for e-mail, mrkdwn for Slack).

Usage::

    layout = render(payload, catalog=Catalog.load(), lang="fr")
    layout.subject      # "[Relocbot] Nouveau contact REL-2026-00042 (chaud) : Textiles du Nord"
    print(plain_text(layout, catalog=catalog))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Catalog

__all__ = ["KINDS", "Layout", "Line", "Section", "plain_text", "render", "safe_url"]

KINDS = ("new", "update", "reminder", "escalation", "abandoned", "erased", "company_answered")
MAX_VALUE_CHARS = 600
_SAFE_URL = re.compile(r"^https?://[^\s<>|\"']+$")
_SPACES = re.compile(r"\s+")
_PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Line:
    """``label : value`` (``label`` None for a bullet); ``url`` makes the value a link."""

    label: str | None
    value: str
    url: str | None = None


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Layout:
    ref: str
    kind: str
    subject: str
    title: str
    intro: str
    claimed: str | None
    status: str | None
    sections: tuple[Section, ...]
    footer: str
    fallback: str
    lang: str
    notes: tuple[str, ...] = ()    # "données effacées...", "possible doublon de REL-..."


def safe_url(value: object) -> str | None:
    """``value`` when it is a plain http(s) URL that is safe to put in a link, else ``None``."""
    return value if isinstance(value, str) and _SAFE_URL.match(value) else None


def _text(value: object) -> str | None:
    if value is None or value == "" or value == []:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text or None


def _when(value: object, catalog: Catalog, lang: str) -> str | None:
    if not isinstance(value, str | dt.datetime):
        return _text(value)
    try:
        when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    except ValueError:
        return _text(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return catalog.t("notify_datetime", lang, date=when.astimezone(_PARIS))


def render(payload: Mapping[str, Any], *, catalog: Catalog, lang: str = "fr") -> Layout:
    """Lay out one lead notification; missing values are skipped or shown as unknown."""
    unknown = catalog.t("notify_unknown", lang)
    kind = str(payload.get("kind") or "new")
    kind = kind if kind in KINDS else "new"
    ref = _text(payload.get("ref")) or unknown
    tier_code = _text(payload.get("tier"))
    tier = catalog.label("notify_tier", tier_code, lang) if tier_code else unknown
    company = _text(payload.get("company")) or unknown
    desk = _text(payload.get("desk_name")) or _text(payload.get("desk_id")) or unknown
    days = payload.get("working_days")
    days_text = f"{days:g}" if isinstance(days, int | float) else unknown

    def label(key: str) -> str:
        return catalog.label("notify_field", key, lang)

    def fields(*pairs: tuple[str, object]) -> list[Line]:
        return [Line(label(key), text) for key, value in pairs
                if (text := _text(value)) is not None]

    place = _place(payload, catalog, lang)
    headcount = payload.get("headcount")
    band = _registry(payload).get("headcount_band")
    company_lines = fields(("company", payload.get("company")), ("siren", payload.get("siren")),
                           ("place", place), ("size", payload.get("size")),
                           ("headcount", catalog.t("notify_headcount_value", lang,
                                                   headcount=headcount)
                            if isinstance(headcount, int) else catalog.t(
                                "notify_headcount_band_value", lang,
                                band=catalog.label("company_band", str(band), lang))
                            if band else None),
                           ("sector", payload.get("sector")))
    contact_lines = fields(("contact_name", payload.get("contact_name")),
                           ("email", payload.get("email")), ("phone", payload.get("phone")),
                           ("channel", payload.get("channel")))
    stage, timeline = payload.get("stage"), payload.get("timeline")
    project_lines = fields(
        ("product", payload.get("product")), ("origin", payload.get("origin")),
        ("stage", catalog.label("lead_stage", str(stage), lang) if stage else None),
        ("timeline", catalog.label("lead_timeline", str(timeline), lang) if timeline else None),
    )
    score = payload.get("score")
    score_lines = fields(("score", catalog.t("notify_score_value", lang, score=score, tier=tier)
                          if score is not None else None))
    score_lines += [Line(None, text) for reason in payload.get("score_reasons") or []
                    if (text := _text(reason))]
    routing_lines = fields(("desk", desk if desk != unknown else None),
                           ("rule", payload.get("rule")),
                           ("created_at", _when(payload.get("created_at"), catalog, lang)))
    sections = [
        Section(catalog.t(f"notify_section_{name}", lang), tuple(lines))
        for name, lines in (
            ("company", company_lines), ("contact", contact_lines), ("project", project_lines),
            ("score", score_lines), ("aids", _links(payload.get("aids"))),
            ("partners", _links(payload.get("partners"))), ("routing", routing_lines),
            ("console", _console(payload, catalog, lang, ref)),
        ) if lines
    ]
    owner = _text(payload.get("owner"))
    status = _text(payload.get("status"))
    title = catalog.t(f"notify_title_{kind}", lang, ref=ref, tier=tier)
    moved = _moved_to(payload, kind)    # an advisor's move: its own subject and intro
    subject = (catalog.t("notify_subject_transition", lang, ref=ref, company=company,
                         status=catalog.label("notify_status", moved, lang)) if moved
               else catalog.t(f"notify_subject_{kind}", lang, ref=ref, tier=tier,
                              company=company))
    intro = (catalog.t("notify_intro_transition", lang, desk=desk,
                       status=catalog.label("notify_status", moved, lang)) if moved
             else catalog.t(f"notify_intro_{kind}", lang, desk=desk, days=days_text))
    return Layout(
        ref=ref, kind=kind, lang=lang,
        subject=_SPACES.sub(" ", subject)[:200],
        title=title,
        intro=intro,
        claimed=catalog.t("notify_claimed_by", lang, owner=owner) if owner else None,
        status=(catalog.t("notify_status_line", lang,
                          status=catalog.label("notify_status", status, lang))
                if status and status != "new" else None),
        sections=tuple(sections),
        footer=catalog.t("notify_footer", lang, ref=ref),
        fallback=catalog.t("notify_fallback", lang, title=title, company=company),
        notes=_notes(payload, catalog, lang),
    )


def _moved_to(payload: Mapping[str, Any], kind: str) -> str | None:
    """The status an ``update`` about an advisor's move (``payload["transition"]``, see
    ``bot.leads.updates``) moved the lead to; ``None`` for any other notification."""
    transition = payload.get("transition")
    if kind != "update" or not isinstance(transition, Mapping):
        return None
    return _text(transition.get("to"))


def _notes(payload: Mapping[str, Any], catalog: Catalog, lang: str) -> tuple[str, ...]:
    notes = []
    if payload.get("erased"):
        notes.append(catalog.t("notify_erased_note", lang))
    duplicate = _text(payload.get("possible_duplicate_of"))
    if duplicate:
        notes.append(catalog.t("notify_possible_duplicate", lang, ref=duplicate))
    registry = _registry(payload)
    flags = registry.get("flags")
    for flag in flags if isinstance(flags, list) else []:  # closed, intermediary
        if flag in ("closed", "intermediary"):
            notes.append(catalog.t(f"notify_company_{flag}", lang,
                                   naf=_text(registry.get("naf")) or "?"))
    return tuple(notes)


def _registry(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the companies register said (``bot.flows.lead_answers``), or nothing."""
    registry = payload.get("registry")
    return registry if isinstance(registry, Mapping) else {}


def _place(payload: Mapping[str, Any], catalog: Catalog, lang: str) -> str | None:
    parts = {key: _text(payload.get(key)) or "" for key in ("postal_code", "commune",
                                                             "department")}
    if not any(parts.values()):
        return None
    text = catalog.t("notify_place_value", lang, **parts)
    return _SPACES.sub(" ", re.sub(r"\(\s*\)", "", text)).strip() or None


def _console(payload: Mapping[str, Any], catalog: Catalog, lang: str, ref: str) -> list[Line]:
    """The link to the lead's page of the console (``bot.leads.answered``), when given."""
    url = safe_url(payload.get("console_url"))
    return [Line(None, catalog.t("notify_console_link", lang, ref=ref), url)] if url else []


def _links(records: object) -> list[Line]:
    lines = []
    for record in records if isinstance(records, list) else []:
        if isinstance(record, Mapping) and (name := _text(record.get("name"))):
            lines.append(Line(None, name, safe_url(record.get("url"))))
    return lines


def plain_text(layout: Layout, *, catalog: Catalog) -> str:
    """The layout as plain text (e-mail text part, inbox file)."""
    out = [layout.title, "", layout.intro]
    out += [text for text in (layout.claimed, layout.status, *layout.notes) if text]
    for section in layout.sections:
        out += ["", section.title]
        for line in section.lines:
            if line.label is None:
                out.append(f"- {line.value}" + (f" <{line.url}>" if line.url else ""))
            else:
                out.append(catalog.t("notify_line", layout.lang, label=line.label,
                                     value=line.value))
    out += ["", layout.footer]
    return "\n".join(out)
