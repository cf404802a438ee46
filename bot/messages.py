"""Channel-neutral messages: what adapters hand to the core, and what the core hands back.

Usage::

    incoming = Incoming(channel="terminal", conversation_key="terminal:local", user_id="local",
                        text="Quelles aides pour relocaliser ?")
    for reply in await assistant.handle(incoming):
        print(reply.text)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Button", "Citation", "Incoming", "Lang", "Reply"]

Lang = Literal["fr", "en"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One user event, already translated from the channel's SDK object.

    Exactly one of ``text`` and ``action`` is normally set; ``action`` is a button payload.
    ``event_id`` is the channel's delivery id (Telegram ``update_id``, Slack ``event_id``)
    used to process a delivery once. ``private`` is False in a group, a channel or a thread
    others can read (the lead form, with its SIREN, e-mail and phone, only runs in private).
    """

    channel: str
    conversation_key: str
    user_id: str
    text: str | None = None
    action: str | None = None
    lang_hint: str | None = None
    event_id: str | None = None
    kind: Literal["text", "action", "unsupported"] = "text"
    private: bool = True


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source shown under an answer."""

    number: int
    source_id: str
    title: str
    url: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the user; ``action`` comes back as ``Incoming.action``."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. ``blocks`` are paragraphs of plain text (adapters escape them).

    ``lang`` is the language the core chose for this message (the ``Language`` middleware):
    ``Assistant.handle`` stamps every reply, so adapters render buttons and labels in it and
    never guess it again from the text.
    """

    blocks: tuple[str, ...]
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    private: bool = False
    kind: str = "info"
    meta: dict[str, str] = field(default_factory=dict)
    lang: Lang | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)
