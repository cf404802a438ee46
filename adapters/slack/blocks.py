"""Block Kit rendering of the core's replies, within Slack's limits (pure, no network).

Limits kept: at most 50 blocks per message, 3,000 characters per section text, 75 per button
label, 2,000 per button value, 150 per header, unique ``action_id`` values. Every text is
escaped for mrkdwn (``&``, ``<``, ``>``), so no ``<@U…>`` or ``<!everyone>`` can be forged by
echoed content. The lead cards (``adapters.slack.lead_cards``) are drawn with the same
escaping, limits, ``clip`` and ``button``.

Usage::

    blocks = reply_to_blocks(reply, lang="fr")             # sections, sources, buttons
    await client.chat_postMessage(channel=c, thread_ts=ts, blocks=blocks,
                                  text=fallback_text(reply))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from bot.i18n import Catalog
from bot.messages import Button, Citation, Reply

__all__ = [
    "ACTION_PREFIX",
    "FALLBACK_CHARS",
    "MAX_BLOCKS",
    "MAX_BUTTON_LABEL",
    "MAX_BUTTON_VALUE",
    "MAX_HEADER_CHARS",
    "MAX_SECTION_CHARS",
    "SHARE_ACTION",
    "Block",
    "button",
    "clip",
    "default_catalog",
    "escape_mrkdwn",
    "fallback_text",
    "home_view",
    "reply_to_blocks",
    "shared_blocks",
    "split_text",
]

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_HEADER_CHARS = 150
MAX_BUTTONS = 25
BUTTONS_PER_ROW = 5
FALLBACK_CHARS = 1000
ACTION_PREFIX = "reloc."
SHARE_ACTION = "reloc.share"

_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The shipped message catalogs, loaded once: ``default_catalog().t("error", "fr")``."""
    return Catalog.load()


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as markup.

    Usage::

        escape_mrkdwn("R&D <@U1>")   # -> "R&amp;D &lt;@U1&gt;"
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut.

    Usage::

        clip("Relocalisation", 6)   # -> "Reloc…"
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Cut (escaped) text into pieces of at most ``limit`` characters, at a paragraph, line,
    sentence or word boundary when there is one, never inside an ``&amp;`` entity.

    Usage::

        split_text("a\\n\\nb", limit=2)   # -> ["a", "b"]
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = 0
        for sep in ("\n\n", "\n", ". ", " "):
            index = window.rfind(sep)
            if index > 0:
                cut = index + len(sep)
                break
        if cut == 0:
            cut = limit
            amp = window.rfind("&", max(0, limit - 5))
            if amp > 0 and ";" not in window[amp:]:
                cut = amp
        piece, rest = rest[:cut].strip(), rest[cut:].strip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _source_line(citation: Citation) -> str:
    title = escape_mrkdwn(citation.title.strip() or citation.source_id)
    if citation.url and _SAFE_URL.match(citation.url):
        return f"[{citation.number}] <{escape_mrkdwn(citation.url)}|{title}>"
    return f"[{citation.number}] {title}"


def _sources(citations: Sequence[Citation], title: str) -> list[Block]:
    if not citations:
        return []
    text = "\n".join([f"*{escape_mrkdwn(title)}*", *(_source_line(c) for c in citations)])
    return [{"type": "divider"}, *(_section(piece) for piece in split_text(text)[:5])]


def button(label: str, action_id: str, value: str = "", *, style: str | None = None) -> Block:
    """A button within Slack's limits (``value`` left out when empty, clipped otherwise).

    Usage::

        button("Je prends", "lead_claim", "REL-2026-00042", style="primary")
    """
    block: Block = {"type": "button", "action_id": action_id,
                    "text": {"type": "plain_text", "emoji": True,
                             "text": clip(label.strip() or value, MAX_BUTTON_LABEL)}}
    if value:
        block["value"] = value[:MAX_BUTTON_VALUE]
    if style:
        block["style"] = style
    return block


def _actions(buttons: Iterable[Button], share: Block | None) -> list[Block]:
    elements = [button(b.label, f"{ACTION_PREFIX}{i}", b.action)
                for i, b in enumerate(buttons) if 0 < len(b.action) <= MAX_BUTTON_VALUE]
    elements = elements[: MAX_BUTTONS - (1 if share else 0)]
    if share is not None:
        elements.append(share)
    return [{"type": "actions", "elements": elements[i:i + BUTTONS_PER_ROW]}
            for i in range(0, len(elements), BUTTONS_PER_ROW)]


def reply_to_blocks(reply: Reply, *, lang: str, catalog: Catalog | None = None,
                    share_id: str | None = None) -> list[Block]:
    """One reply as Block Kit: a section per paragraph (long ones split), the numbered sources
    as links, then the buttons (``action_id`` ``reloc.<n>``, ``value`` = the core action) and,
    with ``share_id``, a "share in the channel" button.

    Usage::

        reply_to_blocks(Reply(blocks=("Bonjour",)), lang="fr")
        # -> [{"type": "section", "text": {"type": "mrkdwn", "text": "Bonjour"}}]
    """
    catalog = catalog or default_catalog()
    body = [_section(piece) for block in reply.blocks
            for piece in split_text(escape_mrkdwn(block))]
    share = None
    if share_id is not None and len(share_id) <= MAX_BUTTON_VALUE:
        share = button(catalog.t("slack_share_button", lang), SHARE_ACTION, share_id)
    tail = _sources(reply.citations, catalog.t("sources_title", lang)) + _actions(reply.buttons,
                                                                                   share)
    room = MAX_BLOCKS - len(tail)
    if len(body) > room:
        note = _section(escape_mrkdwn(catalog.t("slack_truncated", lang)))
        body = [*body[: room - 1], note]
    return body + tail


def fallback_text(reply: Reply) -> str:
    """The notification text sent beside the blocks (short, escaped).

    Usage::

        fallback_text(Reply(blocks=("R&D",)))   # -> "R&amp;D"
    """
    return escape_mrkdwn(clip(reply.text, FALLBACK_CHARS))


def shared_blocks(blocks: Sequence[Block], *, user: str, lang: str,
                  catalog: Catalog | None = None) -> list[Block]:
    """A private answer made public: "shared by <@user>" on top, the buttons removed.

    Usage::

        shared_blocks(reply_to_blocks(reply, lang="fr"), user="U1", lang="fr")
    """
    catalog = catalog or default_catalog()
    who = f"<@{user}>" if _USER_ID.match(user) else ""
    note = escape_mrkdwn(catalog.t("slack_shared_by", lang, user="\0")).replace("\0", who)
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
            *kept[: MAX_BLOCKS - 1]]


def home_view(langs: Sequence[str], *, catalog: Catalog | None = None) -> Block:
    """The App Home tab: a short guide in each of ``langs`` (from ``prompts/*.slack.yaml``).

    Usage::

        await client.views_publish(user_id="U1", view=home_view(["fr", "en"]))
    """
    catalog = catalog or default_catalog()
    blocks: list[Block] = []
    for lang in langs:
        if blocks:
            blocks.append({"type": "divider"})
        title = clip(catalog.t("slack_home_title", lang), MAX_HEADER_CHARS)
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": title}})
        for key in ("slack_home_intro", "slack_home_usage", "slack_home_commands"):
            blocks.extend(_section(p) for p in split_text(escape_mrkdwn(catalog.t(key, lang))))
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": escape_mrkdwn(catalog.t("slack_home_privacy", lang))}]})
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}
