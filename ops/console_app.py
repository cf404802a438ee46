"""Builds the advisor console (``adapters.console``) from the settings and the runtime's lead
service, for ``relocbot serve``: mounted under ``/console`` when ``RELOCBOT_CONSOLE_SECRET``
and ``RELOCBOT_CONSOLE_URL`` are both set, otherwise not at all.

Usage::

    console = console_app(settings=settings, leads=runtime.assistant.leads,
                          catalog=runtime.assistant.catalog)       # None when not configured
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import Catalog
from bot.leads.console import Console
from bot.leads.service import LeadService
from bot.leads.signin import SignIn
from bot.settings import Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from adapters.console import LinkSender

__all__ = ["console_app", "link_sender"]


def link_sender(settings: Settings, *, catalog: Catalog) -> LinkSender:
    """SMTP when ``SMTP_HOST`` is set, otherwise files in ``<inbox>/console-links``."""
    from adapters.console import FileLinkSender, SmtpLinkSender
    from bot.leads.notifiers.mail import EmailNotifier

    if not settings.smtp_host:
        return FileLinkSender(folder=settings.inbox_dir / "console-links",
                              sender=settings.smtp_from)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpLinkSender(notifier=EmailNotifier(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
        username=settings.smtp_username, password=password,
        starttls=settings.smtp_starttls, catalog=catalog))


def console_app(*, settings: Settings, leads: LeadService, catalog: Catalog,
                sender: LinkSender | None = None) -> ASGIApp | None:
    if settings.console_secret is None or not settings.console_url:
        return None
    from adapters.console import ConsoleConfig, build_console

    signin = SignIn(db=leads.db, desks=leads.desks,
                    secret=settings.console_secret.get_secret_value(), clock=leads.clock)
    return build_console(console=Console(service=leads), signin=signin, catalog=catalog,
                         sender=sender or link_sender(settings, catalog=catalog),
                         config=ConsoleConfig(public_url=settings.console_url))
