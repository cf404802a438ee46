"""Signed JSON webhooks to CRMs and other receivers (httpx).

The body is ``{"idempotency_key", "kind", "timestamp", "lead": payload}`` (compact JSON, sorted
keys). Headers:

- ``X-Relocbot-Signature: sha256=<hex HMAC-SHA256(RELOCBOT_WEBHOOK_SECRET, raw body)>``
- ``X-Relocbot-Idempotency-Key``: the same on every retry; drop what you have already seen
- ``X-Relocbot-Timestamp``: Unix seconds, also inside the signed body (refuse stale requests)

A receiver verifies with ``hmac.compare_digest(header, sign(secret, await request.read()))``.
URLs that are not http(s), or whose host is not in ``RELOCBOT_WEBHOOK_ALLOWED_HOSTS`` (when that
list is set), are refused without any request. Timeouts, connection errors, 429 and 5xx are
transient; any other status is permanent.

Usage::

    notifier = WebhookNotifier(secret="s3cret", allowed_hosts=["crm.example"], timeout=10.0)
    await notifier.send(item=delivery)          # delivery.target = "https://crm.example/hook"
"""

from __future__ import annotations

import hashlib
import hmac
import json
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
    ) -> None:
        self.secret = secret
        self.allowed_hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts
                                       if h.strip())
        self.timeout = timeout
        self.client = client
        self.clock = clock

    def check_url(self, url: str) -> httpx.URL:
        """The parsed URL, or a permanent ``DeliveryError`` (bad scheme, host not allowed)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise DeliveryError("webhook: invalid URL", transient=False) from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise DeliveryError("webhook: only http(s) URLs are allowed", transient=False)
        host = parsed.host.lower().rstrip(".")
        if self.allowed_hosts and host not in self.allowed_hosts:
            raise DeliveryError("webhook: host not in RELOCBOT_WEBHOOK_ALLOWED_HOSTS",
                                transient=False)
        return parsed

    async def send(self, *, item: Delivery) -> str | None:
        url = self.check_url(item.target)
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
