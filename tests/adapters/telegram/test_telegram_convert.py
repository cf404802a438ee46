"""Pure conversions: Telegram update dicts -> Incoming, Reply -> HTML messages."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from telegram import Update

from adapters.telegram.convert import (
    MAX_CALLBACK_BYTES,
    MAX_MESSAGE_CHARS,
    CallbackStore,
    reply_to_messages,
    telegram_length,
    update_to_incoming,
)
from bot.i18n import Catalog
from bot.messages import Button, Citation, Reply
from ops.fakes.telegram_api import (
    BOT_USERNAME,
    TelegramHTML,
    callback_update,
    chat,
    message_update,
    parse_html,
    user,
)

GROUP = chat(-100200, "supergroup")
ALLOWED_TAGS = {"a", "b"}


def convert(update: dict[str, object], store: CallbackStore | None = None):  # type: ignore[no-untyped-def]
    """The payload converted, checked to convert alike when it comes as the SDK's ``Update``
    (the adapter's path: a view over the object, nothing serialised)."""
    incoming = update_to_incoming(update, bot_username=BOT_USERNAME, store=store)
    try:
        sdk_update = Update.de_json(update, None)
    except (KeyError, TypeError):  # a sketchy payload the SDK would not parse either
        return incoming
    assert update_to_incoming(sdk_update, bot_username=BOT_USERNAME, store=store) == incoming
    return incoming


def parse(text: str) -> TelegramHTML:
    parsed = parse_html(text)
    assert set(parsed_tags(text)) <= ALLOWED_TAGS
    return parsed


def parsed_tags(text: str) -> list[str]:
    return re.findall(r"</?([a-z-]+)", text)


# -- update_to_incoming ------------------------------------------------------------------------


def test_private_text_becomes_incoming_with_keys_and_event_id() -> None:
    update = message_update("Quelles aides ?", sender=user(7, lang="fr"), update_id=555)
    incoming = convert(update)
    assert incoming is not None
    assert incoming.channel == "telegram"
    assert incoming.kind == "text"
    assert incoming.conversation_key == "telegram:7:7"
    assert incoming.user_id == "7"
    assert incoming.text == "Quelles aides ?"
    assert incoming.event_id == "update:555"
    assert incoming.lang_hint == "fr"


@pytest.mark.parametrize("code", ["en", "en-GB", None])
def test_language_code_becomes_lang_hint(code: str | None) -> None:
    incoming = convert(message_update("hello", sender=user(7, lang=code)))
    assert incoming is not None
    assert incoming.lang_hint == code


def test_update_objects_are_accepted_like_dicts() -> None:
    payload = message_update("Bonjour", sender=user(9), update_id=77)
    incoming = convert(Update.de_json(payload, None).to_dict())
    assert incoming == convert(payload)
    assert update_to_incoming(Update.de_json(payload, None), bot_username=BOT_USERNAME) == incoming


def test_group_text_without_mention_is_ignored() -> None:
    assert convert(message_update("On parle des aides ?", in_chat=GROUP)) is None


def test_group_mention_is_answered_and_stripped_per_member() -> None:
    first = convert(message_update(f"@{BOT_USERNAME.upper()}  Quelles aides pour un atelier ?",
                                   sender=user(1), in_chat=GROUP))
    second = convert(message_update(f"Et pour moi, @{BOT_USERNAME} ?", sender=user(2),
                                    in_chat=GROUP))
    assert first is not None
    assert second is not None
    assert first.text == "Quelles aides pour un atelier ?"
    assert second.text == "Et pour moi, ?"
    assert first.conversation_key == "telegram:-100200:1"
    assert second.conversation_key == "telegram:-100200:2"
    # Someone else's handle that merely starts with ours is not a mention.
    assert convert(message_update(f"@{BOT_USERNAME}_fan salut", in_chat=GROUP)) is None


def test_group_reply_to_the_bot_is_answered() -> None:
    incoming = convert(message_update("Et dans le Pas-de-Calais ?", in_chat=GROUP,
                                      reply_to_bot=True))
    assert incoming is not None
    assert incoming.text == "Et dans le Pas-de-Calais ?"


def test_commands_with_bot_name_pass_through_and_other_bots_are_ignored() -> None:
    ours = convert(message_update(f"/start@{BOT_USERNAME}", in_chat=GROUP))
    bare = convert(message_update("/langue en", in_chat=GROUP))
    assert ours is not None
    assert ours.text == f"/start@{BOT_USERNAME}"  # the core strips it
    assert bare is not None
    assert bare.text == "/langue en"
    assert convert(message_update("/start@another_bot", in_chat=GROUP)) is None
    private = convert(message_update(f"/aide@{BOT_USERNAME}"))
    assert private is not None
    assert private.text == f"/aide@{BOT_USERNAME}"


def test_callback_query_becomes_an_action() -> None:
    incoming = convert(callback_update("fb:up", sender=user(5, lang="en"), update_id=900))
    assert incoming is not None
    assert incoming.kind == "action"
    assert incoming.action == "fb:up"
    assert incoming.text is None
    assert incoming.conversation_key == "telegram:5:5"
    assert incoming.event_id == "update:900"
    assert incoming.lang_hint == "en"
    in_group = convert(callback_update("menu:ask", sender=user(5), in_chat=GROUP))
    assert in_group is not None
    assert in_group.conversation_key == "telegram:-100200:5"


def test_callback_query_without_message_or_data_is_ignored() -> None:
    update = callback_update("fb:up")
    del update["callback_query"]["message"]
    update["callback_query"]["inline_message_id"] = "abc"
    assert convert(update) is None
    game = callback_update("x")
    del game["callback_query"]["data"]
    assert convert(game) is None


@pytest.mark.parametrize("media", [
    {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
                 "height": 512, "is_animated": False, "is_video": False}},
    {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}],
     "caption": "Regardez"},
    {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
])
def test_media_is_unsupported(media: dict[str, Any]) -> None:
    incoming = convert(message_update(None, **media))
    assert incoming is not None
    assert incoming.kind == "unsupported"
    assert incoming.text is None
    assert incoming.event_id is not None
    # In a group, media is only answered when it is addressed to the bot.
    assert convert(message_update(None, in_chat=GROUP, **media)) is None
    assert convert(message_update(None, in_chat=GROUP, reply_to_bot=True, **media)) is not None


