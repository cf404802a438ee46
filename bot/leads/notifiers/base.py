"""The notifier contract: one :class:`Delivery` in, a remote reference out, or a
:class:`~bot.errors.DeliveryError` saying whether a retry may help.

Usage::

    class Pigeon:
        name = "pigeon"

        async def send(self, *, item: Delivery) -> str | None:
            if not await fly(item.target, item.payload):
                raise DeliveryError("pigeon: lost", transient=True)
            return "ring-42"

    notifiers: dict[str, Notifier] = {"pigeon": Pigeon()}
    ref = await notifiers["pigeon"].send(item=Delivery.from_item(outbox_item))
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bot.errors import DeliveryError
from bot.storage import OutboxRecord

__all__ = ["Delivery", "Notifier", "post", "safe_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Delivery:
    """What a notifier needs to deliver one outbox item (a detached, read-only copy).

    ``idempotency_key`` is the same on every attempt, so receivers drop duplicates;
    ``attempt`` counts from 1. ``payload`` is the lead summary (any key may be ``None``).
    ``previous_ref`` is what this notifier returned for the lead's first notification to the
    same target (a Slack ``channel:ts``, an e-mail Message-ID), when there was one: notifiers
    edit or thread an update instead of starting afresh. ``cards``: for an ``update``, an
    ``abandoned`` or a ``redraw``, the ``(kind, remote_ref)`` of every message with the lead's
    buttons sent to the same target (card, reminders, escalations), to redraw once it ends.
    """

    idempotency_key: str
    kind: str
    target: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    previous_ref: str | None = None
    cards: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_item(cls, item: OutboxRecord, *, previous_ref: str | None = None,
                  cards: tuple[tuple[str, str], ...] = ()) -> Delivery:
        return cls(idempotency_key=item.idempotency_key, kind=item.kind, target=item.target,
                   payload=dict(item.payload or {}), attempt=item.attempts or 1,
                   previous_ref=previous_ref, cards=cards)

    @property
    def ref(self) -> str:
        """The lead reference, for logs (never personal data)."""
        return str(self.payload.get("ref") or "?")


class Notifier(Protocol):
    """Delivers lead notifications through one medium (inbox, Slack, e-mail, webhook).

    ``send`` is keyword-only and must be safe to call twice with the same item (the dispatcher
    delivers at least once): it returns a remote reference to store (Slack ``channel:ts``,
    e-mail Message-ID, file name) or ``None``, and raises ``DeliveryError(transient=...)``
    on failure, with a message free of personal data.

    Usage::

        ref = await notifier.send(item=Delivery(idempotency_key="REL-2026-00042:new:inbox",
                                                kind="new", target="var/inbox",
                                                payload={"ref": "REL-2026-00042"}))
    """

    name: str

    async def send(self, *, item: Delivery) -> str | None: ...


def safe_name(key: str) -> str:
    """A file-name-safe form of an idempotency key, still unique (a hash when characters change).

    >>> safe_name("REL-2026-00042.new")
    'REL-2026-00042.new'
    """
    cleaned = _UNSAFE.sub("_", key)
    if cleaned == key and not key.startswith("."):
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{cleaned.lstrip('.')[:100]}-{digest}"


async def post(url: str | httpx.URL, *, name: str, client: httpx.AsyncClient | None,
               timeout: float,  # noqa: ASYNC109 - httpx's timeouts, raised as DeliveryError
               **request: Any) -> httpx.Response:
    """POST for an HTTP notifier (with its own client, or a throw-away one); a timeout or a
    transport error becomes a transient ``DeliveryError`` named ``"{name}: ..."``. Usage::

        response = await post(url, name="webhook", client=None, timeout=10, json={...})
    """
    try:
        if client is not None:
            return await client.post(url, timeout=timeout, **request)
        async with httpx.AsyncClient(timeout=timeout) as own:
            return await own.post(url, **request)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"{name}: timeout", transient=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{name}: {type(exc).__name__}", transient=True) from exc
