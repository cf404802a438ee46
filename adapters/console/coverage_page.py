"""The console's coverage page (``GET /coverage``), for the regional desk's advisors only: the
audit of ``relocbot desks coverage`` (``bot.leads.coverage``) on the declared desks file,
grouped: places without a configured desk, a missing regional desk, desks no rule names,
desks without advisor, desks without delivery channel, and every desk's Slack channel as the
file declares it (private, public or shared, not declared). Slack is never asked from here.

Another desk's advisor gets the "not found" page (404), no session the sign-in form (303).

Usage::

    routes = coverage_routes(deps, audited)     # audited: adapters.console.app.audited
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable
from html import escape

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.console import web
from adapters.console.web import Ctx, Deps
from bot.leads.coverage import Coverage, Gap, audit_coverage
from bot.leads.desks import Desk
from bot.leads.routing import Router

__all__ = ["coverage_body", "coverage_routes"]

Handler = Callable[[Request, Ctx], Awaitable[Response]]
Audited = Callable[[Deps, str, Handler], Callable[[Request], Awaitable[Response]]]
SHOWN = 8   # communes named per line, as the CLI's summary
# section title key -> the gap kinds it gathers
SECTIONS = (("console_coverage_places", ("department", "commune")),
            ("console_coverage_regional", ("regional_desk",)),
            ("console_coverage_unknown", ("unknown_desk",)),
            ("console_coverage_no_advisors", ("no_advisors",)),
            ("console_coverage_no_channel", ("no_channel",)))


@functools.cache
def _router() -> Router:
    """The routing and territory (read once: they ship with the code)."""
    return Router.load()


def _desks(gap: Gap) -> str:
    return ", ".join(gap.desks)


def _place_lines(deps: Deps, ctx: Ctx, gaps: list[Gap]) -> list[str]:
    t, lang = deps.catalog.t, ctx.lang
    lines = [t("console_coverage_department", lang, department=g.subject, desks=_desks(g))
             for g in gaps if g.kind == "department"]
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for gap in gaps:
        if gap.kind == "commune":
            grouped[(gap.department, _desks(gap))].append(gap.detail.split(":")[0])
    for (dep, desks), names in sorted(grouped.items()):
        shown = ", ".join(names[:SHOWN])
        if len(names) > SHOWN:
            shown += " " + t("console_coverage_more", lang, count=len(names) - SHOWN)
        key = "console_coverage_communes" if desks else "console_coverage_communes_nowhere"
        lines.append(t(key, lang, department=dep, count=len(names), desks=desks, names=shown))
    return lines


def _lines(deps: Deps, ctx: Ctx, kinds: tuple[str, ...], gaps: list[Gap]) -> list[str]:
    if "commune" in kinds:
        return _place_lines(deps, ctx, gaps)
    if "regional_desk" in kinds:
        return [deps.catalog.t("console_coverage_regional_missing", ctx.lang, desk=g.subject)
                for g in gaps]
    return [_desk_label(deps, g.subject) for g in gaps]


def _desk_label(deps: Deps, desk_id: str) -> str:
    name = deps.console.desk_name(desk_id)
    return desk_id if name == desk_id else f"{name} ({desk_id})"


def _section(title: str, lines: list[str], empty: str, count: int) -> str:
    items = ("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"
             if lines else f"<p>{escape(empty)}</p>")
    return f"<section><h2>{escape(title)} ({count})</h2>{items}</section>"


def _declared(desk: Desk) -> str:
    if desk.slack_channel_private is True:
        return "console_coverage_declared_private"
    if desk.slack_channel_private is False:
        return "console_coverage_declared_public"
    return "console_coverage_not_declared"


def _channels(deps: Deps, ctx: Ctx, report: Coverage) -> str:
    t, lang = deps.catalog.t, ctx.lang
    desks = deps.console.service.desks.desks
    flagged = {g.subject for g in [*report.gaps, *report.warnings]
               if g.kind in ("public_channel", "unchecked_channel")}
    rows = ""
    for desk_id, desk in sorted(desks.items()):
        if not desk.slack_channel:
            continue
        mark = ' class="gap"' if desk_id in flagged else ""
        rows += (f"<tr{mark}><td>{escape(_desk_label(deps, desk_id))}</td>"
                 f"<td>{escape(desk.slack_channel)}</td>"
                 f"<td>{escape(t(_declared(desk), lang))}</td></tr>")
    title = f"{t('console_coverage_channels', lang)} ({len(flagged)})"
    if not rows:
        return (f"<section><h2>{escape(title)}</h2>"
                f"<p>{escape(t('console_coverage_no_slack', lang))}</p></section>")
    head = "".join(f"<th>{escape(t(k, lang))}</th>" for k in (
        "console_filter_desk", "console_coverage_channel", "console_coverage_declared"))
    return (f"<section><h2>{escape(title)}</h2>"
            f"<p>{escape(t('console_coverage_channels_intro', lang))}</p>"
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div></section>")


def coverage_body(deps: Deps, ctx: Ctx, report: Coverage) -> str:
    t, lang = deps.catalog.t, ctx.lang
    verdict = (t("console_coverage_ok", lang) if report.ok
               else t("console_coverage_gaps", lang, count=len(report.gaps)))
    intro = t("console_coverage_intro", lang, communes=report.communes,
              departments=report.departments, desks=report.desks)
    html = (f'<section class="figures"><p>{escape(intro)}</p>'
            f'<p class="{"notice" if report.ok else "error"}">{escape(verdict)}</p></section>')
    for key, kinds in SECTIONS:
        gaps = [g for g in report.gaps if g.kind in kinds]
        html += _section(t(key, lang), _lines(deps, ctx, kinds, gaps),
                         t("console_coverage_none", lang), len(gaps))
    return html + _channels(deps, ctx, report)


def coverage_routes(deps: Deps, audited: Audited) -> list[Route]:
    t, base = deps.catalog.t, deps.config.mount

    async def coverage(_: Request, ctx: Ctx) -> Response:
        if ctx.scope is None:
            return RedirectResponse(f"{base}/signin", status_code=303)
        if ctx.scope.desks is not None:      # not the regional desk: nothing to see here
            return web.page(deps, ctx, title=t("console_page_not_found", ctx.lang), body="",
                            status=404)
        router = await asyncio.to_thread(_router)
        report = audit_coverage(desks=deps.console.service.desks, router=router)
        return web.page(deps, ctx, title=t("console_coverage_title", ctx.lang),
                        body=coverage_body(deps, ctx, report))

    return [Route("/coverage", audited(deps, "coverage", coverage), methods=["GET"])]
