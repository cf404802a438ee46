"""How the sign-in link reaches the advisor: by SMTP (the ``SMTP_*`` settings, through the
e-mail notifier's server, TLS and error handling), or, with no SMTP server configured, as a
file in the data dir's inbox (``<inbox>/console-links/``, mode 0600: a local installation).

Usage::

    sender = SmtpLinkSender(notifier=EmailNotifier(host=..., sender=..., catalog=catalog))
    await sender.send_link(to="camille@cci.example", subject="...", text="...")
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from bot.leads.notifiers.mail import EmailNotifier

__all__ = ["FileLinkSender", "SmtpLinkSender", "link_message"]


def link_message(*, sender: str, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "relocbot.localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message


class SmtpLinkSender:
    def __init__(self, *, notifier: EmailNotifier) -> None:
        self.notifier = notifier

    async def send_link(self, *, to: str, subject: str, text: str) -> None:
        await self.notifier.deliver(link_message(sender=self.notifier.sender, to=to,
                                                 subject=subject, text=text))


class FileLinkSender:
    """Writes each e-mail to ``folder`` (created 0700, files 0600)."""

    def __init__(self, *, folder: Path, sender: str = "relocbot@localhost") -> None:
        self.folder, self.sender = folder, sender

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(message))

    async def send_link(self, *, to: str, subject: str, text: str) -> None:
        message = link_message(sender=self.sender, to=to, subject=subject, text=text)
        await asyncio.to_thread(self._write, message)
