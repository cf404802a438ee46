"""E-mail notifications over SMTP (aiosmtplib): plain text and HTML, one message per delivery.

The Message-ID is derived from the idempotency key, so a message sent again after a crash is
recognisably the same (same ``Message-ID`` and ``X-Relocbot-Idempotency-Key``). Connection
problems, timeouts and 4xx replies are transient; 5xx replies (recipient refused, relay
denied, authentication failed) are permanent. Errors keep the SMTP code only: server texts
often quote the recipient.

Usage::

    notifier = EmailNotifier(host="smtp.example", port=587, sender="relocbot@cci.example",
                             username="relocbot", password="...", starttls=True,
                             catalog=Catalog.load())
    message_id = await notifier.send(item=delivery)     # delivery.target = "advisor@cci.example"
"""

from __future__ import annotations

import hashlib
import html
import re
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.digest import DIGEST, digest_text
from bot.leads.notifiers.base import Delivery
from bot.leads.notifiers.render import Layout, plain_text, render

__all__ = ["EmailNotifier", "html_body", "message_id"]

_ATOM = re.compile(r"[^A-Za-z0-9._-]")


def message_id(idempotency_key: str, sender: str) -> str:
    """``<relocbot.<key>.<hash>@<sender domain>>``: stable for one idempotency key."""
    domain = sender.rpartition("@")[2] or "relocbot.localhost"
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    local = _ATOM.sub("-", idempotency_key)[:64].strip(".-") or "lead"
    return f"<relocbot.{local}.{digest}@{_ATOM.sub('-', domain)}>"


def html_body(layout: Layout, *, catalog: Catalog) -> str:
    """The layout as a small HTML document; every value is escaped."""
    e = html.escape
    parts = [f'<html lang="{e(layout.lang)}"><body>', f"<h2>{e(layout.title)}</h2>",
             f"<p>{e(layout.intro)}</p>"]
    parts += [f"<p><strong>{e(text)}</strong></p>" for text in (layout.claimed, layout.status,
                                                                 *layout.notes) if text]
    for section in layout.sections:
        parts.append(f"<h3>{e(section.title)}</h3><ul>")
        for line in section.lines:
            value = e(line.value)
            if line.url:
                value = f'<a href="{e(line.url)}">{value}</a>'
            if line.label:
                value = catalog.t("notify_line", layout.lang,
                                  label=f"<strong>{e(line.label)}</strong>", value=value)
            parts.append(f"<li>{value}</li>")
        parts.append("</ul>")
    parts += [f"<p><small>{e(layout.footer)}</small></p>", "</body></html>"]
    return "\n".join(parts)


class EmailNotifier:
    name = "email"

    def __init__(
        self, *, host: str, port: int = 587, sender: str, catalog: Catalog,
        username: str | None = None, password: str | None = None, starttls: bool = True,
        timeout: float = 30.0, lang: str = "fr",
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout
        self.catalog, self.lang = catalog, lang

    def build(self, item: Delivery) -> EmailMessage:
        """The MIME message for ``item`` (multipart/alternative: text, then HTML; an advisor's
        weekly digest is plain text)."""
        if item.kind == DIGEST:
            return self._digest(item)
        layout = render(item.payload, catalog=self.catalog, lang=self.lang)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = item.target
        message["Subject"] = layout.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(item.idempotency_key, self.sender)
        if item.previous_ref and item.previous_ref.startswith("<"):   # thread the update
            message["In-Reply-To"] = message["References"] = item.previous_ref
        message["X-Relocbot-Idempotency-Key"] = item.idempotency_key
        message["X-Relocbot-Ref"] = layout.ref
        message.set_content(plain_text(layout, catalog=self.catalog))
        message.add_alternative(html_body(layout, catalog=self.catalog), subtype="html")
        return message

    def _digest(self, item: Delivery) -> EmailMessage:
        text = digest_text(item.payload, catalog=self.catalog)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = item.target
        message["Subject"] = text.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(item.idempotency_key, self.sender)
        message["X-Relocbot-Idempotency-Key"] = item.idempotency_key
        message.set_content(text.plain())
        return message

    async def send(self, *, item: Delivery) -> str | None:
        try:
            message = self.build(item)
        except (ValueError, TypeError) as exc:   # e.g. a malformed address in the target
            raise DeliveryError(f"email: cannot build message ({type(exc).__name__})",
                                transient=False) from exc
        return await self.deliver(message)

    async def deliver(self, message: EmailMessage) -> str:
        """Send a built message (this notifier's server, TLS and errors: see the module's
        docstring); returns its ``Message-ID``. The company notifier sends its own through it.

        Usage::

            message_id = await notifier.deliver(message)
        """
        implicit_tls = self.port == 465
        try:
            await aiosmtplib.send(
                message, hostname=self.host, port=self.port, username=self.username,
                password=self.password, use_tls=implicit_tls,
                start_tls=self.starttls and not implicit_tls, timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients] or [550]
            raise DeliveryError(f"email: recipient refused (SMTP {codes[0]})",
                                transient=all(400 <= c < 500 for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"email: {type(exc).__name__} (SMTP {exc.code})",
                                transient=not 500 <= exc.code < 600) from exc
        except aiosmtplib.SMTPNotSupported as exc:   # e.g. STARTTLS required but not offered
            raise DeliveryError("email: SMTPNotSupported", transient=False) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email: {type(exc).__name__}", transient=True) from exc
        return str(message["Message-ID"])
