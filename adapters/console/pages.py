"""The console's lead pages as HTML fragments (escaped; the layout is ``web.page``): the list
of leads with its filters, and one lead (answers, routing, score, timeline, actions, message).

Usage::

    body = leads_body(deps, ctx, page=lead_page, filters=filters, number=1)
    body = lead_body(deps, ctx, history=history, nonce=secrets.token_hex(8))
"""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import urlencode

from adapters.console.web import Ctx, Deps, hidden
from bot.i18n import Lang
from bot.leads.console import PAGE_SIZE, Filters
from bot.leads.exchange import COMPANY, Exchange, exchanges
from bot.leads.states import STATUSES, buttons
from bot.storage import LeadEventRecord, LeadHistory, LeadPage, LeadRecord

__all__ = ["ACTION_LABELS", "AGES", "date_text", "lead_body", "leads_body"]

ACTION_LABELS = {"lead_claim": "notify_button_claim",
                 **{f"lead_refuse_{r}": f"lead_button_refuse_{r}"
                    for r in ("territory", "competence", "duplicate", "other")},
                 "lead_close_helped": "lead_button_close_helped",
                 "lead_close_no_help": "lead_button_close_no_help",
                 "lead_close_unreachable": "lead_button_close_unreachable",
                 "lead_reassign": "notify_button_reassign"}
AGES = (7, 30, 90, 365)
_ANSWERS = ("company", "siren", "place", "headcount", "size", "sector", "product", "origin",
            "stage", "timeline", "contact_name", "email", "phone", "channel")


