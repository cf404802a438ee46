"""The console's HTTP plumbing: its configuration, the per-request context (language, session,
scope), cookies (HttpOnly, Secure, SameSite=Strict, path ``/console``), CSRF checks, form
parsing without extra dependencies, security headers, and the page layout.

Usage::

    ctx = await web.context(request, deps)
    if not web.csrf_ok(request, form, ctx): ...
    return web.page(deps, ctx, title=..., body=html)
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from html import escape
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.i18n import Catalog, Lang, normalise_lang
from bot.leads.console import Console, Scope
from bot.leads.signin import SignIn
from bot.storage import SessionRecord

__all__ = ["CSRF_COOKIE", "CSS", "LANG_COOKIE", "SESSION_COOKIE", "ConsoleConfig", "Ctx",
           "Deps", "LinkSender", "anonymous_token", "context", "csrf_ok", "hidden", "page",
           "parse_form", "secure", "set_cookie"]

SESSION_COOKIE = "relocbot_session"
CSRF_COOKIE = "relocbot_csrf"
LANG_COOKIE = "relocbot_lang"
MAX_FORM_FIELDS = 20
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",   # no-referrer would make browsers send Origin: null
    "Cache-Control": "no-store",
}


class LinkSender(Protocol):
    """Sends the sign-in e-mail (``adapters.console.mailer``)."""

    async def send_link(self, *, to: str, subject: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """``public_url``: the console's address as advisors reach it (``RELOCBOT_CONSOLE_URL``,
    e.g. ``https://relocbot.cci.example/console``): links in e-mails are built on it, never on
    the request's ``Host``. ``mount``: where the app is mounted."""

    public_url: str
    mount: str = "/console"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Deps:
    console: Console
    signin: SignIn
    catalog: Catalog
    sender: LinkSender
    config: ConsoleConfig


@dataclass(frozen=True, slots=True)
class Ctx:
    lang: Lang
    secret: str | None
    session: SessionRecord | None
    scope: Scope | None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session is not None else ""

    @property
    def actor(self) -> str:
        return self.scope.advisor if self.scope is not None else "anonymous"


async def context(request: Request, deps: Deps) -> Ctx:
    lang = normalise_lang(request.cookies.get(LANG_COOKIE)) or "fr"
    secret = request.cookies.get(SESSION_COOKIE)
    session = await deps.signin.session(secret=secret)
    scope = None if session is None else deps.console.scope(session.advisor)
    return Ctx(lang, secret if session else None, session, scope)


async def parse_form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); anything else gives ``{}``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", "replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        return {}
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


def _same(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(),
                                                                  expected.encode())


def csrf_ok(request: Request, form: dict[str, str], ctx: Ctx, config: ConsoleConfig) -> bool:
    """The form's token matches the session's (signed in) or the CSRF cookie (signing in),
    and a browser's ``Origin``, when sent, is the console's."""
    origin = request.headers.get("origin")
    if origin is not None and origin != config.origin:
        return False
    expected = (ctx.session.csrf if ctx.session is not None
                else request.cookies.get(CSRF_COOKIE, ""))
    return _same(form.get("csrf", ""), expected)


def secure(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers[name] = value
    return response


def set_cookie(response: Response, config: ConsoleConfig, name: str, value: str, *,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=config.mount, secure=True,
                        httponly=True, samesite="strict")


def anonymous_token(request: Request) -> str:
    """The CSRF cookie's value, or a new one (the caller sets it)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def page(deps: Deps, ctx: Ctx, *, title: str, body: str, status: int = 200,
         notice: str | None = None) -> HTMLResponse:
    t, base = deps.catalog.t, deps.config.mount
    nav = ""
    if ctx.scope is not None and ctx.session is not None:
        coverage = ("" if ctx.scope.desks is not None   # the regional desk's advisors only
                    else f'<a href="{base}/coverage">'
                    f'{escape(t("console_nav_coverage", ctx.lang))}</a>')
        who = t("console_signed_in_as", ctx.lang,
                advisor=deps.signin.desks.display_name(ctx.scope.advisor))
        nav = (f'<nav><a href="{base}/leads">{escape(t("console_nav_leads", ctx.lang))}</a>'
               f'<a href="{base}/stats">{escape(t("console_nav_stats", ctx.lang))}</a>'
               f'{coverage}'
               f'<form method="post" action="{base}/signout">'
               f'{hidden("csrf", ctx.session.csrf)}<button class="link">'
               f'{escape(t("console_signout", ctx.lang))}</button></form></nav>'
               f'<p class="who">{escape(who)}</p>')
    other = t("console_other_lang_code", ctx.lang)
    flash = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    html = (f'<!doctype html><html lang="{ctx.lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)} · {escape(t("console_title", ctx.lang))}</title>'
            f'<link rel="stylesheet" href="{base}/static/console.css"></head><body>'
            f'<header><a class="brand" href="{base}/leads">'
            f'{escape(t("console_title", ctx.lang))}</a>'
            f'<a class="lang" href="{base}/lang/{other}" lang="{other}">'
            f'{escape(t("console_other_lang", ctx.lang))}</a>{nav}</header>'
            f'<main><h1>{escape(title)}</h1>{flash}{body}</main></body></html>')
    return HTMLResponse(html, status_code=status)


CSS = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#222;
background:#f6f7f9}header{background:#15406f;color:#fff;padding:.6rem 1rem;display:flex;
flex-wrap:wrap;gap:.6rem 1.2rem;align-items:center}header a{color:#fff}.brand{font-weight:700;
text-decoration:none}nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
nav form{display:inline}.who{margin:0;font-size:.85rem;opacity:.85;width:100%}
main{max-width:70rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem}
.notice{background:#e7f3e8;border-left:4px solid #2e7d32;padding:.5rem .8rem}
.error{background:#fdecea;border-left:4px solid #c62828;padding:.5rem .8rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;
padding:.45rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.scroll{overflow-x:auto}tr.gap td{background:#fdecea}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;
margin-bottom:1rem}label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
input,select,textarea,button{font:inherit;padding:.45rem;min-height:2.6rem}
textarea{width:100%;min-height:7rem}button{background:#1f5fa8;color:#fff;border:0;
border-radius:4px;padding:.45rem .9rem;cursor:pointer}button.link{background:none;
text-decoration:underline;padding:0;min-height:0;color:inherit}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}.actions form{margin:0}
section{background:#fff;padding:.8rem 1rem;margin-bottom:1rem;border-radius:6px}
dl{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.3rem .8rem;margin:0}
dt{font-weight:600}.figures{display:flex;flex-wrap:wrap;gap:1rem}.figures p{margin:.2rem 0}
svg.chart{width:100%;height:auto;max-width:44rem}ol.timeline{padding-left:1.2rem}
ol.conversation{list-style:none;padding:0}ol.conversation li{margin:.4rem 0;padding:.4rem .7rem;
border-left:4px solid #1f5fa8;background:#f3f6fb}ol.conversation li.company{border-color:#2e7d32;
background:#eef6ee}blockquote{margin:.3rem 0;white-space:pre-wrap}.erased{font-style:italic}
@media (max-width:40rem){dl{grid-template-columns:1fr}th,td{padding:.35rem}}
"""
