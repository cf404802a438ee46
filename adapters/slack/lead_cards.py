"""The Block Kit card of a lead (pure, no network), drawn with the same escaping, limits and
clipping as the replies (``adapters.slack.blocks``).

The card: a header (ref and tier), the intro (new / reminder / escalation), "Pris en charge
par ..." once claimed, the status (and a refusal's reason, or the desk it was handed on to), one
section per part (company, contact, project, score and reasons, aid schemes and partners as
links, routing rule), then the buttons the lead's status allows (``bot.leads.states.buttons``:
new -> "Je prends" and "Pas pour nous" with a reason; taken -> the three closings and
"Réaffecter"; closed or abandoned -> none), each with the lead ref as ``value``, and a line
saying that a reply in the card's thread goes to the company (``bot.leads.relay``; not on an
erased lead, nor on a card the lead has left). Every echoed value is escaped for mrkdwn, so
no mention can be forged.

Usage::

    blocks = lead_blocks(payload, catalog=catalog)              # post it (the notifier)
    blocks = lead_blocks({**payload, "owner": "Camille", "status": "taken"}, catalog=catalog)
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
from bot.leads.states import REASONS, REFUSED, buttons

__all__ = ["ACTIONS", "lead_blocks", "lead_fallback"]

# The label of each card button (catalog keys); which ones show: ``buttons(status)``.
ACTIONS = {"lead_claim": "notify_button_claim",
           **{f"lead_refuse_{reason}": f"lead_button_refuse_{reason}" for reason in REASONS},
           "lead_close_helped": "lead_button_close_helped",
           "lead_close_no_help": "lead_button_close_no_help",
           "lead_close_unreachable": "lead_button_close_unreachable",
           "lead_reassign": "notify_button_reassign"}
_STYLES = {"lead_claim": "primary", "lead_close_helped": "primary"}


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

    When ``payload["owner"]`` is set, a "Pris en charge par {owner}" line is shown. The buttons
    follow ``payload["status"]`` (none when ``rerouted_to`` says the lead left this desk).
    """
    layout = render(payload, catalog=catalog, lang=lang)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": clip(layout.title, MAX_HEADER_CHARS)}},
        _context(layout.intro),
    ]
    blocks += [_context(text) for text in (layout.claimed, layout.status,
                                           *_state_notes(payload, catalog, lang), *layout.notes)
               if text]
    blocks += [{"type": "section", "text": {"type": "mrkdwn",
                                            "text": _section_text(s, layout, catalog)}}
               for s in layout.sections]
    ref = str(payload.get("ref") or "")
    shown = () if payload.get("rerouted_to") else buttons(str(payload.get("status") or "new"))
    if shown:
        blocks.append({"type": "actions", "block_id": f"lead_actions:{ref[:200]}",
                       "elements": [button(catalog.t(ACTIONS[action_id], lang), action_id, ref,
                                           style=_STYLES.get(action_id))
                                    for action_id in shown]})
    if not payload.get("erased") and not payload.get("rerouted_to"):
        blocks.append(_context(catalog.t("notify_relay_hint", lang)))
    blocks.append(_context(layout.footer))
    return blocks[:MAX_BLOCKS]


def _state_notes(payload: Mapping[str, Any], catalog: Catalog, lang: str) -> list[str]:
    """A refusal's reason and the desk a lead was handed on to."""
    notes = []
    reason = payload.get("status_reason")
    if payload.get("status") == REFUSED and reason in REASONS:
        notes.append(catalog.t("lead_refused_reason", lang,
                               reason=catalog.label("lead_refusal_reason", str(reason), lang)))
    if payload.get("rerouted_to"):
        notes.append(catalog.t("lead_rerouted_to", lang, desk=str(payload["rerouted_to"])))
    return notes


def lead_fallback(layout: Layout) -> str:
    """The notification text sent beside the card (short, escaped)."""
    return clip(escape_mrkdwn(layout.fallback), FALLBACK_CHARS)
