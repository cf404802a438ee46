"""Security and abuse through the real Application: no secret or personal data in any log
line of a full scenario, and one user's flood does not slow the others down."""

from __future__ import annotations

import logging
import time

import pytest

from tests.fakes.telegram_api import (
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegramAPI,
    callback_update,
    message_update,
    user,
)

EMAIL, PHONE, SIREN = "secret.person@example.fr", "06 98 76 54 32", "732829320"


async def test_logs_of_a_full_scenario_hold_no_secret_or_personal_data(
    make_channel, polling, fake_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await polling(make_channel())
    me = user(801)
    steps = [message_update("/start", sender=me),
             message_update(f"Je suis joignable au {PHONE} ou {EMAIL}, quelles aides ?",
                            sender=me),
             message_update("/conseiller", sender=me), callback_update("lf:consent:yes",
                                                                      sender=me),
             message_update("Ateliers Secrets", sender=me), message_update(SIREN, sender=me),
             message_update("Valenciennes", sender=me), message_update("40", sender=me),
             callback_update("lf:skip", sender=me), message_update("Chemises", sender=me),
             callback_update("lf:skip", sender=me), callback_update("lf:choice:pret", sender=me),
             callback_update("lf:choice:inconnu", sender=me),
             message_update("Camille Secret", sender=me), message_update(EMAIL, sender=me),
             message_update(PHONE, sender=me), callback_update("lf:confirm", sender=me)]
    for step in steps:
        before = len(fake_api.sent(801))
        fake_api.push(step)
        await fake_api.wait_calls("sendMessage", before + 1, chat_id=801)
    assert "REL-" in fake_api.sent(801)[-1]["text"]
    everything = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (TOKEN, WEBHOOK_SECRET, EMAIL, PHONE, PHONE.replace(" ", ""), "+33698765432",
                   SIREN, "Camille Secret", "Ateliers Secrets", "joignable"):
        assert secret not in everything, secret


async def test_one_users_flood_is_throttled_and_others_keep_their_latency(
    make_channel, polling, fake_api: FakeTelegramAPI
) -> None:
    await polling(make_channel(rate_limit_per_minute=20))
    flooder, other = user(811), user(812)
    fake_api.push(*(message_update(f"/aide {i}", sender=flooder) for i in range(300)))
    started = time.perf_counter()
    fake_api.push(message_update("/aide", sender=other))
    await fake_api.wait_calls("sendMessage", chat_id=812)
    other_latency = time.perf_counter() - started
    await fake_api.settle(0.5)
    assert len(fake_api.sent(811)) == 21          # 20 answers, then one polite refusal
    assert other_latency < 5.0                    # generous: the flood is dropped cheaply
