"""Block Kit rendering: Slack's limits, escaping, no forged mentions, the Slack catalogs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_LABEL,
    MAX_BUTTON_VALUE,
    MAX_SECTION_CHARS,
    SHARE_ACTION,
    escape_mrkdwn,
    fallback_text,
    home_view,
    reply_to_blocks,
    shared_blocks,
    split_text,
)
from bot.i18n import Catalog
from bot.messages import Button, Citation, Reply
from prompts import PROMPTS_DIR

FORGED = "Voir <@U0EVE> et <!everyone> <!channel> <#C0GEN> & co > tout"


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every mrkdwn text of the blocks (sections and context elements)."""
    for block in blocks:
        if block["type"] == "section":
            yield block["text"]["text"]
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                yield element["text"]


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def answer(**overrides: Any) -> Reply:
    fields: dict[str, Any] = {
        "blocks": ("Voici ce que disent mes sources :", "Le prêt Bpifrance [1]."),
        "citations": (Citation(1, "bpi-pret", "Prêt Bpifrance", "https://bpifrance.fr/p?a=1&b=2",
                               "aid"),),
        "buttons": (Button("👍", "fb:up"), Button("👎", "fb:down"),
                    Button("Parler à un conseiller CCI", "menu:advisor")),
        "kind": "answer",
    }
    fields.update(overrides)
    return Reply(**fields)


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert all(len(text) <= MAX_SECTION_CHARS for text in texts(blocks))
    ids = [b["action_id"] for b in buttons(blocks)]
    assert len(ids) == len(set(ids))
    for button in buttons(blocks):
        assert 0 < len(button["text"]["text"]) <= MAX_BUTTON_LABEL
        assert len(button["value"]) <= MAX_BUTTON_VALUE
    assert all(len(b["elements"]) <= 25 for b in blocks if b["type"] == "actions")


def test_answer_has_sections_numbered_source_links_and_buttons(catalog: Catalog) -> None:
    blocks = reply_to_blocks(answer(), lang="fr", catalog=catalog)
    assert_within_limits(blocks)
    assert [b["type"] for b in blocks] == ["section", "section", "divider", "section", "actions"]
    sources = blocks[3]["text"]["text"]
    assert sources.startswith(f"*{catalog.t('sources_title', 'fr')}*")
    assert "[1] <https://bpifrance.fr/p?a=1&amp;b=2|Prêt Bpifrance>" in sources
    assert [b["value"] for b in buttons(blocks)] == ["fb:up", "fb:down", "menu:advisor"]
    assert buttons(blocks)[2]["text"]["text"] == catalog.t("button_advisor", "fr")


def test_share_button_when_asked(catalog: Catalog) -> None:
    blocks = reply_to_blocks(answer(), lang="en", catalog=catalog, share_id="abc123")
    share = [b for b in buttons(blocks) if b["action_id"] == SHARE_ACTION]
    assert share == [{"type": "button", "action_id": SHARE_ACTION, "value": "abc123",
                      "text": {"type": "plain_text", "emoji": True,
                               "text": catalog.t("slack_share_button", "en")}}]


def test_huge_reply_stays_within_slack_limits(catalog: Catalog) -> None:
    paragraph = ("Une phrase assez longue sur les aides & les prêts <régionaux>. " * 120).strip()
    huge = answer(
        blocks=tuple([paragraph] * 60),
        citations=tuple(Citation(i, f"s{i}", "Titre " * 200, f"https://x.fr/{i}", "document")
                        for i in range(1, 40)),
        buttons=(*(Button("Bouton " * 30, f"fd:proj:{i}") for i in range(40)),
                 Button("x", "v" * 3000)),
    )
    blocks = reply_to_blocks(huge, lang="fr", catalog=catalog, share_id="s1")
    assert_within_limits(blocks)
    assert any(catalog.t("slack_truncated", "fr") in t for t in texts(blocks))
    assert blocks[-1]["type"] == "actions"
    assert SHARE_ACTION in [b["action_id"] for b in buttons(blocks)]
    # No entity was cut in half by the splitting.
    for text in texts(blocks):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)


