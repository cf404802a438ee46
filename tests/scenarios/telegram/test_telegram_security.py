"""Security and abuse through the real Application: no secret or personal data in any log
line of a full scenario, and one user's flood is dropped before it costs the others anything."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.i18n import Catalog
from bot.storage import Database
from bot.storage.tables import ProcessedEvent
from ops.fakes.telegram_api import (
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegramAPI,
    lead_form_updates,
    message_update,
    user,
)
from tests.scenarios.telegram.conftest import MakeChannel, StartPolling

EMAIL, PHONE, SIREN = "secret.person@example.fr", "06 98 76 54 32", "732829320"


async def test_logs_of_a_full_scenario_hold_no_secret_or_personal_data(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await polling(make_channel())
    me = user(801)
    steps = [message_update("/start", sender=me),
             message_update(f"Je suis joignable au {PHONE} ou {EMAIL}, quelles aides ?",
                            sender=me),
             *lead_form_updates(me, company="Ateliers Secrets", siren=SIREN,
                                contact="Camille Secret", email=EMAIL, phone=PHONE)]
    for step in steps:
        before = len(fake_api.sent(801))
        fake_api.push(step)
        await fake_api.wait_calls("sendMessage", before + 1, chat_id=801)
        await fake_api.settle(0.2)  # an answer may come in several messages
    assert "REL-" in fake_api.sent(801)[-1]["text"]
    everything = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (TOKEN, WEBHOOK_SECRET, EMAIL, PHONE, PHONE.replace(" ", ""), "+33698765432",
                   SIREN, "Camille Secret", "Ateliers Secrets", "joignable"):
        assert secret not in everything, secret


async def test_one_users_flood_is_throttled_and_others_keep_being_served(
    make_channel: MakeChannel, polling: StartPolling, fake_api: FakeTelegramAPI, db: Database
) -> None:
    """1,000 messages from one user: 20 answers and one polite refusal; the rest are dropped
    before any database work, so they cost the others nothing (the latency ratio is in
    `relocbot bench`, not asserted here)."""
    await polling(make_channel(rate_limit_per_minute=20))
    flooder, other = user(811), user(812)
    fake_api.push(*(message_update(f"/aide {i}", sender=flooder) for i in range(1000)))
    fake_api.push(message_update("/aide", sender=other))
    await fake_api.wait_calls("sendMessage", chat_id=812)
    await fake_api.settle(0.5)
    assert len(fake_api.sent(811)) == 21          # 20 answers, then one polite refusal
    assert fake_api.sent(811)[-1]["text"] == Catalog.load().t("rate_limited", "fr")
    async with db.sessions() as session:
        claimed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert claimed == 21                          # 20 of the flood + the other user's
