"""The advisor console: a server-rendered Starlette app mounted by ``relocbot serve`` under
``/console`` (``adapters.server.build_asgi_app(console=...)``).

Routes (every one audited in ``console_access``: actor, route, lead or desk, status)::

    GET  /signin           the e-mail form          POST /signin   sends a one-time link
    GET  /auth?t=TOKEN     a confirmation form      POST /auth     opens the session (once)
    POST /signout          GET /lang/{fr|en}        GET /static/console.css
    GET  /leads            my desks' leads, filters: status, age, score, sector, desk, page
    GET  /leads/{ref}      answers, routing, score, timeline, actions, message form
    POST /leads/{ref}/action  take, refuse, close, reassign  POST /leads/{ref}/message
    GET  /stats[?desk=]    figures and SVG charts   GET /stats.csv[?desk=]
    GET  /coverage         the desks file's coverage audit (the regional desk's advisors)

The link is confirmed by a POST so that mail scanners opening it do not use it up. Without a
session, pages redirect to the sign-in form (303) and forms get 403; another desk's lead is
404, and so is the coverage page for a local desk's advisor. Forms carry a CSRF token (the
session's, or a cookie's before signing in).

Usage::

    app = build_console(console=Console(service=leads), signin=signin, catalog=catalog,
                        sender=SmtpLinkSender(...), config=ConsoleConfig(public_url=url))
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.console import web
from adapters.console.coverage_page import coverage_routes
from adapters.console.leads_routes import lead_routes
from adapters.console.web import ConsoleConfig, Ctx, Deps, LinkSender, hidden
from bot.i18n import Catalog
from bot.leads.console import Console
from bot.leads.signin import RateLimited, SignIn

__all__ = ["Handler", "audited", "build_console"]

log = logging.getLogger("relocbot.console")
Handler = Callable[[Request, Ctx], Awaitable[Response]]


def audited(deps: Deps, action: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` with the request's context, the security headers and one access-log line."""

    async def endpoint(request: Request) -> Response:
        ctx = await web.context(request, deps)
        response = await handler(request, ctx)
        target = request.path_params.get("ref") or request.query_params.get("desk") or None
        await deps.console.audit(actor=ctx.actor, action=action, target=target,
                                 status=response.status_code)
        return web.secure(response)

    return endpoint


def _signin_form(deps: Deps, ctx: Ctx, token: str, *, status: int = 200,
                 notice: str | None = None) -> Response:
    t = deps.catalog.t
    body = (f'<p>{escape(t("console_signin_intro", ctx.lang))}</p>'
            f'<form method="post" action="{deps.config.mount}/signin">{hidden("csrf", token)}'
            f'<label>{escape(t("console_email_label", ctx.lang))}<input type="email" name="email" '
            'required autocomplete="email" maxlength="254"></label>'
            f'<button>{escape(t("console_signin_button", ctx.lang))}</button></form>')
    response = web.page(deps, ctx, title=t("console_signin_title", ctx.lang), body=body,
                        status=status, notice=notice)
    web.set_cookie(response, deps.config, web.CSRF_COOKIE, token)
    return response


async def _send(sender: LinkSender, *, to: str, subject: str, text: str) -> None:
    try:
        await sender.send_link(to=to, subject=subject, text=text)
    except Exception as exc:   # the answer was the same; the operator sees the failure
        # the class only: an SMTP refusal quotes the address, which stays out of the logs
        log.warning("console: sign-in e-mail not sent (%s)", type(exc).__name__)


