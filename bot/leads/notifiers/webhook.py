"""Signed JSON webhooks to CRMs and other receivers (httpx).

The body is ``{"idempotency_key", "kind", "timestamp", "lead": payload}`` (compact JSON, sorted
keys). Headers:

- ``X-Relocbot-Signature: sha256=<hex HMAC-SHA256(RELOCBOT_WEBHOOK_SECRET, raw body)>``
- ``X-Relocbot-Idempotency-Key``: the same on every retry; drop what you have already seen
- ``X-Relocbot-Timestamp``: Unix seconds, also inside the signed body (refuse stale requests)

A receiver verifies with ``hmac.compare_digest(header, sign(secret, await request.read()))``.

Where a lead may go is closed by default (a lead carries personal data; a webhook URL must not
become a way into the network): the host must be listed in ``RELOCBOT_WEBHOOK_ALLOWED_HOSTS``
(an empty list allows none), the scheme must be ``https``, and every address the host resolves
to must be public. ``RELOCBOT_WEBHOOK_ALLOW_LOCAL_NETWORK=true`` lets a listed host be on a
private network over plain http (an internal CRM); link-local addresses (169.254.0.0/16, the
cloud metadata service, fe80::/10) are refused whatever the setting. A refused URL is a
permanent failure, without any request. Timeouts, connection errors, 429 and 5xx are
transient; any other status is permanent.

Usage::

    notifier = WebhookNotifier(secret="s3cret", allowed_hosts=["crm.example"], timeout=10.0)
    await notifier.send(item=delivery)          # delivery.target = "https://crm.example/hook"
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from collections.abc import Callable, Iterable

import httpx

from bot.errors import DeliveryError
from bot.leads.notifiers.base import Delivery, post

__all__ = ["WebhookNotifier", "sign"]


def sign(secret: str, body: bytes) -> str:
    """The ``X-Relocbot-Signature`` value of ``body``: ``sha256=<hex digest>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier:
    name = "webhook"

    def __init__(
        self, *, secret: str | None, allowed_hosts: Iterable[str] = (), timeout: float = 10.0,
        client: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.time,
        allow_local_network: bool = False,
    ) -> None:
        self.secret = secret
        self.allowed_hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts
                                       if h.strip())
        self.timeout = timeout
        self.client = client
        self.clock = clock
        self.allow_local_network = allow_local_network

    def check_url(self, url: str) -> httpx.URL:
        """The parsed URL, or a permanent ``DeliveryError`` (bad scheme, host not listed)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise DeliveryError("webhook: invalid URL", transient=False) from exc
        schemes = ("https", "http") if self.allow_local_network else ("https",)
        if parsed.scheme not in schemes or not parsed.host:
            raise DeliveryError("webhook: only https URLs are allowed", transient=False)
        if parsed.host.lower().rstrip(".") not in self.allowed_hosts:
            raise DeliveryError("webhook: host not in RELOCBOT_WEBHOOK_ALLOWED_HOSTS "
                                "(an empty list allows none)", transient=False)
        return parsed

    async def check_target(self, url: str) -> httpx.URL:
        """``check_url``, then every address of the host must be public (or, with
        ``allow_local_network``, private but never link-local)."""
        parsed = self.check_url(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parsed.host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise DeliveryError("webhook: host name not resolved", transient=True) from exc
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if address.is_link_local or address.is_multicast or address.is_unspecified:
                raise DeliveryError("webhook: link-local or special address refused",
                                    transient=False)
            if not address.is_global and not self.allow_local_network:
                raise DeliveryError("webhook: private address refused (see "
                                    "RELOCBOT_WEBHOOK_ALLOW_LOCAL_NETWORK)", transient=False)
        return parsed

    async def send(self, *, item: Delivery) -> str | None:
        url = await self.check_target(item.target)
        if not self.secret:
            raise DeliveryError("webhook: RELOCBOT_WEBHOOK_SECRET is not set", transient=False)
        timestamp = int(self.clock())
        body = json.dumps(
            {"idempotency_key": item.idempotency_key, "kind": item.kind,
             "timestamp": timestamp, "lead": item.payload},
            ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Relocbot-Webhook/1",
            "X-Relocbot-Signature": sign(self.secret, body),
            "X-Relocbot-Idempotency-Key": item.idempotency_key,
            "X-Relocbot-Timestamp": str(timestamp),
            "X-Relocbot-Event": item.kind,
        }
        response = await post(url, name="webhook", client=self.client, timeout=self.timeout,
                              content=body, headers=headers)
        status = response.status_code
        if 200 <= status < 300:
            return response.headers.get("X-Request-Id") or f"http-{status}"
        raise DeliveryError(f"webhook: HTTP {status}", transient=status == 429 or status >= 500)