def test_split_text_prefers_natural_boundaries() -> None:
    assert split_text("un\n\ndeux", limit=5) == ["un", "deux"]
    assert split_text("une phrase. une autre", limit=14) == ["une phrase.", "une autre"]
    pieces = split_text("x" * 7 + "&amp;" + "y" * 10, limit=10)
    assert pieces[0] == "x" * 7
    assert pieces[1].startswith("&amp;")
    assert "".join(pieces) == "x" * 7 + "&amp;" + "y" * 10


def test_text_is_escaped_and_no_mention_can_be_forged(catalog: Catalog) -> None:
    reply = answer(blocks=(FORGED,),
                   citations=(Citation(1, "s", "<@U0EVE> <!here>", "javascript:alert(1)", "doc"),
                              Citation(2, "t", "ok", "https://a.fr/x|<!everyone>", "doc")))
    blocks = reply_to_blocks(reply, lang="fr", catalog=catalog)
    joined = "\n".join(texts(blocks))
    assert "&lt;@U0EVE&gt;" in joined
    assert "&lt;!everyone&gt;" in joined
    assert "&amp; co &gt; tout" in joined
    assert "<@" not in joined
    assert "<!" not in joined
    assert "<#" not in joined
    assert "<javascript" not in joined
    assert "[2] ok" in joined  # unsafe URLs are never linked
    assert escape_mrkdwn(FORGED) in fallback_text(Reply(blocks=(FORGED,)))
    assert "<@" not in fallback_text(Reply(blocks=(FORGED,)))


def test_fallback_text_is_short() -> None:
    assert len(fallback_text(Reply(blocks=("a" * 50_000,)))) <= 1000


def test_shared_blocks_credit_the_user_and_drop_buttons(catalog: Catalog) -> None:
    blocks = reply_to_blocks(answer(), lang="fr", catalog=catalog, share_id="s1")
    shared = shared_blocks(blocks, user="U0ALICE", lang="fr", catalog=catalog)
    assert shared[0]["type"] == "context"
    assert shared[0]["elements"][0]["text"] == catalog.t("slack_shared_by", "fr",
                                                         user="<@U0ALICE>")
    assert not buttons(shared)
    assert len(shared) == len(blocks)  # + context - actions
    forged = shared_blocks(blocks, user="<!everyone>", lang="fr", catalog=catalog)
    assert "<!" not in forged[0]["elements"][0]["text"]


@pytest.mark.parametrize("langs", [["fr"], ["en"], ["fr", "en"]])
def test_home_view_is_a_guide_from_the_catalog(catalog: Catalog, langs: list[str]) -> None:
    view = home_view(langs, catalog=catalog)
    assert view["type"] == "home"
    assert_within_limits(view["blocks"])
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == [catalog.t("slack_home_title", lang) for lang in langs]
    assert all(len(h) <= 150 for h in headers)


def test_slack_catalogs_have_the_same_keys_and_do_not_clash() -> None:
    def keys(name: str) -> set[str]:
        return set(yaml.safe_load((PROMPTS_DIR / name).read_text(encoding="utf-8")))

    assert keys("fr.slack.yaml") == keys("en.slack.yaml")
    assert not keys("fr.slack.yaml") & keys("fr.yaml")
    assert all(key.startswith("slack_") for key in keys("fr.slack.yaml"))
    Catalog.load(Path(PROMPTS_DIR))  # raises on a clash


def test_every_slack_key_is_used() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8")
                        for p in (Path(__file__).resolve().parents[3] / "adapters" / "slack")
                        .glob("*.py"))
    keys = set(yaml.safe_load((PROMPTS_DIR / "fr.slack.yaml").read_text(encoding="utf-8")))
    assert {k for k in keys if f'"{k}"' not in sources} == set()
