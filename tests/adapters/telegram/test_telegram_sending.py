"""Where a reply goes: the same target from the dict Telegram posts and from the SDK's Update."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from adapters.telegram.sending import ChatTarget
from ops.fakes.telegram_api import callback_update, chat, message_update, user

GROUP = {"id": -100200, "type": "supergroup", "title": "Équipe"}
FORUM = {"id": -100555, "type": "supergroup", "title": "Forum", "is_forum": True}


@pytest.mark.parametrize(("update", "expected"), [
    (message_update("Bonjour", sender=user(7)), (7, "private", None, False)),
    (message_update("@bot Bonjour", sender=user(7), in_chat=GROUP), (-100200, "supergroup",
                                                                     None, True)),
    (message_update("@bot ?", sender=user(7), in_chat=FORUM, message_thread_id=9,
                    is_topic_message=True), (-100555, "supergroup", 9, True)),
    (callback_update("menu:ask", sender=user(8)), (8, "private", None, False)),
    (callback_update("menu:ask", sender=user(8), in_chat=chat(-100200, "group")),
     (-100200, "group", None, False)),
])
def test_the_target_is_the_same_from_the_payload_and_from_the_sdk(
        update: dict[str, Any], expected: tuple[int, str, int | None, bool]) -> None:
    from_payload = ChatTarget.of(update)
    from_sdk = ChatTarget.of(Update.de_json(update, None))
    assert from_payload == from_sdk
    assert from_payload is not None
    chat_id, chat_type, thread, quoted = expected
    assert (from_payload.chat_id, from_payload.chat_type, from_payload.thread_id) == (
        chat_id, chat_type, thread)
    quote = update["message"]["message_id"] if quoted else None
    assert from_payload.reply_to == quote   # a group member's message is quoted


def test_other_updates_have_no_target() -> None:
    assert ChatTarget.of({"update_id": 1, "poll": {"id": "p"}}) is None
    assert ChatTarget.of({"update_id": 2, "message": {"message_id": 1, "text": "x"}}) is None