def test_group_photo_with_a_mention_in_the_caption_is_answered() -> None:
    update = message_update(None, in_chat=GROUP, caption=f"@{BOT_USERNAME} c'est quoi ?",
                            photo=[{"file_id": "p", "file_unique_id": "p", "width": 1,
                                    "height": 1}])
    incoming = convert(update)
    assert incoming is not None
    assert incoming.kind == "unsupported"


@pytest.mark.parametrize("update", [
    message_update("modifié", key="edited_message"),
    message_update("annonce", key="channel_post", in_chat=chat(-100300, "channel")),
    message_update(None, in_chat=GROUP, new_chat_members=[user(8)]),
    message_update(None, in_chat=GROUP, left_chat_member=user(8)),
    message_update("bip", sender=user(99, is_bot=True)),
    {"update_id": 1, "my_chat_member": {"chat": GROUP, "from": user(), "date": 0,
                                        "old_chat_member": {}, "new_chat_member": {}}},
    {"update_id": 2, "inline_query": {"id": "q", "from": user(), "query": "aides",
                                      "offset": ""}},
    {"update_id": 3},
], ids=["edited", "channel_post", "join", "leave", "other_bot", "my_chat_member",
        "inline_query", "empty"])
def test_unexpected_updates_are_ignored(update: dict[str, object]) -> None:
    assert convert(update) is None


# -- reply_to_messages -------------------------------------------------------------------------


def test_text_is_escaped_and_sources_are_links(catalog: Catalog) -> None:
    reply = Reply(
        blocks=("Tarifs <b>&\"' bruts [1]", "Deuxième paragraphe [2]"),
        citations=(Citation(1, "a", "Aides <région> & co", "https://ex.fr/a?x=1&y=\"2\"", "aid"),
                   Citation(2, "b", "Sans lien", None, "document")),
        buttons=(Button("👍", "fb:up"), Button("👎", "fb:down"),
                 Button("Parler à un conseiller CCI", "menu:advisor")),
    )
    [message] = reply_to_messages(reply, lang="en", catalog=catalog)
    parsed = parse(message.text)
    text = "".join(parsed.text)
    assert "Tarifs <b>&\"' bruts [1]" in text
    assert "<b>&" not in message.text
    assert parsed.links == [('https://ex.fr/a?x=1&y="2"', "[1] Aides <région> & co")]
    assert "[2] Sans lien" in text
    assert f"<b>{catalog.t('sources_title', 'en')}</b>" in message.text
    assert message.parse_mode == "HTML"
    assert [[b.data for b in row] for row in message.keyboard] == [
        ["fb:up", "fb:down"], ["menu:advisor"]]


