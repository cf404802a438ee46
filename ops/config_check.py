"""``relocbot config check``: what is configured, what is missing, without printing secrets.

Usage::

    results = await check_config(settings)   # [Check("database", "ok", "sqlite"), ...]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

from adapters.slack.channel_check import check_channel
from bot.errors import ConfigError
from bot.leads.desks import Desks
from bot.leads.digest import WEEKDAYS, digest_weekday
from bot.settings import Settings
from bot.storage import Database
from knowledge.ingest import lexical_is_current

__all__ = ["Check", "check_config"]


@dataclass(frozen=True)
class Check:
    name: str
    status: str      # ok | warning | error | off
    detail: str


def _scheme(url: str) -> str:
    return url.split(":", 1)[0]


async def check_config(settings: Settings) -> list[Check]:
    out: list[Check] = []
    data = settings.data_dir
    writable = os.access(data if data.exists() else data.parent, os.W_OK)
    out.append(Check("data dir", "ok" if writable else "error", str(data)))
    db = Database(settings.sqlalchemy_url)
    reachable = await db.ping()
    await db.close()
    out.append(Check("database", "ok" if reachable else "error",
                     f"{_scheme(settings.sqlalchemy_url)} {'reachable' if reachable else 'down'}"))
    built = lexical_is_current(settings.knowledge)
    out.append(Check("index", "ok" if built else "warning",
                     "built" if built else "missing: built on first run"))
    out.append(Check("chroma", "ok", f"server {urlparse(settings.chroma_url).netloc}")
               if settings.chroma_url else Check("chroma", "ok", "embedded"))
    out.append(Check("llm", "ok" if settings.llm_model else "off",
                     settings.llm_model or "extractive answers (no LLM_MODEL)"))
    tg = settings.telegram_bot_token is not None
    out.append(Check("telegram", "ok" if tg else "off",
                     ("token set" + ("; webhook secret set" if settings.telegram_webhook_secret
                                     else "; no TELEGRAM_WEBHOOK_SECRET: polling only"))
                     if tg else "no TELEGRAM_BOT_TOKEN"))
    slack = settings.slack_bot_token is not None
    modes = [m for m, ok in (("Socket Mode", settings.slack_app_token),
                             ("HTTP events", settings.slack_signing_secret)) if ok]
    out.append(Check("slack", ("ok" if modes else "error") if slack else "off",
                     (", ".join(modes) or "SLACK_BOT_TOKEN needs SLACK_APP_TOKEN or "
                      "SLACK_SIGNING_SECRET") if slack else "no SLACK_BOT_TOKEN"))
    out.append(Check("ops endpoints", "ok", "/readyz and /metrics need the bearer token")
               if settings.ops_token else
               Check("ops endpoints", "warning", "no RELOCBOT_OPS_TOKEN: /readyz and /metrics "
                                                 "answer 401"))
    out.append(_digest_check(settings))
    out.append(_console_check(settings))
    out.extend(await _desk_checks(settings))
    return out


def _console_check(settings: Settings) -> Check:
    """The advisors' web console (``adapters.console``): mounted by ``serve`` when both its
    secret and its public URL are set; its links go out by e-mail when SMTP is set."""
    secret, url = settings.console_secret, settings.console_url
    if secret is None and not url:
        return Check("console", "off", "no RELOCBOT_CONSOLE_SECRET / RELOCBOT_CONSOLE_URL")
    if secret is None or not url:
        return Check("console", "error", "needs both RELOCBOT_CONSOLE_SECRET and "
                                         "RELOCBOT_CONSOLE_URL")
    if len(secret.get_secret_value()) < 16:
        return Check("console", "error", "RELOCBOT_CONSOLE_SECRET needs 16 characters or more")
    if not url.startswith("https://"):
        return Check("console", "warning", f"{url}: not https (the session cookie is Secure)")
    mail = "links by e-mail" if settings.smtp_host else \
        "no SMTP_HOST: links written to the inbox folder"
    return Check("console", "ok", f"{url}/console, {mail}")


def _digest_check(settings: Settings) -> Check:
    """The advisors' weekly digest (``bot.leads.digest``): its weekday, or off."""
    try:
        day = digest_weekday(settings)
    except ConfigError:
        return Check("weekly digest", "error",
                     f"RELOCBOT_DIGEST_WEEKDAY: one of {', '.join(WEEKDAYS)} or off")
    return Check("weekly digest", "off", "RELOCBOT_DIGEST_WEEKDAY=off") if day is None \
        else Check("weekly digest", "ok", f"on {WEEKDAYS[day]}s")


