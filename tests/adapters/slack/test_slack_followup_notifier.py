"""The Slack notifier's part in following a lead up (issue #15, part 2), against the fake Slack
Web API: an abandoned lead's card is redrawn without buttons and the thread told; the
company's reply is quoted in the card's thread, escaped, and redrawn as erased on /oublier;
the card says that its thread reaches the company."""

from __future__ import annotations

import json

from adapters.slack.lead_cards import lead_blocks
from adapters.slack.notifier import SlackNotifier
from bot.i18n import Catalog
from bot.leads.notifiers import Delivery
from ops.fakes.slack_api import FakeSlackAPI
from tests.leads.test_notifiers import payload

CARD = "C0LEADS:1700000000.000042"


def notifier_for(slack: FakeSlackAPI, catalog: Catalog) -> SlackNotifier:
    return SlackNotifier(token="xoxb-test", catalog=catalog, base_url=slack.base_url)


def action_ids(blocks: list[dict[str, object]]) -> list[str]:
    return [str(e["action_id"]) for b in blocks if b["type"] == "actions"
            for e in b["elements"]]  # type: ignore[attr-defined]


async def test_an_abandoned_lead_s_card_loses_its_buttons(slack: FakeSlackAPI,
                                                         catalog: Catalog) -> None:
    item = Delivery(idempotency_key="REL-2026-00042:abandoned4:x", kind="abandoned",
                    target="C0LEADS", previous_ref=CARD,
                    payload=payload(kind="abandoned", status="abandoned", working_days=45))
    assert await notifier_for(slack, catalog).send(item=item) == CARD
    [edit] = slack.calls_to("chat.update")
    assert action_ids(edit.body["blocks"]) == []
    drawn = json.dumps(edit.body["blocks"], ensure_ascii=False)
    assert "45 jours ouvrés" in drawn
    assert "abandonné" in drawn
    [note] = slack.calls_to("chat.postMessage")
    assert note.body["thread_ts"] == "1700000000.000042"
    assert note.body["text"] == catalog.t("notify_abandoned_thread", "fr", ref="REL-2026-00042")


async def test_the_company_s_reply_is_quoted_in_the_thread(slack: FakeSlackAPI,
                                                           catalog: Catalog) -> None:
    notifier = notifier_for(slack, catalog)
    reply = Delivery(idempotency_key="REL-2026-00042:company_reply:1", kind="company_reply",
                     target="C0LEADS", payload={
                         "ref": "REL-2026-00042", "kind": "company_reply", "lang": "en",
                         "thread_ts": "1700000000.000042",
                         "text": "Merci <@U0BOSS> & <!here>,\njeudi 10 h ?"})
    remote = await notifier.send(item=reply)
    [post] = slack.calls_to("chat.postMessage")
    assert remote == f"C0LEADS:{post.answer['ts']}"
    assert (post.body["channel"], post.body["thread_ts"]) == ("C0LEADS", "1700000000.000042")
    assert post.body["text"] == (
        f"*{catalog.t('notify_company_reply', 'fr', ref='REL-2026-00042')}*\n"
        "> Merci &lt;@U0BOSS&gt; &amp; &lt;!here&gt;,\n> jeudi 10 h ?")
    erased = Delivery(idempotency_key="REL-2026-00042:erased:slack:x", kind="erased",
                      target="C0LEADS", payload=payload(
                          kind="erased", erased=True, erased_ref=remote,
                          erased_kind="company_reply"))
    assert await notifier.send(item=erased) == remote
    [edit] = slack.calls_to("chat.update")
    assert edit.body["ts"] == post.answer["ts"]
    assert edit.body["text"] == catalog.t("notify_reply_erased", "fr")
    assert "blocks" not in edit.body
    gone = Delivery(idempotency_key="REL-2026-00042:company_reply:2", kind="company_reply",
                    target="C0LEADS", payload={"ref": "REL-2026-00042",
                                               "kind": "company_reply", "erased": True})
    assert await notifier.send(item=gone) is None       # erased before it went: nothing
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_the_card_says_its_thread_reaches_the_company(catalog: Catalog) -> None:
    hint = catalog.t("notify_relay_hint", "fr")
    assert hint in json.dumps(lead_blocks(payload(), catalog=catalog), ensure_ascii=False)
    for gone in (payload(erased=True), payload(status="refused", rerouted_to="CCI Oise")):
        assert hint not in json.dumps(lead_blocks(gone, catalog=catalog), ensure_ascii=False)