def test_menu_buttons_get_one_row_each(catalog: Catalog) -> None:
    buttons = tuple(Button(catalog.t(k, "fr"), a) for k, a in (
        ("button_ask", "menu:ask"), ("button_find_aid", "menu:aid"),
        ("button_find_partner", "menu:partner"), ("button_advisor", "menu:advisor")))
    [message] = reply_to_messages(Reply(blocks=("Bonjour",), buttons=buttons), lang="fr")
    assert [[b.label for b in row] for row in message.keyboard] == [[b.label] for b in buttons]


def test_long_replies_split_at_paragraphs_under_the_limit(catalog: Catalog) -> None:
    paragraphs = tuple(f"Paragraphe {i} : " + "relocalisation & aides <PME> " * 40
                       for i in range(12))
    citations = tuple(Citation(i, f"s{i}", f"Source {i} <x>", f"https://ex.fr/{i}", "document")
                      for i in range(1, 40))
    reply = Reply(blocks=paragraphs, citations=citations, buttons=(Button("👍", "fb:up"),))
    messages = reply_to_messages(reply, lang="fr", catalog=catalog)
    assert len(messages) > 1
    for message in messages:
        assert telegram_length(message.text) <= MAX_MESSAGE_CHARS
        parse(message.text)
    # Paragraphs are never cut: each one is whole in exactly one message.
    for paragraph in paragraphs:
        escaped = html.escape(paragraph.strip(), quote=False)
        assert sum(escaped in m.text for m in messages) == 1
    assert all(not m.keyboard for m in messages[:-1])
    assert messages[-1].keyboard
    links = [link for m in messages for link in parse(m.text).links]
    assert len(links) == len(citations)


def test_a_giant_paragraph_is_cut_at_words_then_characters(catalog: Catalog) -> None:
    words = "é<&> " * 3000 + "x" * 9000
    messages = reply_to_messages(Reply(blocks=(words,)), lang="fr", catalog=catalog)
    assert len(messages) >= 5
    rebuilt = ""
    for message in messages:
        assert telegram_length(message.text) <= MAX_MESSAGE_CHARS
        rebuilt += "".join(parse(message.text).text)
    assert rebuilt.replace(" ", "") == words.replace(" ", "")


def test_emoji_count_double_towards_the_limit() -> None:
    messages = reply_to_messages(Reply(blocks=("👍" * 3000,)), lang="fr", limit=4096)
    assert len(messages) == 2
    assert all(telegram_length(m.text) <= 4096 for m in messages)


def test_long_callback_data_is_stored_server_side() -> None:
    store = CallbackStore()
    long_action = "finder:aid:" + "département=59;effectif=20-49;" * 4
    reply = Reply(blocks=("Choisissez",), buttons=(Button("Suite", long_action),
                                                  Button("👍", "fb:up")))
    [message] = reply_to_messages(reply, lang="fr", store=store)
    datas = [b.data for row in message.keyboard for b in row]
    assert all(len(d.encode("utf-8")) <= MAX_CALLBACK_BYTES for d in datas)
    assert datas[1] == "fb:up"
    assert datas[0] != long_action
    incoming = convert(callback_update(datas[0]), store=store)
    assert incoming is not None
    assert incoming.action == long_action
    # A token this process never issued (a restart, another replica) reads as a stale button.
    stale = convert(callback_update("tok:" + "0" * 32), store=CallbackStore())
    assert stale is not None
    assert stale.action == "tok:" + "0" * 32


def test_empty_reply_renders_nothing() -> None:
    assert reply_to_messages(Reply(blocks=()), lang="fr") == []
