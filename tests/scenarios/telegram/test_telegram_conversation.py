"""The conversation through the real PTB Application against the fake Bot API: small talk,
an advisor asked for in words, typed answers, a digression in the form, follow-ups."""

from __future__ import annotations

from adapters.telegram import TelegramChannel
from bot.i18n import Catalog
from bot.storage import Database
from ops.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.telegram.test_telegram_flows import Chat


async def test_a_new_user_talks_to_relocbot_in_telegram(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog, db: Database
) -> None:
    chat = Chat(fake_api, 611)
    assert catalog.t("greeting_reply", "fr") in await chat.say("Bonjour")
    assert catalog.t("lead_consent", "fr") in await chat.say(
        "Je voudrais parler à un conseiller")
    assert catalog.t("lead_q_company", "fr") in await chat.say("oui")
    digression = await chat.say("Qui peut reconditionner de l'électroménager ?")
    assert "ENVIE" in digression.upper()
    assert catalog.t("form_resume", "fr") in digression
    assert catalog.t("lead_q_company", "fr") in digression
    assert catalog.t("lead_q_siren", "fr") in await chat.say("Ateliers Dupont")
    assert catalog.t("lead_cancelled", "fr") in await chat.say("laisse tomber")


async def test_follow_ups_and_record_questions_in_telegram(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    chat = Chat(fake_api, 612)
    first = await chat.say("Quelles aides pour une PME de 40 salariés à Lens qui relocalise "
                           "sa production de vélos ?")
    assert "Lens" in first
    assert catalog.t("finder_results_title", "fr") in first
    assert "300" in await chat.say("Et si on a 300 salariés ?")
    amount = await chat.say("Et le montant du premier ?")
    assert amount.split("\n", 1)[0].strip()                # a sentence first, not a card
    assert "15 M€" in (await chat.say("Quel est le montant maximum du PNI ?"))[:200]
    cci = await chat.say("Quel est le contact de la CCI pour Lens ?")
    assert cci.startswith(catalog.t("cci_desk", "fr", place="Lens", name="CCI Artois"))
    english = await chat.say("How much is the PNI?")
    assert "EUR 15 million" in english[:200]
