"""`relocbot telegram set-webhook / delete-webhook` against the fake Bot API."""

from __future__ import annotations

import pytest

from adapters.telegram.admin import delete_webhook, set_webhook
from bot.errors import ConfigError
from bot.settings import Settings
from ops.fakes.telegram_api import TOKEN, WEBHOOK_SECRET, FakeTelegramAPI


def settings(fake: FakeTelegramAPI, **extra: object) -> Settings:
    values = {"telegram_bot_token": TOKEN, "telegram_api_base_url": fake.base_url,
              "telegram_webhook_secret": WEBHOOK_SECRET, **extra}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_set_and_delete_webhook(fake_api: FakeTelegramAPI) -> None:
    assert await set_webhook(settings(fake_api), "https://bot.example.fr/telegram/webhook")
    [call] = fake_api.of("setWebhook")
    assert call.params["url"] == "https://bot.example.fr/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert await delete_webhook(settings(fake_api))
    assert fake_api.of("deleteWebhook")


async def test_set_webhook_refuses_without_secret_or_https(fake_api: FakeTelegramAPI) -> None:
    with pytest.raises(ConfigError):
        await set_webhook(settings(fake_api, telegram_webhook_secret=None), "https://x.fr/h")
    with pytest.raises(ConfigError):
        await set_webhook(settings(fake_api), "http://bot.example.fr/telegram/webhook")
    assert fake_api.of("setWebhook") == []
