"""The lead form only in private (issue #13, item 11): the adapters say whether a message comes
from a private chat or DM (``Incoming.private``), and in a group, a channel or a thread the
form is not started (its summary shows SIREN, e-mail and phone to everyone); the person is
offered to continue in private."""

from __future__ import annotations

from pathlib import Path

from adapters.slack.convert import action_to_incoming, command_to_incoming, event_to_incoming
from adapters.telegram.convert import CallbackStore, update_to_incoming
from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.slack_api import action_payload, command_form, mention_event, message_event
from ops.fakes.telegram_api import callback_update, chat, message_update, user

BOT = "relocbot"


def test_telegram_private_chats_and_groups() -> None:
    store = CallbackStore()
    private = update_to_incoming(message_update("/conseiller", sender=user(5)), bot_username=BOT,
                                 store=store)
    group = update_to_incoming(message_update("/conseiller", sender=user(5),
                                              in_chat=chat(-100, "supergroup")),
                               bot_username=BOT, store=store)
    pressed = update_to_incoming(callback_update("menu:advisor", sender=user(5),
                                                 in_chat=chat(-100, "group")),
                                 bot_username=BOT, store=store)
    assert private is not None
    assert group is not None
    assert pressed is not None
    assert (private.private, group.private, pressed.private) == (True, False, False)


def test_slack_dms_channels_and_threads() -> None:
    dm = event_to_incoming(message_event("conseiller", channel="D0DM", channel_type="im"),
                           team_id="T1")
    thread = event_to_incoming(mention_event("conseiller"), team_id="T1")
    in_channel = command_to_incoming(command_form("conseiller", response_url="x"))
    in_dm = command_to_incoming(command_form("conseiller", response_url="x", channel="D0DM"))
    body = action_payload("reloc.0", "menu:advisor", response_url="x")
    pressed = action_to_incoming(body, body["actions"][0])
    assert in_channel is not None
    assert in_dm is not None
    assert (dm.private, thread.private, in_channel.private, in_dm.private, pressed.private) == (
        True, False, False, True, False)


async def test_the_form_starts_only_in_private(kb: KnowledgeBase, db: Database,
                                               catalog: Catalog, tmp_path: Path) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog,
                    settings=Settings(data_dir=tmp_path, _env_file=None))
    for incoming in (
        Incoming(channel="telegram", conversation_key="telegram:-100:5", user_id="5",
                 text="/conseiller", private=False),
        Incoming(channel="telegram", conversation_key="telegram:-100:5", user_id="5",
                 action="menu:advisor", kind="action", private=False),
        Incoming(channel="telegram", conversation_key="telegram:-100:5", user_id="5",
                 text="Je voudrais parler à un conseiller de la CCI", private=False),
    ):
        replies = await bot.handle(incoming)
        assert [r.text for r in replies] == [catalog.t("lead_private_only", "fr")]
        assert not [b for r in replies for b in r.buttons if b.action.startswith("lf:")]
        state = await db.load_state("telegram:-100:5", channel="telegram")
        assert state.flow != "lead"
        assert "lead" not in state.data
    private = await bot.handle(Incoming(channel="telegram", conversation_key="telegram:5:5",
                                        user_id="5", text="/conseiller"))
    assert "lf:consent:yes" in [b.action for r in private for b in r.buttons]
