"""A digression inside the lead form may follow up the previous digression (found trying it
as a person: "Et si on a 300 salariés ?" after an aid question asked inside the form became a
partner search)."""

from __future__ import annotations

from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase


async def test_a_follow_up_digression_in_the_lead_form_stays_on_its_topic(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key="form",
                                            user_id="form", text=text))
        return "\n".join(r.text for r in replies)

    await say("Je voudrais parler à un conseiller")
    assert catalog.t("lead_q_company", "fr") in await say("oui")
    await say("Quelles aides pour une PME de 40 salariés à Lens qui relocalise sa production ?")
    followup = await say("Et si on a 300 salariés ?")
    assert catalog.t("partner_results_title", "fr") not in followup
    assert catalog.t("partner_results_nearest", "fr") not in followup
    assert catalog.t("form_resume", "fr") in followup
    assert catalog.t("lead_q_company", "fr") in followup          # the form is where it was
