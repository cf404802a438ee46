"""The advisor console (issue #15, part 5): a server-rendered web app mounted by
``relocbot serve`` under ``/console`` — sign-in by one-time link, the desks' leads, a lead's
page and actions, statistics with SVG charts and CSV. See ``adapters.console.app``.

Usage::

    from adapters.console import ConsoleConfig, build_console
    app = build_console(console=console, signin=signin, catalog=catalog, sender=sender,
                        config=ConsoleConfig(public_url="https://relocbot.example/console"))
"""

from __future__ import annotations

from adapters.console.app import build_console
from adapters.console.mailer import FileLinkSender, SmtpLinkSender
from adapters.console.web import ConsoleConfig, LinkSender

__all__ = ["ConsoleConfig", "FileLinkSender", "LinkSender", "SmtpLinkSender", "build_console"]
