"""The console's routes that need a session: the leads list, a lead and its forms, the
statistics and their CSV export (see ``adapters.console.app`` for the whole map).

Usage::

    routes = lead_routes(deps, audited)     # audited: adapters.console.app.audited
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.console import web
from adapters.console.pages import AGES, lead_body, leads_body
from adapters.console.stats_page import csv_text, stats_body
from adapters.console.web import Ctx, Deps
from bot.errors import AccessDenied, InputError
from bot.leads.console import Filters
from bot.leads.states import ACTIONS, STATUSES
from bot.leads.stats import csv_rows, lead_stats, week_start

__all__ = ["NOTICES", "lead_routes"]

Handler = Callable[[Request, Ctx], Awaitable[Response]]
Audited = Callable[[Deps, str, Handler], Callable[[Request], Awaitable[Response]]]
# The flash messages a redirect may ask for (?notice=...): catalog keys, nothing else.
NOTICES = ("console_action_done", "console_action_refused", "console_message_queued",
           "console_message_again", "console_relay_erased", "console_relay_unreachable",
           "console_relay_empty")
STATS_WEEKS = 12


def _int(value: str | None, *, low: int, high: int) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return min(max(int(value), low), high)


def _filters(request: Request) -> Filters:
    q = request.query_params
    status = q.get("status") if q.get("status") in STATUSES else None
    age = _int(q.get("age"), low=1, high=3650)
    return Filters(status=status, max_age_days=age if age in AGES else None,
                   min_score=_int(q.get("score"), low=0, high=100),
                   sector=(q.get("sector") or "").strip()[:64] or None,
                   desk=(q.get("desk") or "").strip()[:64] or None)


def lead_routes(deps: Deps, audited: Audited) -> list[Route]:
    t, base = deps.catalog.t, deps.config.mount

    def signin() -> Response:
        return RedirectResponse(f"{base}/signin", status_code=303)

    def not_found(ctx: Ctx) -> Response:
        return web.page(deps, ctx, title=t("console_not_found", ctx.lang), body="",
                        status=404)

    async def leads(request: Request, ctx: Ctx) -> Response:
        if ctx.scope is None:
            return signin()
        filters = _filters(request)
        number = _int(request.query_params.get("page"), low=1, high=100_000) or 1
        found = await deps.console.leads(ctx.scope, filters=filters, page=number)
        body = leads_body(deps, ctx, page=found, filters=filters, number=number)
        return web.page(deps, ctx, title=t("console_leads_title", ctx.lang), body=body)

    async def lead(request: Request, ctx: Ctx) -> Response:
        if ctx.scope is None:
            return signin()
        history = await deps.console.lead(ctx.scope, ref=request.path_params["ref"])
        if history is None:
            return not_found(ctx)
        key = request.query_params.get("notice")
        notice = None
        if key in NOTICES:
            status = deps.catalog.label("notify_status", history.lead.status, ctx.lang)
            notice = t(key, ctx.lang, status=status) if key == NOTICES[0] else t(key, ctx.lang)
        body = lead_body(deps, ctx, history=history, nonce=secrets.token_hex(8))
        return web.page(deps, ctx, title=history.lead.ref, body=body, notice=notice)

    async def posted(request: Request, ctx: Ctx) -> tuple[dict[str, str], Response | None]:
        form = await web.parse_form(request)
        if ctx.scope is None or not web.csrf_ok(request, form, ctx, deps.config):
            return form, web.page(deps, ctx, title=t("console_csrf_failed", ctx.lang),
                                  body="", status=403)
        return form, None

    def back(ref: str, notice: str) -> Response:
        return RedirectResponse(f"{base}/leads/{ref}?{urlencode({'notice': notice})}",
                                status_code=303)

    async def act(request: Request, ctx: Ctx) -> Response:
        form, refused = await posted(request, ctx)
        if refused is not None or ctx.scope is None:
            return refused or signin()
        ref, action = request.path_params["ref"], form.get("action", "")
        if action not in ACTIONS:
            return web.page(deps, ctx, title=t("console_action_refused", ctx.lang), body="",
                            status=400)
        try:
            await deps.console.act(ctx.scope, ref=ref, action=action)
        except AccessDenied:
            return not_found(ctx)
        except InputError:
            return back(ref, "console_action_refused")
        return back(ref, "console_action_done")

    async def message(request: Request, ctx: Ctx) -> Response:
        form, refused = await posted(request, ctx)
        if refused is not None or ctx.scope is None:
            return refused or signin()
        ref = request.path_params["ref"]
        try:
            queued = await deps.console.message(ctx.scope, ref=ref, text=form.get("text", ""),
                                                nonce=form.get("nonce", "")[:64])
        except AccessDenied:
            return not_found(ctx)
        except InputError as exc:
            key = f"console_{exc}"
            return back(ref, key if key in NOTICES else "console_action_refused")
        return back(ref, "console_message_queued" if queued else "console_message_again")

    def desk_of(request: Request, ctx: Ctx) -> tuple[str | None, bool]:
        desk = (request.query_params.get("desk") or "").strip()[:64] or None
        return desk, desk is None or (ctx.scope is not None and ctx.scope.sees(desk))

    async def scoped_facts(request: Request, ctx: Ctx) -> Response | tuple[Any, Any, Any]:
        """The statistics' rows for the desk asked (or all of mine), with the desk and now;
        the sign-in page or a 404 instead when they may not be seen."""
        if ctx.scope is None:
            return signin()
        desk, allowed = desk_of(request, ctx)
        if not allowed:
            return not_found(ctx)
        now = deps.console.service.clock()
        return await deps.console.facts(ctx.scope, desk=desk, since=_since(now)), desk, now

    async def stats(request: Request, ctx: Ctx) -> Response:
        found = await scoped_facts(request, ctx)
        if isinstance(found, Response):
            return found
        facts, desk, now = found
        body = stats_body(deps, ctx, stats=lead_stats(facts, now=now, weeks=STATS_WEEKS),
                          desk=desk)
        return web.page(deps, ctx, title=t("console_stats_title", ctx.lang), body=body)

    async def stats_csv(request: Request, ctx: Ctx) -> Response:
        found = await scoped_facts(request, ctx)
        if isinstance(found, Response):
            return found
        facts, _, now = found
        return Response(csv_text(csv_rows(facts, now=now, weeks=STATS_WEEKS)),
                        media_type="text/csv; charset=utf-8", headers={
                            "Content-Disposition": 'attachment; filename="relocbot-stats.csv"'})

    return [
        Route("/leads", audited(deps, "leads", leads), methods=["GET"]),
        Route("/leads/{ref}", audited(deps, "lead", lead), methods=["GET"]),
        Route("/leads/{ref}/action", audited(deps, "lead_action", act), methods=["POST"]),
        Route("/leads/{ref}/message", audited(deps, "lead_message", message),
              methods=["POST"]),
        Route("/stats", audited(deps, "stats", stats), methods=["GET"]),
        Route("/stats.csv", audited(deps, "stats_csv", stats_csv), methods=["GET"]),
    ]


def _since(now: dt.datetime) -> dt.datetime:
    """The Monday (00:00 UTC) starting the statistics' first week."""
    first = week_start(now) - dt.timedelta(weeks=STATS_WEEKS - 1)
    return dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