def _auth_routes(deps: Deps) -> list[Route]:
    t, base = deps.catalog.t, deps.config.mount

    async def signin_page(request: Request, ctx: Ctx) -> Response:
        if ctx.scope is not None:
            return RedirectResponse(f"{base}/leads", status_code=303)
        return _signin_form(deps, ctx, web.anonymous_token(request))

    async def signin(request: Request, ctx: Ctx) -> Response:
        form = await web.parse_form(request)
        token = web.anonymous_token(request)
        if not web.csrf_ok(request, form, ctx, deps.config):
            return _signin_form(deps, ctx, token, status=403,
                                notice=t("console_csrf_failed", ctx.lang))
        client = request.client.host if request.client else "unknown"
        try:
            link = await deps.signin.request(email=form.get("email", ""), client=client)
        except RateLimited:
            return _signin_form(deps, ctx, token, status=429,
                                notice=t("console_rate_limited", ctx.lang))
        response = _signin_form(deps, ctx, token, notice=t("console_signin_sent", ctx.lang))
        if link is not None:   # sent after the answer: its timing tells nothing
            url = f"{deps.config.public_url.rstrip('/')}/auth?{urlencode({'t': link.token})}"
            response.background = BackgroundTask(
                _send, deps.sender, to=link.email, subject=t("console_mail_subject", ctx.lang),
                text=t("console_mail_body", ctx.lang, url=url))
        return response

    async def auth_page(request: Request, ctx: Ctx) -> Response:
        token = web.anonymous_token(request)
        body = (f'<p>{escape(t("console_auth_intro", ctx.lang))}</p>'
                f'<form method="post" action="{base}/auth">{hidden("csrf", token)}'
                f'{hidden("t", request.query_params.get("t", "")[:128])}'
                f'<button>{escape(t("console_auth_button", ctx.lang))}</button></form>')
        response = web.page(deps, ctx, title=t("console_auth_title", ctx.lang), body=body)
        web.set_cookie(response, deps.config, web.CSRF_COOKIE, token)
        return response

    async def auth(request: Request, ctx: Ctx) -> Response:
        form = await web.parse_form(request)
        anonymous = Ctx(ctx.lang, None, None, None)
        if not web.csrf_ok(request, form, anonymous, deps.config):
            return _signin_form(deps, anonymous, web.anonymous_token(request), status=403,
                                notice=t("console_csrf_failed", ctx.lang))
        opened = await deps.signin.redeem(token=form.get("t", ""))
        if opened is None:
            return _signin_form(deps, anonymous, web.anonymous_token(request), status=400,
                                notice=t("console_auth_invalid", ctx.lang))
        response = RedirectResponse(f"{base}/leads", status_code=303)
        web.set_cookie(response, deps.config, web.SESSION_COOKIE, opened.secret,
                       max_age=int(deps.signin.limits.session_seconds))
        await deps.console.audit(actor=opened.advisor, action="session_opened", target=None,
                                 status=303)
        return response

    async def signout(request: Request, ctx: Ctx) -> Response:
        form = await web.parse_form(request)
        if ctx.secret is None or not web.csrf_ok(request, form, ctx, deps.config):
            return Response("forbidden", status_code=403)
        await deps.signin.sign_out(secret=ctx.secret)
        response = RedirectResponse(f"{base}/signin", status_code=303)
        response.delete_cookie(web.SESSION_COOKIE, path=base, secure=True, httponly=True,
                               samesite="strict")
        return response

    async def lang(request: Request, ctx: Ctx) -> Response:
        code = "en" if request.path_params.get("code") == "en" else "fr"
        response = RedirectResponse(f"{base}/leads" if ctx.scope else f"{base}/signin",
                                    status_code=303)
        response.set_cookie(web.LANG_COOKIE, code, max_age=365 * 86400, path=base,
                            secure=True, httponly=True, samesite="strict")
        return response

    async def stylesheet(_: Request) -> Response:   # not audited: an asset, no data
        return web.secure(Response(web.CSS, media_type="text/css"))

    async def home(_: Request, ctx: Ctx) -> Response:
        return RedirectResponse(f"{base}/leads" if ctx.scope else f"{base}/signin",
                                status_code=303)

    return [
        Route("/", audited(deps, "home", home), methods=["GET"]),
        Route("/signin", audited(deps, "signin_page", signin_page), methods=["GET"]),
        Route("/signin", audited(deps, "signin_request", signin), methods=["POST"]),
        Route("/auth", audited(deps, "auth_page", auth_page), methods=["GET"]),
        Route("/auth", audited(deps, "auth", auth), methods=["POST"]),
        Route("/signout", audited(deps, "signout", signout), methods=["POST"]),
        Route("/lang/{code}", audited(deps, "lang", lang), methods=["GET"]),
        Route("/static/console.css", stylesheet, methods=["GET"]),
    ]


def build_console(*, console: Console, signin: SignIn, catalog: Catalog, sender: LinkSender,
                  config: ConsoleConfig) -> Starlette:
    deps = Deps(console=console, signin=signin, catalog=catalog, sender=sender, config=config)
    routes = [*_auth_routes(deps), *lead_routes(deps, audited),
              *coverage_routes(deps, audited)]
    return Starlette(routes=routes)
