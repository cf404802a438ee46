"""The console's statistics page (figures and inline SVG charts) and its CSV export.

Usage::

    body = stats_body(deps, ctx, stats=lead_stats(facts, now=now), desk=None)
    text = csv_text(csv_rows(facts, now=now))
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from adapters.console.charts import bar_chart, column_chart
from adapters.console.web import Ctx, Deps
from bot.leads.stats import LeadStats

__all__ = ["csv_text", "stats_body"]


def _desk_picker(deps: Deps, ctx: Ctx, desk: str | None) -> str:
    t, lang = deps.catalog.t, ctx.lang
    if ctx.scope is None:
        return ""
    options = [("", t("console_stats_scope_all", lang))] + [
        (d, deps.console.desk_name(d)) for d in deps.console.desk_ids(ctx.scope)]
    html = "".join(f'<option value="{escape(v)}"{" selected" if v == (desk or "") else ""}>'
                   f'{escape(label)}</option>' for v, label in options)
    return (f'<form class="filters" method="get" action="{deps.config.mount}/stats">'
            f'<label>{escape(t("console_filter_desk", lang))}<select name="desk">{html}'
            f'</select></label><button>{escape(t("console_filter_apply", lang))}</button>'
            '</form>')


def stats_body(deps: Deps, ctx: Ctx, *, stats: LeadStats, desk: str | None) -> str:
    t, c, lang = deps.catalog.t, deps.catalog, ctx.lang
    figures = [t("console_stats_total", lang, count=stats.total)]
    if stats.median_hours is None or stats.under_72h is None:
        figures.append(t("console_stats_not_taken", lang))
    else:
        figures.append(t("console_stats_median", lang, hours=f"{stats.median_hours:.1f}"))
        figures.append(t("console_stats_under", lang, share=round(100 * stats.under_72h)))
    weeks = [(t("console_stats_week", lang, date=week), count)
             for week, count in stats.per_week]
    outcomes = [(c.label("notify_status", s, lang), n) for s, n in stats.outcomes.items()]
    query = urlencode({"desk": desk} if desk else {})
    csv_link = f'{deps.config.mount}/stats.csv' + (f"?{query}" if query else "")
    return (_desk_picker(deps, ctx, desk)
            + '<section class="figures">'
            + "".join(f"<p>{escape(f)}</p>" for f in figures)
            + f'<p><a href="{escape(csv_link)}" download>{escape(t("console_stats_csv", lang))}'
            '</a></p></section>'
            + _chart(t("console_stats_per_week", lang),
                     column_chart(weeks, title=t("console_stats_per_week", lang)))
            + _chart(t("console_stats_outcomes", lang),
                     bar_chart(outcomes, title=t("console_stats_outcomes", lang)))
            + _chart(t("console_stats_sector", lang),
                     bar_chart(stats.by_sector, title=t("console_stats_sector", lang)))
            + _chart(t("console_stats_size", lang),
                     bar_chart(stats.by_size, title=t("console_stats_size", lang))))


def _chart(title: str, svg: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{svg}</section>"


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    """CSV, cells starting like a formula neutralised (as ``relocbot leads export``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
                         for cell in row])
    return out.getvalue()
