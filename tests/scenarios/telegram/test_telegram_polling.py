"""Long polling: a real PTB Application, the fake Bot API, the real Assistant and knowledge base."""

from __future__ import annotations

from adapters.telegram import TelegramChannel
from bot.i18n import Catalog
from bot.storage import Database
from ops.fakes.telegram_api import (
    BOT_USERNAME,
    FakeTelegramAPI,
    callback_update,
    chat,
    message_update,
    parse_html,
    plain,
    user,
)

QUESTION = "Les 24 heures pour relocaliser à Lille, c'était à quelles dates ?"
MENU = [("button_ask", "menu:ask"), ("button_find_aid", "menu:aid"),
        ("button_find_partner", "menu:partner"), ("button_advisor", "menu:advisor")]
GROUP = chat(-100777, "supergroup")


def keyboard(params: dict[str, object]) -> list[list[tuple[str, str]]]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    assert isinstance(markup, dict)
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]


async def test_start_registers_commands_and_welcomes_with_the_menu(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    commands = fake_api.of("setMyCommands")
    assert [c.params.get("language_code") for c in commands] == [None, "fr", "en"]
    for call in commands:
        lang = call.params.get("language_code") or "fr"
        assert [(c["command"], c["description"]) for c in call.params["commands"]] == [
            (name, catalog.t(f"telegram_cmd_{name}", lang))
            for name in ("start", "aide", "langue", "conseiller", "oublier")]
    assert fake_api.of("deleteWebhook")  # polling needs no webhook

    fake_api.push(message_update("/start", sender=user(1, lang="fr")),
                  message_update("/start", sender=user(2, lang="en-US")))
    await fake_api.wait_calls("sendMessage", 2)
    [french] = fake_api.sent(1)
    [english] = fake_api.sent(2)
    assert french["parse_mode"] == "HTML"
    assert catalog.t("welcome", "fr") in plain(french["text"])
    assert catalog.t("welcome", "en") in plain(english["text"])
    assert keyboard(french) == [[(catalog.t(k, "fr"), a)] for k, a in MENU]
    assert keyboard(english) == [[(catalog.t(k, "en"), a)] for k, a in MENU]


async def test_question_gets_typing_then_an_answer_with_linked_sources(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    fake_api.push(message_update(QUESTION, sender=user(3)))
    [answer] = await fake_api.wait_calls("sendMessage", chat_id=3)
    [typing] = fake_api.of("sendChatAction")
    assert typing.params == {"chat_id": 3, "action": "typing"}
    assert typing.at < answer.at
    assert answer.at - typing.at < 5
    parsed = parse_html(answer.params["text"])
    assert "novembre" in "".join(parsed.text).split("[1]")[0]  # the answer comes first
    assert f"<b>{catalog.t('sources_title', 'fr')}</b>" in answer.params["text"]
    assert parsed.links
    assert all(href.startswith("http") for href, _ in parsed.links)
    assert [label.split("]")[0] for _, label in parsed.links] == [
        f"[{n}" for n in range(1, len(parsed.links) + 1)]
    assert answer.params["link_preview_options"] == {"is_disabled": True}
    assert keyboard(answer.params) == [
        [(catalog.t("button_up", "fr"), "fb:up"), (catalog.t("button_down", "fr"), "fb:down")],
        [(catalog.t("button_advisor", "fr"), "menu:advisor")]]


async def test_button_presses_are_answered_and_feedback_cannot_be_given_twice(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog, db: Database
) -> None:
    me = user(4)
    fake_api.push(callback_update("menu:ask", sender=me))
    await fake_api.wait_calls("sendMessage", chat_id=4)
    assert plain(fake_api.sent(4)[0]["text"]) == catalog.t("ask_prompt", "fr")

    fake_api.push(message_update(QUESTION, sender=me))
    await fake_api.wait_calls("sendMessage", 2, chat_id=4)
    answer = fake_api.sent(4)[-1]
    rows = [[{"text": t, "callback_data": d} for t, d in row] for row in keyboard(answer)]
    fake_api.push(callback_update("fb:up", sender=me, message_id=77, keyboard=rows))
    [edit] = await fake_api.wait_calls("editMessageReplyMarkup")
    assert plain(fake_api.sent(4)[-1]["text"]) == catalog.t("feedback_thanks", "fr")
    assert edit.params["chat_id"] == 4
    assert edit.params["message_id"] == 77
    assert keyboard(edit.params) == [[(catalog.t("button_advisor", "fr"), "menu:advisor")]]
    [feedback] = await db.feedback()
    assert feedback.rating == 1
    assert "Lille" in feedback.question
    assert feedback.sources

    # The finder buttons answer something (their text is changing: not asserted here).
    fake_api.push(callback_update("menu:aid", sender=me), callback_update("menu:partner",
                                                                          sender=me))
    await fake_api.wait_calls("sendMessage", 5, chat_id=4)
    assert len(fake_api.of("answerCallbackQuery")) == 4  # every press is acknowledged


async def test_sticker_photo_and_voice_get_a_polite_text_only_answer(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    me = user(5)
    fake_api.push(
        message_update(None, sender=me, sticker={
            "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False}),
        message_update(None, sender=me, photo=[{"file_id": "p", "file_unique_id": "p",
                                                "width": 90, "height": 90}]),
        message_update(None, sender=me, voice={"file_id": "v", "file_unique_id": "v",
                                               "duration": 2}),
    )
    await fake_api.wait_calls("sendMessage", 3, chat_id=5)
    assert [plain(m["text"]) for m in fake_api.sent(5)] == [
        catalog.t("unsupported_media", "fr")] * 3
    assert not fake_api.of("sendChatAction")


async def test_a_huge_message_gets_a_polite_refusal(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    fake_api.push(message_update("relocaliser " * 834, sender=user(6)))  # 10,008 characters
    [refusal] = await fake_api.wait_calls("sendMessage", chat_id=6)
    assert plain(refusal.params["text"]) == catalog.t(
        "too_long", "fr", length=len(("relocaliser " * 834).strip()), limit=4000)


async def test_html_special_characters_come_out_well_formed(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    me = user(7)
    fake_api.push(message_update("/<b>&\"'", sender=me),
                  message_update("Quelles aides <b>&\"' pour relocaliser une PME <i> ?",
                                 sender=me))
    await fake_api.wait_calls("sendMessage", 2, chat_id=7)
    unknown, answer = fake_api.sent(7)[:2]   # the finder may add its "Pour affiner"
    assert plain(unknown["text"]) == catalog.t("unknown_command", "fr", command="/<b>&\"'")
    assert "&lt;b&gt;&amp;" in unknown["text"]
    parse_html(answer["text"])  # raises on anything Telegram would refuse


async def test_group_messages_need_a_mention_or_a_reply(
    bot: TelegramChannel, fake_api: FakeTelegramAPI
) -> None:
    member = user(8)
    ignored = message_update(QUESTION, sender=member, in_chat=GROUP)
    mentioned = message_update(f"@{BOT_USERNAME} {QUESTION}", sender=member, in_chat=GROUP)
    replied = message_update(QUESTION, sender=member, in_chat=GROUP, reply_to_bot=True)
    fake_api.push(ignored, mentioned, replied)
    await fake_api.wait_calls("sendMessage", 2, chat_id=GROUP["id"])
    await fake_api.settle(0.2)
    sent = fake_api.sent(GROUP["id"])
    assert len(sent) == 2
    # Answers quote the member's own message, so a busy group can tell who asked what.
    assert sorted(m["reply_parameters"]["message_id"] for m in sent) == sorted(
        [mentioned["message"]["message_id"], replied["message"]["message_id"]])


async def test_two_members_of_a_group_keep_separate_conversations(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog, db: Database
) -> None:
    anne, bruno = user(11, lang="fr"), user(12, lang="fr")
    fake_api.push(message_update("/langue en", sender=anne, in_chat=GROUP))
    await fake_api.wait_calls("sendMessage", 1, chat_id=GROUP["id"])
    fake_api.push(message_update(f"/aide@{BOT_USERNAME}", sender=bruno, in_chat=GROUP))
    await fake_api.wait_calls("sendMessage", 2, chat_id=GROUP["id"])
    fake_api.push(message_update("/aide", sender=anne, in_chat=GROUP))
    await fake_api.wait_calls("sendMessage", 3, chat_id=GROUP["id"])
    lang_set, bruno_help, anne_help = (plain(m["text"]) for m in fake_api.sent(GROUP["id"]))
    assert lang_set == catalog.t("lang_set", "en")
    assert catalog.t("help", "fr") in bruno_help
    assert catalog.t("help", "en") in anne_help
    anne_state = await db.load_state(f"telegram:{GROUP['id']}:11", channel="telegram")
    bruno_state = await db.load_state(f"telegram:{GROUP['id']}:12", channel="telegram")
    assert anne_state.lang == "en"
    assert bruno_state.lang is None


async def test_the_same_update_delivered_twice_is_answered_once(
    bot: TelegramChannel, fake_api: FakeTelegramAPI
) -> None:
    update = message_update("/aide", sender=user(13), update_id=10_000_001)
    fake_api.push(update, update)
    await fake_api.wait_calls("sendMessage", chat_id=13)
    fake_api.push(message_update("/start", sender=user(13)))
    await fake_api.wait_calls("sendMessage", 2, chat_id=13)
    await fake_api.settle(0.2)
    assert len(fake_api.sent(13)) == 2


async def test_unexpected_updates_are_ignored_and_the_bot_keeps_going(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog
) -> None:
    me = user(14)
    fake_api.push(
        message_update("corrigé", sender=me, key="edited_message"),
        message_update("annonce", key="channel_post", in_chat=chat(-100300, "channel")),
        message_update(None, sender=me, in_chat=GROUP, new_chat_members=[user(99)]),
        {"update_id": 10_000_100, "my_chat_member": {
            "chat": GROUP, "from": me, "date": 0,
            "old_chat_member": {"status": "left", "user": user(123456, is_bot=True)},
            "new_chat_member": {"status": "member", "user": user(123456, is_bot=True)}}},
        {"update_id": 10_000_101, "inline_query": {"id": "q1", "from": me, "query": "aides",
                                                   "offset": ""}},
        message_update("/aide", sender=me),
    )
    [help_] = await fake_api.wait_calls("sendMessage")
    assert catalog.t("help", "fr") in plain(help_.params["text"])
    await fake_api.settle(0.2)
    assert len(fake_api.of("sendMessage")) == 1


async def test_forum_topics_keep_their_thread(
    bot: TelegramChannel, fake_api: FakeTelegramAPI
) -> None:
    forum_id = -100555
    forum = {"id": forum_id, "type": "supergroup", "title": "Forum", "is_forum": True}
    fake_api.push(message_update(f"@{BOT_USERNAME} {QUESTION}", sender=user(15), in_chat=forum,
                                 message_thread_id=9, is_topic_message=True))
    [answer] = await fake_api.wait_calls("sendMessage", chat_id=forum_id)
    [typing] = fake_api.of("sendChatAction")
    assert answer.params["message_thread_id"] == 9
    assert typing.params["message_thread_id"] == 9
