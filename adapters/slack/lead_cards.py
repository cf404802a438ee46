"""The Block Kit card of a lead (pure, no network), drawn with the same escaping, limits and
clipping as the replies (``adapters.slack.blocks``).

The card: a header (ref and tier), the intro (new / reminder / escalation), "Pris en charge
par ..." once claimed, one section per part (company, contact, project, score and reasons, aid
schemes and partners as links, routing rule), then the buttons ``lead_claim``,
``lead_contacted``, ``lead_not_relevant`` and ``lead_reassign`` whose ``value`` is the lead ref.
Every echoed value is escaped for mrkdwn, so no mention can be forged.

Usage::

    blocks = lead_blocks(payload, catalog=catalog)              # post it (the notifier)
    blocks = lead_blocks({**payload, "owner": "Camille", "status": "claimed"}, catalog=catalog)
    text = lead_fallback(render(payload, catalog=catalog))      # the notification text
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.slack.blocks import (
    FALLBACK_CHARS,
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    Block,
    button,
    clip,
    escape_mrkdwn,
)
from bot.i18n import Catalog
from bot.leads.notifiers.render import Layout, Section, render

__all__ = ["ACTIONS", "lead_blocks", "lead_fallback"]

ACTIONS = (("lead_claim", "notify_button_claim"), ("lead_contacted", "notify_button_contacted"),
           ("lead_not_relevant", "notify_button_not_relevant"),
           ("lead_reassign", "notify_button_reassign"))


def _section_text(section: Section, layout: Layout, catalog: Catalog) -> str:
    lines = [f"*{escape_mrkdwn(section.title)}*"]
    for line in section.lines:
        value = escape_mrkdwn(line.value)
        if line.url:
            value = f"<{line.url}|{value.replace('|', '¦')}>"
        if line.label is None:
            lines.append(f"• {value}")
        else:
            lines.append(catalog.t("notify_line", layout.lang,
                                   label=f"*{escape_mrkdwn(line.label)}*", value=value))
    text = "\n".join(lines)
    if len(text) <= MAX_SECTION_CHARS:
        return text
    kept = text[: MAX_SECTION_CHARS - 1].rsplit("\n", 1)[0]  # never cut a link in half
    return kept + "\n…"


def _context(text: str) -> Block:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(escape_mrkdwn(text), MAX_SECTION_CHARS)}]}


def lead_blocks(payload: Mapping[str, Any], *, catalog: Catalog, lang: str = "fr") -> list[Block]:
    """The Block Kit card of a lead; the notifier posts it, the advisor buttons redraw it.

    When ``payload["owner"]`` is set, a "Pris en charge par {owner}" line is shown and the claim
    button is left out (the other buttons stay).
    """
    layout = render(payload, catalog=catalog, lang=lang)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": clip(layout.title, MAX_HEADER_CHARS)}},
        _context(layout.intro),
    ]
    blocks += [_context(text) for text in (layout.claimed, layout.status, *layout.notes) if text]
    blocks += [{"type": "section", "text": {"type": "mrkdwn",
                                            "text": _section_text(s, layout, catalog)}}
               for s in layout.sections]
    ref = str(payload.get("ref") or "")
    buttons = [button(catalog.t(key, lang), action_id, ref,
                      style="primary" if action_id == "lead_claim" else None)
               for action_id, key in ACTIONS
               if not (action_id == "lead_claim" and payload.get("owner"))]
    blocks.append({"type": "actions", "block_id": f"lead_actions:{ref[:200]}",
                   "elements": buttons})
    blocks.append(_context(layout.footer))
    return blocks[:MAX_BLOCKS]


def lead_fallback(layout: Layout) -> str:
    """The notification text sent beside the card (short, escaped)."""
    return clip(escape_mrkdwn(layout.fallback), FALLBACK_CHARS)
