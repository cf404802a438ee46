"""Pure conversions between Telegram Bot API payloads and the core's messages.

No network, no SDK object is required: both functions work on the dicts Telegram sends (a
``telegram.Update`` is accepted too, read through a view with the same keys).

Usage::

    incoming = update_to_incoming(payload, bot_username="relocbot")
    if incoming is not None:
        for reply in await assistant.handle(incoming):
            for message in reply_to_messages(reply, lang="fr"):
                await bot.send_message(chat_id, message.text, parse_mode="HTML")
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from bot.i18n import Catalog
from bot.messages import Citation, Incoming, Reply

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_MESSAGE_CHARS",
    "CallbackStore",
    "InlineButton",
    "OutgoingMessage",
    "as_payload",
    "reply_to_messages",
    "telegram_length",
    "update_to_incoming",
]

MAX_MESSAGE_CHARS = 4096
MAX_CALLBACK_BYTES = 64
CHANNEL = "telegram"
# Anything a person sends that is not text: answered with "I only read text for now".
MEDIA_KEYS = frozenset({
    "animation", "audio", "contact", "dice", "document", "game", "location", "paid_media",
    "photo", "poll", "sticker", "story", "venue", "video", "video_note", "voice",
})
_SDK_NAMES = {"from": "from_user"}  # Bot API keys the SDK renames
_SHORT_LABEL = 4  # labels this short (👍, 👎) share a keyboard row
_TOKEN_PREFIX = "tok:"  # noqa: S105 - the prefix of a callback-data token, not a secret


class _HasToDict(Protocol):
    def to_dict(self, recursive: bool = True) -> dict[str, Any]: ...


class _View(Mapping[str, Any]):
    """An SDK object (``telegram.Update`` and what it holds) read as the dict Telegram sent,
    without serialising the whole update: keys are the Bot API's (``from`` is the SDK's
    ``from_user``), nested objects are views too, and an empty field (``None``, ``()``) is
    absent, as in the payload."""

    __slots__ = ("_obj",)

    def __init__(self, obj: _HasToDict) -> None:
        self._obj = obj

    def __getitem__(self, key: str) -> Any:
        value = getattr(self._obj, _SDK_NAMES.get(key, key), None)
        if value is None or value == ():
            raise KeyError(key)
        return _View(value) if hasattr(value, "to_dict") else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._obj.to_dict(recursive=False))

    def __len__(self) -> int:
        return len(self._obj.to_dict(recursive=False))

    def __bool__(self) -> bool:   # ``x or {}`` without serialising: a sent object has an id
        return True


def as_payload(update: Mapping[str, Any] | _HasToDict) -> Mapping[str, Any]:
    """The update as the mapping Telegram sent: a dict as it is, an SDK object as a view."""
    return update if isinstance(update, Mapping) else _View(update)


@dataclass(frozen=True, slots=True)
class InlineButton:
    """One inline keyboard button: ``data`` is the ``callback_data`` (at most 64 bytes)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One ``sendMessage``: HTML ``text`` (at most 4096 characters) and keyboard rows."""

    text: str
    keyboard: tuple[tuple[InlineButton, ...], ...] = ()
    parse_mode: str = "HTML"


class CallbackStore:
    """Button payloads longer than 64 bytes, kept server-side under a short stable token.

    Usage::

        store = CallbackStore()
        data = store.put("finder:aid:" + "x" * 80)   # "tok:…" (<= 64 bytes)
        store.get(data)                                # the original payload
    """

    def __init__(self, *, max_items: int = 10_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, str] = OrderedDict()

    def put(self, action: str) -> str:
        if len(action.encode("utf-8")) <= MAX_CALLBACK_BYTES and not action.startswith(
                _TOKEN_PREFIX):
            return action
        token = _TOKEN_PREFIX + hashlib.sha256(action.encode("utf-8")).hexdigest()[:32]
        self._items[token] = action
        self._items.move_to_end(token)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return token

    def get(self, data: str) -> str:
        """The payload behind ``data`` (unknown tokens come back unchanged: a stale button)."""
        return self._items.get(data, data)


DEFAULT_STORE = CallbackStore()


def update_to_incoming(
    update: Mapping[str, Any] | _HasToDict,
    *,
    bot_username: str,
    store: CallbackStore | None = None,
) -> Incoming | None:
    """A Telegram update as an ``Incoming``, or ``None`` when the bot should stay silent.

    Silent on edited messages, channel posts, member changes, inline queries, service
    messages, other bots, and group messages that neither mention the bot, reply to it nor
    carry a command for it. Usage::

        update_to_incoming({"update_id": 7, "message": {...}}, bot_username="relocbot")
    """
    data = as_payload(update)
    update_id = data.get("update_id")
    event_id = f"update:{update_id}" if update_id is not None else None
    if isinstance(data.get("message"), Mapping):
        return _message_to_incoming(data["message"], bot_username, event_id)
    if isinstance(data.get("callback_query"), Mapping):
        return _callback_to_incoming(data["callback_query"], store or DEFAULT_STORE, event_id)
    return None


def _person(sender: Any) -> Mapping[str, Any] | None:
    if not isinstance(sender, Mapping) or sender.get("is_bot") or sender.get("id") is None:
        return None
    return sender


def _incoming(chat: Mapping[str, Any], sender: Mapping[str, Any], event_id: str | None,
              **fields: Any) -> Incoming:
    user_id, chat_id = str(sender["id"]), chat["id"]
    return Incoming(channel=CHANNEL, conversation_key=f"{CHANNEL}:{chat_id}:{user_id}",
                    user_id=user_id, lang_hint=sender.get("language_code"), event_id=event_id,
                    private=chat.get("type") == "private", **fields)


def _message_to_incoming(message: Mapping[str, Any], bot_username: str,
                         event_id: str | None) -> Incoming | None:
    sender = _person(message.get("from"))
    chat = message.get("chat") or {}
    if sender is None or chat.get("id") is None or chat.get("type") == "channel":
        return None
    text = message.get("text")
    in_group = chat.get("type") != "private"
    if in_group and not _addressed(message, text, bot_username):
        return None
    if isinstance(text, str):
        if in_group and not text.startswith("/"):
            text = _strip_mention(text, bot_username)
        return _incoming(chat, sender, event_id, text=text, kind="text")
    if any(key in message for key in MEDIA_KEYS):
        return _incoming(chat, sender, event_id, kind="unsupported")
    return None  # joins, pins, titles and other service messages


def _addressed(message: Mapping[str, Any], text: Any, bot_username: str) -> bool:
    """In a group: a command for us (or for any bot), a mention of us, or a reply to us."""
    name = bot_username.lower()
    if isinstance(text, str) and text.startswith("/"):
        target = text.split(maxsplit=1)[0].partition("@")[2].lower()
        return target in ("", name)
    said = text if isinstance(text, str) else message.get("caption")
    if isinstance(said, str) and _mention(bot_username).search(said):
        return True
    replied = message.get("reply_to_message") or {}
    author = replied.get("from") or {}
    return bool(author.get("is_bot")) and str(author.get("username", "")).lower() == name


@lru_cache(maxsize=8)
def _mention(bot_username: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)@{re.escape(bot_username)}(?!\w)", re.IGNORECASE)


def _strip_mention(text: str, bot_username: str) -> str:
    stripped = _mention(bot_username).sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


def _callback_to_incoming(query: Mapping[str, Any], store: CallbackStore,
                          event_id: str | None) -> Incoming | None:
    sender = _person(query.get("from"))
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    data = query.get("data")
    if sender is None or chat.get("id") is None or not isinstance(data, str) or not data:
        return None  # inline-mode messages and games carry no chat or no data
    return _incoming(chat, sender, event_id, action=store.get(data), kind="action")


# -- rendering -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return Catalog.load()


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units). Usage::

        telegram_length("👍 ok")  # 5: the emoji counts 2
    """
    return len(text.encode("utf-16-le")) // 2


