"""A digression inside the lead form may follow up the previous digression (found trying it
as a person: "Et si on a 300 salariés ?" after an aid question asked inside the form became a
partner search)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

Say = Callable[[str], Awaitable[str]]


def _talk(bot: Assistant, key: str) -> Say:
    """One person's conversation with ``bot``: each message's replies as one text."""

    async def say(text: str) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key=key,
                                            user_id=key, text=text))
        return "\n".join(r.text for r in replies)

    return say


async def test_a_follow_up_digression_in_the_lead_form_stays_on_its_topic(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    say = _talk(build_assistant(kb=kb, db=db, catalog=catalog,
                                settings=Settings(_env_file=None)), "form")
    await say("Je voudrais parler à un conseiller")
    assert catalog.t("lead_q_company", "fr") in await say("oui")
    await say("Quelles aides pour une PME de 40 salariés à Lens qui relocalise sa production ?")
    followup = await say("Et si on a 300 salariés ?")
    assert catalog.t("partner_results_title", "fr") not in followup
    assert catalog.t("partner_results_nearest", "fr") not in followup
    assert catalog.t("form_resume", "fr") in followup
    assert catalog.t("lead_q_company", "fr") in followup          # the form is where it was


async def test_in_the_aid_finder_a_question_is_answered_and_hello_is_not_thanks(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    """Found trying it as a person: at the finder's department question, "What is the 24 hours
    to relocate event?" was stored as the project ("Noted: project: relocation") and "Salut !"
    got "You're welcome"."""
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))

    async def say(text: str | None = None, action: str | None = None) -> str:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key="finder",
                                            user_id="finder", text=text, action=action,
                                            kind="action" if action else "text"))
        return "\n".join(r.text for r in replies)

    assert catalog.t("finder_ask_department", "fr") in await say(action="menu:aid")
    event = await say("What is the 24 hours to relocate event?")
    assert "24" in event.split("\n")[0]
    assert catalog.t("finder_noted", "en", summary="").split(":")[0] not in event
    assert catalog.t("form_resume", "en") in event
    hello = await say("Salut !")
    assert catalog.t("thanks_reply", "fr") not in hello
    assert catalog.t("thanks_reply", "en") not in hello
    assert catalog.t("form_resume", "fr") in hello or catalog.t("form_resume", "en") in hello


async def test_a_funding_question_without_a_subject_does_not_start_the_finder(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))
    replies = await bot.handle(Incoming(channel="terminal", conversation_key="who",
                                        user_id="who", text="qui le finance ?"))
    assert catalog.t("finder_ask_department", "fr") not in "\n".join(r.text for r in replies)


async def test_the_gdpr_asked_at_the_consent_step_is_explained_then_consent_asked_again(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    """Found trying it as a person: "c'est quoi la rgpd ?" at the consent question got three
    unrelated sentences (the regional guarantee fund...)."""
    settings = Settings(_env_file=None, retain_leads_months=24)
    say = _talk(build_assistant(kb=kb, db=db, catalog=catalog, settings=settings), "gdpr")
    assert catalog.t("lead_consent", "fr") in await say("je voudrais parler à un conseiller")
    privacy = catalog.t("privacy_reply", "fr", months=24, days="90")
    for question in ("c'est quoi la rgpd ?", "rgpd ?"):
        reply = await say(question)
        assert reply.startswith(privacy)
        assert catalog.t("lead_consent", "fr") in reply          # asked again, nothing stored
    assert catalog.t("lead_q_company", "fr") in await say("oui")
    assert (await say("what do you do with my personal data?")).startswith(
        catalog.t("privacy_reply", "en", months=24, days="90"))


async def test_refusing_with_words_about_data_is_a_refusal(kb: KnowledgeBase, db: Database,
                                                           catalog: Catalog) -> None:
    say = _talk(build_assistant(kb=kb, db=db, catalog=catalog,
                                settings=Settings(_env_file=None)), "refuse")
    await say("I'd like to talk to an advisor")
    reply = await say("no thanks, I don't want my data stored")
    assert not reply.startswith(catalog.t("privacy_reply", "en", months=36, days="90"))
    assert catalog.t("lead_consent", "en") not in reply            # taken as the answer