def date_text(deps: Deps, lang: Lang, moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return deps.catalog.t("console_date", lang, date=aware)


def _option(value: str, label: str, chosen: str | None) -> str:
    selected = " selected" if value == (chosen or "") else ""
    return f'<option value="{escape(value)}"{selected}>{escape(label)}</option>'


def _filters(deps: Deps, ctx: Ctx, filters: Filters) -> str:
    t, lang, c = deps.catalog.t, ctx.lang, deps.catalog
    mine = deps.console.desk_ids(ctx.scope) if ctx.scope is not None else ()
    every = t("console_filter_all", lang)
    status = "".join([_option("", every, filters.status)] + [
        _option(s, c.label("notify_status", s, lang), filters.status) for s in STATUSES])
    ages = "".join([_option("", every, None)] + [
        _option(str(d), t("console_age_days", lang, days=d), str(filters.max_age_days or ""))
        for d in AGES])
    desks = "".join([_option("", every, filters.desk)] + [
        _option(d, deps.console.desk_name(d), filters.desk)
        for d in mine])
    score = "" if filters.min_score is None else str(filters.min_score)
    return (f'<form class="filters" method="get" action="{deps.config.mount}/leads">'
            f'<label>{escape(t("console_filter_status", lang))}'
            f'<select name="status">{status}</select></label>'
            f'<label>{escape(t("console_filter_age", lang))}<select name="age">{ages}</select>'
            f'</label><label>{escape(t("console_filter_min_score", lang))}<input name="score" '
            f'type="number" min="0" max="100" value="{score}"></label>'
            f'<label>{escape(t("console_filter_sector", lang))}<input name="sector" '
            f'value="{escape(filters.sector or "")}" maxlength="64"></label>'
            f'<label>{escape(t("console_filter_desk", lang))}<select name="desk">{desks}'
            f'</select></label><button>{escape(t("console_filter_apply", lang))}</button>'
            '</form>')


def _row(deps: Deps, ctx: Ctx, lead: LeadRecord) -> str:
    c, lang, base = deps.catalog, ctx.lang, deps.config.mount
    company = lead.company or c.t("notify_unknown", lang)
    tier = c.label("notify_tier", lead.tier, lang)
    return (f'<tr><td><a href="{base}/leads/{escape(lead.ref)}">{escape(lead.ref)}</a></td>'
            f'<td>{escape(company)}</td><td>{escape(deps.console.desk_name(lead.desk_id))}</td>'
            f'<td>{escape(c.label("notify_status", lead.status, lang))}</td>'
            f'<td>{lead.score} ({escape(tier)})</td><td>{escape(lead.sector or "")}</td>'
            f'<td>{escape(date_text(deps, lang, lead.created_at))}</td></tr>')


def leads_body(deps: Deps, ctx: Ctx, *, page: LeadPage, filters: Filters,
               number: int) -> str:
    t, lang = deps.catalog.t, ctx.lang
    heads = "".join(f"<th>{escape(t(f'console_col_{k}', lang))}</th>" for k in (
        "ref", "company", "desk", "status", "score", "sector", "received"))
    rows = "".join(_row(deps, ctx, lead) for lead in page.leads)
    table = (f'<div class="scroll"><table><thead><tr>{heads}</tr></thead><tbody>{rows}'
             '</tbody></table></div>' if page.leads
             else f'<p>{escape(t("console_no_leads", lang))}</p>')
    query = {k: v for k, v in (("status", filters.status), ("sector", filters.sector),
                               ("desk", filters.desk),
                               ("age", filters.max_age_days), ("score", filters.min_score))
             if v not in (None, "")}
    links = []
    if number > 1:
        links.append(f'<a href="?{escape(urlencode({**query, "page": number - 1}))}">'
                     f'{escape(t("console_page_prev", lang))}</a>')
    if number * PAGE_SIZE < page.total:
        links.append(f'<a href="?{escape(urlencode({**query, "page": number + 1}))}">'
                     f'{escape(t("console_page_next", lang))}</a>')
    return (_filters(deps, ctx, filters)
            + f'<p>{escape(t("console_leads_count", lang, count=page.total))}</p>'
            + table + f'<p class="actions">{" ".join(links)}</p>')


def _answers(deps: Deps, lang: Lang, lead: LeadRecord) -> str:
    c = deps.catalog
    values = {name: getattr(lead, name, None) for name in _ANSWERS}
    values["place"] = " ".join(str(v) for v in (lead.postal_code, lead.commune,
                                                 lead.department and f"({lead.department})")
                               if v) or None
    for key in ("stage", "timeline"):
        if values[key]:
            values[key] = c.label(f"lead_{key}", str(values[key]), lang)
    rows = "".join(f'<dt>{escape(c.label("notify_field", k, lang))}</dt>'
                   f'<dd>{escape(str(v))}</dd>' for k, v in values.items() if v not in (None, ""))
    return f"<dl>{rows}</dl>"


def _event(deps: Deps, lang: Lang, event: LeadEventRecord) -> str:
    c = deps.catalog
    what = c.label("console_event", event.action, lang)
    detail = event.detail
    if event.action == "transition" and detail.get("from") and detail.get("to"):
        what += " : " + c.t("console_event_move", lang,
                            from_status=c.label("notify_status", str(detail["from"]), lang),
                            to_status=c.label("notify_status", str(detail["to"]), lang))
    return (f'<li><time>{escape(date_text(deps, lang, event.at))}</time> · {escape(what)} · '
            f'<span class="actor">{escape(event.actor)}</span></li>')


def _said(deps: Deps, lang: Lang, said: Exchange) -> str:
    t = deps.catalog.t
    if said.author == COMPANY:
        who = t("console_conversation_survey" if said.survey
                else "console_conversation_company", lang)
    elif said.author:
        who = t("console_conversation_advisor", lang,
                advisor=deps.signin.desks.display_name(said.author))
    else:
        who = t("console_conversation_advisor_unknown", lang)
    words = (f"<blockquote>{escape(said.text)}</blockquote>" if said.text is not None
             else f'<p class="erased">{escape(t("console_conversation_erased", lang))}</p>')
    side = "company" if said.author == COMPANY else "advisor"
    return (f'<li class="{side}"><time>{escape(date_text(deps, lang, said.at))}</time> · '
            f'<strong>{escape(who)}</strong>{words}</li>')


def _conversation(deps: Deps, lang: Lang, history: LeadHistory) -> str:
    """The words exchanged with the company (``bot.leads.exchange``), oldest first."""
    said = exchanges(history)
    if not said:
        return f'<p>{escape(deps.catalog.t("console_conversation_empty", lang))}</p>'
    return '<ol class="conversation">' + "".join(_said(deps, lang, s) for s in said) + "</ol>"


def _actions(deps: Deps, ctx: Ctx, lead: LeadRecord) -> str:
    t, lang, base = deps.catalog.t, ctx.lang, deps.config.mount
    ids = buttons(lead.status)
    if not ids:
        return f'<p>{escape(t("console_no_actions", lang))}</p>'
    forms = "".join(
        f'<form method="post" action="{base}/leads/{escape(lead.ref)}/action">'
        f'{hidden("csrf", ctx.csrf)}{hidden("action", action)}'
        f'<button name="go" value="{escape(action)}">{escape(t(ACTION_LABELS[action], lang))}'
        '</button></form>' for action in ids if action in ACTION_LABELS)
    return f'<div class="actions">{forms}</div>'


def lead_body(deps: Deps, ctx: Ctx, *, history: LeadHistory, nonce: str) -> str:
    t, c, lang, base = deps.catalog.t, deps.catalog, ctx.lang, deps.config.mount
    lead = history.lead
    status = c.label("notify_status", lead.status, lang)
    owner = (f' · {escape(t("console_owner", lang, owner=lead.owner))}' if lead.owner else "")
    reasons = "".join(f"<li>{escape(str(r))}</li>"
                      for r in lead.details.get("score_reasons", []))
    events = "".join(_event(deps, lang, e) for e in history.events)
    return (
        f'<p><strong>{escape(status)}</strong>{owner} · '
        f'{escape(deps.console.desk_name(lead.desk_id))}</p>'
        f'<section><h2>{escape(t("console_section_actions", lang))}</h2>'
        f'{_actions(deps, ctx, lead)}</section>'
        f'<section><h2>{escape(t("console_section_answers", lang))}</h2>'
        f'{_answers(deps, lang, lead)}</section>'
        f'<section><h2>{escape(t("console_section_routing", lang))}</h2>'
        f'<p>{escape(lead.rule)}</p></section>'
        f'<section><h2>{escape(t("console_section_score", lang))}</h2>'
        f'<p>{lead.score}/100 ({escape(c.label("notify_tier", lead.tier, lang))})</p>'
        f'<ul>{reasons}</ul></section>'
        f'<section><h2>{escape(t("console_section_conversation", lang))}</h2>'
        f'{_conversation(deps, lang, history)}</section>'
        f'<section><h2>{escape(t("console_section_message", lang))}</h2>'
        f'<p>{escape(t("console_message_hint", lang))}</p>'
        f'<form method="post" action="{base}/leads/{escape(lead.ref)}/message">'
        f'{hidden("csrf", ctx.csrf)}{hidden("nonce", nonce)}'
        '<textarea name="text" maxlength="3000" required></textarea>'
        f'<button>{escape(t("console_message_button", lang))}</button></form></section>'
        f'<section><h2>{escape(t("console_section_timeline", lang))}</h2>'
        f'<ol class="timeline">{events}</ol></section>')
