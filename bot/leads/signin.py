"""Signing in to the advisor console by a one-time link sent by e-mail; no password anywhere.

An advisor types their e-mail address; when the desks file lists it (``advisor_profiles.<id>.
email``, or an advisor listed by the address itself), a random token is drawn, its keyed
digest (HMAC-SHA-256 with ``RELOCBOT_CONSOLE_SECRET``) stored with an expiry, and the token
returned for the e-mail. Redeeming it (once, before it expires) opens a session: another
random secret for the cookie, stored as a digest too, with its CSRF token. An address nobody
lists gets the same answer and no e-mail (no enumeration). Link requests are limited per
client address and per advisor in the database (``db.console.hit``), so every process and
replica shares the limits; the buckets are keyed digests, never the address itself.

Usage::

    signin = SignIn(db=db, desks=desks, secret=settings.console_secret.get_secret_value())
    link = await signin.request(email="camille@cci.example", client="203.0.113.7")
    if link is not None:
        send_mail(to=link.email, url=f"{base}/auth?t={link.token}")
    opened = await signin.redeem(token=token)        # NewSession | None
    session = await signin.session(secret=opened.secret)  # SessionRecord | None
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import RelocbotError
from bot.leads.desks import Desks
from bot.storage import Database, SessionRecord, utcnow

__all__ = ["Link", "NewSession", "RateLimited", "SignIn", "SignInLimits"]


class RateLimited(RelocbotError):
    """Too many sign-in requests from this client address."""


@dataclass(frozen=True, slots=True)
class SignInLimits:
    link_seconds: float = 900.0          # a link works for 15 minutes, once
    session_seconds: float = 12 * 3600.0
    window_seconds: float = 900.0
    per_advisor: int = 3                 # links per advisor per window
    per_client: int = 10                 # requests per client address per window


@dataclass(frozen=True, slots=True)
class Link:
    advisor: str
    email: str
    token: str


@dataclass(frozen=True, slots=True)
class NewSession:
    advisor: str
    secret: str
    csrf: str


class SignIn:
    def __init__(self, *, db: Database, desks: Desks, secret: str,
                 limits: SignInLimits | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        if len(secret) < 16:
            raise ValueError("the console secret needs at least 16 characters")
        self.db, self.desks, self.clock = db, desks, clock
        self.limits = limits or SignInLimits()
        self._key = secret.encode()

    def digest(self, value: str) -> str:
        """The keyed digest stored in place of a token or a session secret."""
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    async def _allowed(self, bucket: str, limit: int, now: dt.datetime) -> bool:
        """One more request in ``bucket`` (counted only when let through)."""
        return await self.db.console.hit(bucket=self.digest(bucket), now=now, limit=limit,
                                         window_seconds=self.limits.window_seconds)

    async def request(self, *, email: str, client: str) -> Link | None:
        """A new link for the advisor with this address, or ``None`` (unknown address, or
        the advisor's own limit reached: the caller says the same either way). Raises
        ``RateLimited`` past the client address's limit."""
        now = self.clock()
        if not await self._allowed(f"client\n{client}", self.limits.per_client, now):
            raise RateLimited("sign-in requests")
        advisor = self.desks.advisor_by_email(email)
        if advisor is None:
            return None
        if not await self._allowed(f"advisor\n{advisor}", self.limits.per_advisor, now):
            return None
        token = secrets.token_urlsafe(32)
        await self.db.console.add_link(digest=self.digest(token), advisor=advisor, now=now,
                                       ttl_seconds=self.limits.link_seconds)
        return Link(advisor, email.strip(), token)

    async def redeem(self, *, token: str) -> NewSession | None:
        """A new session for the link's advisor, once; ``None`` for an unknown, used or
        expired link, or an advisor no longer listed in the desks file."""
        if not token or len(token) > 128:
            return None
        now = self.clock()
        advisor = await self.db.console.redeem_link(digest=self.digest(token), now=now)
        if advisor is None or not self.desks.desks_of(advisor):
            return None
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self.db.console.open_session(digest=self.digest(secret), advisor=advisor,
                                           csrf=csrf, now=now,
                                           ttl_seconds=self.limits.session_seconds)
        return NewSession(advisor, secret, csrf)

    async def session(self, *, secret: str | None) -> SessionRecord | None:
        """The live session of this cookie, if its advisor is still listed."""
        if not secret or len(secret) > 128:
            return None
        found = await self.db.console.session(digest=self.digest(secret), now=self.clock())
        if found is None or not self.desks.desks_of(found.advisor):
            return None
        return found

    async def sign_out(self, *, secret: str) -> None:
        await self.db.console.close_session(digest=self.digest(secret))