async def _channel_checks(settings: Settings, desks: Desks) -> list[Check]:
    """A desk without advisors lets its channel's members act: only a private channel not
    shared outside the workspace may do that (``adapters.slack.channel_check``)."""
    out = []
    for desk_id, desk in desks.desks.items():
        if desk.advisors or not desk.slack_channel:
            continue
        name = f"desks: {desk_id}"
        if settings.slack_bot_token is None:
            out.append(Check(name, "error", f"no advisors list, and channel {desk.slack_channel} "
                                            "cannot be checked without SLACK_BOT_TOKEN: "
                                            "advisor actions are refused"))
            continue
        check = await check_channel(token=settings.slack_bot_token.get_secret_value(),
                                    base_url=settings.slack_api_base_url,
                                    channel=desk.slack_channel)
        if check.restricted:
            out.append(Check(name, "ok", f"no advisors list: members of the private, unshared "
                                         f"channel {desk.slack_channel} may act"))
        else:
            why = check.error or ("shared outside the workspace" if check.shared else "public")
            out.append(Check(name, "error", f"no advisors list and channel {desk.slack_channel} "
                                            f"is {why}: advisor actions are refused; list the "
                                            f"advisors or use a private, unshared channel"))
    return out


async def _desk_checks(settings: Settings) -> list[Check]:
    try:
        desks = Desks.load(settings.desks_file)
    except ConfigError as exc:
        return [Check("desks", "error", str(exc).split(":")[0])]
    if not desks.desks:
        return [Check("desks", "ok", f"no desks file: leads go to {settings.inbox_dir}")]
    out = [Check("desks", "ok", f"{len(desks.desks)} desk(s) configured")]
    if any(d.slack_channel for d in desks.desks.values()) and not settings.slack_bot_token:
        out.append(Check("desks: slack", "error", "a desk has slack_channel but no "
                                                  "SLACK_BOT_TOKEN"))
    if any(d.emails for d in desks.desks.values()) and not settings.smtp_host:
        out.append(Check("desks: e-mail", "error", "a desk has emails but no SMTP_HOST"))
    hooks = [u for d in desks.desks.values() for u in d.webhooks]
    if hooks and not settings.webhook_secret:
        out.append(Check("desks: webhooks", "error", "webhooks need RELOCBOT_WEBHOOK_SECRET"))
    allowed = set(settings.webhook_allowed_hosts)
    outside = sorted({urlparse(u).hostname or u for u in hooks} - allowed)
    plain = [u for u in hooks if urlparse(u).scheme != "https"]
    if hooks and not allowed:
        out.append(Check("desks: webhooks", "error", "RELOCBOT_WEBHOOK_ALLOWED_HOSTS is empty: "
                                                     "every webhook is refused"))
    elif outside:
        out.append(Check("desks: webhooks", "error",
                         f"hosts not in RELOCBOT_WEBHOOK_ALLOWED_HOSTS: {', '.join(outside)}"))
    if plain and not settings.webhook_allow_local_network:
        out.append(Check("desks: webhook scheme", "error",
                         f"{len(plain)} webhook(s) not https: refused"))
    out.extend(await _channel_checks(settings, desks))
    return out
