"""Webhook mode: POST /telegram/webhook through the Starlette app of `relocbot serve`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn

from adapters.telegram import TelegramChannel
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from ops.fakes.core import WrappedCore
from ops.fakes.telegram_api import (
    WEBHOOK_SECRET as SECRET,
)
from ops.fakes.telegram_api import (
    FakeTelegramAPI,
    callback_update,
    message_update,
    plain,
    user,
)
from ops.runtime import asgi_app

MakeChannel = Callable[..., TelegramChannel]

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def webhook(make_channel: MakeChannel) -> AsyncIterator[tuple[httpx.AsyncClient,
                                                                    TelegramChannel]]:
    """An httpx client on the ASGI app (lifespan done by hand: ASGITransport skips it)."""
    channel = make_channel()
    app = asgi_app(channel.runtime, channels=[channel])  # type: ignore[attr-defined]
    await channel.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relocbot") as client:
        yield client, channel
    await channel.stop()


async def post(client: httpx.AsyncClient, body: Any, secret: str | None = SECRET,
               raw: bytes | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    content = raw if raw is not None else json.dumps(body).encode()
    return await client.post("/telegram/webhook", content=content, headers=headers)


async def test_right_secret_is_answered_wrong_or_missing_is_refused(
    webhook: tuple[httpx.AsyncClient, TelegramChannel], fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    client, _ = webhook
    update = message_update("/aide", sender=user(21), update_id=20_000_001)
    assert (await post(client, update, secret="wrong")).status_code == 403
    assert (await post(client, update, secret=SECRET + "x")).status_code == 403
    assert (await post(client, update, secret=None)).status_code == 403
    assert (await post(client, update, secret="")).status_code == 403
    assert fake_api.sent() == []
    # Nothing was processed: the refused deliveries did not even use up the update id.
    response = await post(client, update)
    assert response.status_code == 200
    [sent] = fake_api.sent(21)
    assert catalog.t("help", "fr") in plain(sent["text"])


async def test_malformed_bodies_get_400_and_nothing_is_sent(
    webhook: tuple[httpx.AsyncClient, TelegramChannel], fake_api: FakeTelegramAPI
) -> None:
    client, _ = webhook
    assert (await post(client, None, raw=b"{not json")).status_code == 400
    assert (await post(client, None, raw=b"\xff\xfe")).status_code == 400
    assert (await post(client, [1, 2])).status_code == 400
    assert (await post(client, {"message": {"text": "no update id"}})).status_code == 400
    assert (await post(client, {"update_id": "7"})).status_code == 400
    assert fake_api.sent() == []


async def test_a_webhook_retry_is_answered_once_and_unknown_updates_are_fine(
    webhook: tuple[httpx.AsyncClient, TelegramChannel], fake_api: FakeTelegramAPI
) -> None:
    client, _ = webhook
    update = message_update("/start", sender=user(22), update_id=20_000_002)
    assert (await post(client, update)).status_code == 200
    assert (await post(client, update)).status_code == 200  # Telegram retried
    assert len(fake_api.sent(22)) == 1
    poll = {"update_id": 20_000_003, "poll": {"id": "p", "question": "?", "options": [],
                                              "total_voter_count": 0, "is_closed": False,
                                              "is_anonymous": True, "type": "regular",
                                              "allows_multiple_answers": False}}
    member = {"update_id": 20_000_004, "my_chat_member": {
        "chat": {"id": -100, "type": "supergroup", "title": "G"}, "from": user(22), "date": 0,
        "old_chat_member": {"status": "left", "user": user(123456, is_bot=True)},
        "new_chat_member": {"status": "member", "user": user(123456, is_bot=True)}}}
    # Acknowledged (a retry would not help), ignored, nothing sent.
    assert (await post(client, poll)).status_code == 200  # one this SDK cannot decode
    assert (await post(client, member)).status_code == 200
    assert len(fake_api.sent()) == 1


async def test_concurrent_webhook_calls_of_one_chat_are_answered_in_order(
    webhook: tuple[httpx.AsyncClient, TelegramChannel], fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    client, _ = webhook
    me = user(23)
    texts = ["/langue en", "/aide", "/langue fr", "/aide"]
    updates = [message_update(t, sender=me) for t in texts]
    tasks = []
    for update in updates:  # Telegram may open several connections at once
        tasks.append(asyncio.create_task(post(client, update)))
        await asyncio.sleep(0)
    assert [r.status_code for r in await asyncio.gather(*tasks)] == [200] * 4
    replies = [plain(m["text"]) for m in fake_api.sent(23)]
    assert replies[0] == catalog.t("lang_set", "en")
    assert catalog.t("help", "en") in replies[1]
    assert replies[2] == catalog.t("lang_set", "fr")
    assert catalog.t("help", "fr") in replies[3]


async def test_relocbot_serve_app_over_real_http_with_lifespan(
    make_channel: MakeChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    """uvicorn on a random port runs the lifespan: start() -> getMe + setMyCommands."""
    channel = make_channel()
    app = asgi_app(channel.runtime, channels=[channel])  # type: ignore[attr-defined]
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]
        assert [c.method for c in fake_api.calls[:2]] == ["getMe", "setMyCommands"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            update = message_update("/start", sender=user(24, lang="en"))
            assert (await post(client, update, secret="nope")).status_code == 403
            assert (await post(client, update)).status_code == 200
        [sent] = fake_api.sent(24)
        assert catalog.t("welcome", "en") in plain(sent["text"])
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
    assert not channel.ready.is_set()  # the lifespan's shutdown stopped the channel


async def test_set_webhook_passes_the_secret_token(
    make_channel: MakeChannel, fake_api: FakeTelegramAPI
) -> None:
    channel = make_channel()
    await channel.start()
    try:
        await channel.set_webhook("https://bot.example.fr/telegram/webhook")
    finally:
        await channel.stop()
    [call] = fake_api.of("setWebhook")
    assert call.params["url"] == "https://bot.example.fr/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]


async def test_without_a_configured_secret_every_call_is_refused(
    make_channel: MakeChannel, fake_api: FakeTelegramAPI
) -> None:
    channel = make_channel(telegram_webhook_secret=None)
    app = asgi_app(channel.runtime, channels=[channel])  # type: ignore[attr-defined]
    await channel.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relocbot") as client:
            update = message_update("/start", sender=user(25))
            assert (await post(client, update, secret="")).status_code == 403
            assert (await post(client, update, secret=None)).status_code == 403
    finally:
        await channel.stop()
    assert fake_api.sent() == []


async def test_a_failure_behind_the_webhook_gets_the_polite_reply_without_the_text_in_logs(
    make_channel: MakeChannel, fake_api: FakeTelegramAPI, catalog: Catalog,
    caplog: pytest.LogCaptureFixture
) -> None:
    channel = make_channel(FailingAssistant)
    app = asgi_app(channel.runtime, channels=[channel])  # type: ignore[attr-defined]
    await channel.start()
    caplog.set_level(logging.DEBUG)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relocbot") as client:
            failing = message_update("Mon SIREN est 552100554", sender=user(26, lang="en"))
            assert (await post(client, failing)).status_code == 200
            assert (await post(client, message_update("/aide", sender=user(26, lang="en")))
                    ).status_code == 200
    finally:
        await channel.stop()
    apology, helped = fake_api.sent(26)
    assert plain(apology["text"]) == catalog.t("error", "en")
    assert catalog.t("help", "en") in plain(helped["text"])
    [failure] = [r for r in caplog.records if r.getMessage() == "telegram update failed"]
    assert failure.exc_info
    assert failure.exc_info[1] is not None
    assert failure.exc_info[1].args == ("simulated failure",)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "552100554" not in logged
    assert "SIREN" not in logged


async def test_button_presses_through_the_webhook_are_acknowledged_and_answered(
    webhook: tuple[httpx.AsyncClient, TelegramChannel], fake_api: FakeTelegramAPI,
    catalog: Catalog
) -> None:
    client, _ = webhook
    assert (await post(client, callback_update("menu:ask", sender=user(27)))).status_code == 200
    [answer] = fake_api.sent(27)
    assert plain(answer["text"]) == catalog.t("ask_prompt", "fr")
    assert len(fake_api.of("answerCallbackQuery")) == 1


class FailingAssistant(WrappedCore):
    """Blows up on a message naming a SIREN, as a bug or a dead database would."""

    async def handle(self, incoming: Incoming) -> list[Reply]:
        if incoming.text and "SIREN" in incoming.text:
            raise RuntimeError("simulated failure")
        return await super().handle(incoming)
