"""The Slack lead notifier (``adapters.slack.notifier``, slack_sdk's ``AsyncWebClient``) against
the fake Slack Web API, and the lead card it posts (``adapters.slack.lead_cards``). Nothing
leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from adapters.slack.lead_cards import lead_blocks
from adapters.slack.notifier import SlackNotifier
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.notifiers import Delivery
from ops.fakes.slack_api import FakeSlackAPI
from tests.leads.test_notifiers import closed_port, delivery, payload


def notifier_for(base_url: str, catalog: Catalog, *, timeout: float = 10.0) -> SlackNotifier:
    return SlackNotifier(token="xoxb-test", catalog=catalog, base_url=base_url, timeout=timeout)


def update(previous_ref: str) -> Delivery:
    return Delivery(idempotency_key="REL-2026-00042:update:1:slack", kind="update",
                    target="C0LEADS", payload=payload(owner="Camille", status="taken"),
                    previous_ref=previous_ref)


# -- delivery -----------------------------------------------------------------------------------

async def test_slack_posts_a_lead_card_with_buttons(slack: FakeSlackAPI,
                                                    catalog: Catalog) -> None:
    notifier = notifier_for(slack.base_url, catalog)
    remote = await notifier.send(item=delivery("C0LEADS", company="<!channel> & Co"))
    [call] = slack.calls_to("chat.postMessage")
    assert remote == f"C0LEADS:{'1700000000.000001'}"
    assert call.token == "xoxb-test"
    assert call.body["channel"] == "C0LEADS"
    assert call.body["unfurl_links"] is False
    assert "&lt;!channel&gt;" in call.body["text"]
    blocks = call.body["blocks"]
    assert len(blocks) <= 50
    texts = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in texts
    assert "&lt;!channel&gt; &amp; Co" in texts
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert blocks[0]["type"] == "header"
    assert "REL-2026-00042" in blocks[0]["text"]["text"]
    assert "chaud" in blocks[0]["text"]["text"]
    [actions] = [b for b in blocks if b["type"] == "actions"]
    buttons = {b["action_id"]: b for b in actions["elements"]}
    assert list(buttons) == ["lead_claim", "lead_refuse_territory", "lead_refuse_competence",
                             "lead_refuse_duplicate", "lead_refuse_other"]
    assert {b["value"] for b in buttons.values()} == {"REL-2026-00042"}
    assert [b["text"]["text"] for b in buttons.values()] == [
        "Je prends", "Pas pour nous : hors territoire", "Pas pour nous : hors compétence",
        "Pas pour nous : doublon", "Pas pour nous : autre motif"]
    assert "<https://aides.example/rebond|Prêt Rebond>" in texts
    assert "commune Valenciennes -&gt; cci-grand-hainaut" in texts


@pytest.mark.parametrize(("error", "status", "transient"), [
    ("channel_not_found", 200, False), ("not_in_channel", 200, False),
    ("invalid_auth", 200, False), ("ratelimited", 429, True), ("internal_error", 500, True),
    ("ratelimited", 200, True),
])
async def test_slack_errors(slack: FakeSlackAPI, catalog: Catalog, error: str, status: int,
                            transient: bool) -> None:
    slack.fail("chat.postMessage", error, status=status, headers={"Retry-After": "1"})
    notifier = notifier_for(slack.base_url, catalog)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery("C0GONE"))
    assert caught.value.transient is transient
    if status == 200:
        assert caught.value.code == error
    assert len(slack.calls_to("chat.postMessage", ok=None)) == 1    # no retry of its own


async def test_slack_unreachable_is_transient(catalog: Catalog) -> None:
    notifier = notifier_for(f"http://127.0.0.1:{closed_port()}/api/", catalog)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery("C0LEADS"))
    assert caught.value.transient is True


async def test_slack_timeout_is_transient(catalog: Catalog) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        notifier = notifier_for(f"http://127.0.0.1:{port}/api/", catalog, timeout=0.2)
        with pytest.raises(DeliveryError) as caught:
            await notifier.send(item=delivery("C0LEADS"))
    finally:
        server.close()
    assert caught.value.transient is True
    assert "timeout" in str(caught.value)


async def test_an_update_edits_the_card_and_says_so_in_its_thread(
    slack: FakeSlackAPI, catalog: Catalog
) -> None:
    notifier = notifier_for(slack.base_url, catalog)
    assert await notifier.send(item=update("C0LEADS:1700000000.000042")) == (
        "C0LEADS:1700000000.000042")
    [edit] = slack.calls_to("chat.update")
    assert (edit.body["channel"], edit.body["ts"]) == ("C0LEADS", "1700000000.000042")
    assert "Pris en charge par Camille" in json.dumps(edit.body["blocks"], ensure_ascii=False)
    [note] = slack.calls_to("chat.postMessage")
    assert note.body["thread_ts"] == "1700000000.000042"
    assert "blocks" not in note.body


async def test_an_update_of_a_deleted_card_posts_a_new_one(slack: FakeSlackAPI,
                                                           catalog: Catalog) -> None:
    slack.fail("chat.update", "message_not_found")
    notifier = notifier_for(slack.base_url, catalog)
    remote = await notifier.send(item=update("C0LEADS:1700000000.000042"))
    [card] = slack.calls_to("chat.postMessage")
    assert "thread_ts" not in card.body
    assert card.body["blocks"]
    assert remote == f"C0LEADS:{card.answer['ts']}"


# -- the card -----------------------------------------------------------------------------------

def test_lead_blocks_show_the_owner_and_drop_the_claim_button(catalog: Catalog) -> None:
    blocks = lead_blocks(payload(owner="Camille <@U0ADV>", status="taken"), catalog=catalog)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Pris en charge par Camille &lt;@U0ADV&gt;" in text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [b["action_id"] for b in actions["elements"]] == [
        "lead_close_helped", "lead_close_no_help", "lead_close_unreachable", "lead_reassign"]
    assert "Pris en charge" not in json.dumps(lead_blocks(payload(), catalog=catalog),
                                              ensure_ascii=False)


def test_lead_blocks_follow_the_state(catalog: Catalog) -> None:
    def ids(blocks: list[dict[str, Any]]) -> list[str]:
        return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]

    for status in ("closed_helped", "closed_no_help", "closed_unreachable", "abandoned"):
        blocks = lead_blocks(payload(owner="Camille", status=status), catalog=catalog)
        assert ids(blocks) == []
        assert catalog.label("notify_status", status, "fr") in json.dumps(blocks,
                                                                          ensure_ascii=False)
    refused = lead_blocks(payload(status="refused", status_reason="duplicate"), catalog=catalog)
    assert ids(refused) == ["lead_claim", "lead_close_no_help"]
    assert "Motif : doublon" in json.dumps(refused, ensure_ascii=False)
    handed = lead_blocks(payload(status="refused", status_reason="territory",
                                 rerouted_to="CCI <Oise>"), catalog=catalog)
    assert ids(handed) == []
    assert "Transmis à CCI &lt;Oise&gt;" in json.dumps(handed, ensure_ascii=False)


def test_lead_blocks_stay_within_slack_limits_for_huge_leads(catalog: Catalog) -> None:
    many = [{"id": f"a{i}", "name": f"Aide {i} " + "x" * 80, "url": f"https://a.example/{i}"}
            for i in range(300)]
    huge = payload(product="p" * 20_000, company="C" * 500, aids=many, partners=many,
                   score_reasons=["r" * 300] * 50, ref="REL-" + "9" * 200)
    blocks = lead_blocks(huge, catalog=catalog)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert block["text"]["text"].count("<") == block["text"]["text"].count(">")
    assert all(len(b.get("value", "")) <= 2000 for b in blocks[-2]["elements"])


def test_lead_blocks_survive_a_payload_of_nones(catalog: Catalog) -> None:
    blocks = lead_blocks(dict.fromkeys(payload()), catalog=catalog)
    assert blocks[0]["type"] == "header"
    assert "non renseigné" in blocks[0]["text"]["text"]


async def test_a_closing_without_a_first_card_still_redraws_the_reminders(
        slack: FakeSlackAPI, catalog: Catalog) -> None:
    """The lead's first card never reached Slack, its reminder did: the closing's update
    redraws the reminder without buttons and posts the closed card."""
    notifier = notifier_for(slack.base_url, catalog)
    reminder = await notifier.send(item=Delivery(
        idempotency_key="REL-2026-00042:reminder1:x", kind="reminder", target="C0LEADS",
        payload=payload(kind="reminder", working_days=3)))
    assert reminder is not None
    closing = Delivery(idempotency_key="REL-2026-00042:update:t2:slack:x", kind="update",
                       target="C0LEADS", cards=(("reminder", reminder),),
                       payload=payload(kind="update", status="closed_helped", owner="Camille",
                                       transition={"from": "taken", "to": "closed_helped"}))
    await notifier.send(item=closing)
    messages = slack.messages()
    assert len(messages) == 2
    assert all(b["type"] != "actions" for m in messages.values() for b in m["blocks"])
    assert all("clos : aidé" in json.dumps(m["blocks"], ensure_ascii=False)
               for m in messages.values())
