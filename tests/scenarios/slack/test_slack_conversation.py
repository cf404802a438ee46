"""The conversation in Slack through bolt's AsyncApp against the fake Web API: a hackathon
team's greeting and follow-ups in a thread, an advisor asked for in words in a DM with typed
answers, and a digression inside the form."""

from __future__ import annotations

from typing import Any

from bot.i18n import Catalog
from ops.fakes.slack_api import mention_event, message_event
from tests.scenarios.slack.slack_harness import MakeSlack, SlackHarness


def text_of(post: Any) -> str:
    body = post.body
    return str(body.get("text", "")) + " " + " ".join(
        str(b.get("text", {}).get("text", "")) for b in body.get("blocks", [])
        if isinstance(b.get("text"), dict))


class Thread:
    def __init__(self, slack: SlackHarness) -> None:
        self.slack, self.seen, self.ts = slack, 0, None

    async def _replies(self, sent: int = 1) -> str:
        posts = await self.slack.fake.wait_for("chat.postMessage", self.seen + sent)
        await self.slack.settle()
        posts = self.slack.fake.calls_to("chat.postMessage")
        fresh, self.seen = posts[self.seen:], len(posts)
        return "\n".join(text_of(p) for p in fresh)

    async def mention(self, text: str) -> str:
        event = mention_event(text, thread_ts=self.ts)
        self.ts = self.ts or event["ts"]
        await self.slack.event(event)
        return await self._replies()

    async def dm(self, text: str) -> str:
        await self.slack.event(message_event(text, channel="D0DM", channel_type="im"))
        return await self._replies()


async def test_a_team_greets_then_follows_up_in_a_thread(make_slack: MakeSlack,
                                                        catalog: Catalog) -> None:
    thread = Thread(await make_slack())
    assert catalog.t("greeting_reply", "fr") in await thread.mention("Bonjour !")
    first = await thread.mention("Quelles aides pour une PME de 40 salariés à Lens qui "
                                 "relocalise sa production de vélos ?")
    assert "Lens" in first
    assert "300" in await thread.mention("Et si on a 300 salariés ?")
    assert "15 M€" in await thread.mention("Quel est le montant maximum du PNI ?")


async def test_an_advisor_asked_for_in_a_dm_with_typed_answers(make_slack: MakeSlack,
                                                              catalog: Catalog) -> None:
    dm = Thread(await make_slack())
    assert catalog.t("lead_consent", "fr") in await dm.dm("je voudrais parler à un conseiller")
    assert catalog.t("lead_q_company", "fr") in await dm.dm("oui")
    digression = await dm.dm("c'est quoi un SIREN ?")
    assert "9 chiffres" in digression
    assert catalog.t("lead_q_company", "fr") in digression
    assert catalog.t("lead_q_siren", "fr") in await dm.dm("Ateliers Dupont")
    assert catalog.t("lead_cancelled", "fr") in await dm.dm("stop")