def reply_to_messages(
    reply: Reply,
    *,
    lang: str,
    catalog: Catalog | None = None,
    store: CallbackStore | None = None,
    limit: int = MAX_MESSAGE_CHARS,
) -> list[OutgoingMessage]:
    """Render one ``Reply`` as Telegram HTML messages, split under ``limit`` characters.

    Text is escaped, sources become ``<a href="url">[n] title</a>`` under a title from the
    catalog, messages split at paragraph (then line, then word) boundaries, never inside a tag,
    and the keyboard rides on the last message. Usage::

        [message] = reply_to_messages(Reply(blocks=("Bonjour <3",)), lang="fr")
        message.text  # 'Bonjour &lt;3'
    """
    paragraphs = [piece for block in reply.blocks if block.strip()
                  for piece in _escaped_pieces(block.strip(), limit)]
    if reply.citations:
        title = (catalog or _default_catalog()).t("sources_title", lang)
        lines = [f"<b>{html.escape(title, quote=False)}</b>",
                 *(_citation(c, limit) for c in reply.citations)]
        paragraphs.extend(_pack(lines, "\n", limit))
    texts = _pack(paragraphs, "\n\n", limit)
    if not texts:
        return []
    keyboard = _keyboard(reply, store or DEFAULT_STORE)
    return [OutgoingMessage(text=text, keyboard=keyboard if i == len(texts) - 1 else ())
            for i, text in enumerate(texts)]


def _citation(citation: Citation, limit: int) -> str:
    label = html.escape(f"[{citation.number}] {citation.title[:300]}", quote=False)
    url = citation.url or ""
    if url.startswith(("https://", "http://")) and len(url) < limit // 2:
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    return label


def _escaped_pieces(text: str, limit: int) -> list[str]:
    """Escape ``text``; when too long, cut at lines, then words, then characters."""
    escaped = html.escape(text, quote=False)
    if telegram_length(escaped) <= limit:
        return [escaped]
    for separator in ("\n", " "):
        parts = text.split(separator)
        if len(parts) > 1:
            pieces = [p for part in parts if part for p in _escaped_pieces(part, limit)]
            return _pack(pieces, separator, limit)
    middle = len(text) // 2
    return [*_escaped_pieces(text[:middle], limit), *_escaped_pieces(text[middle:], limit)]


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    """Greedily join self-contained HTML pieces (each <= limit) into texts <= limit."""
    texts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            texts.append(current)
        current = piece
    if current:
        texts.append(current)
    return texts


def _keyboard(reply: Reply, store: CallbackStore) -> tuple[tuple[InlineButton, ...], ...]:
    rows: list[list[InlineButton]] = []
    short_row = False
    for button in reply.buttons:
        item = InlineButton(label=button.label, data=store.put(button.action))
        short = len(button.label) <= _SHORT_LABEL
        if short and short_row:
            rows[-1].append(item)
        else:
            rows.append([item])
        short_row = short
    return tuple(tuple(row) for row in rows)
