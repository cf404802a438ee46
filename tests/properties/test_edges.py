"""Property-based tests on the edges: any text, any payload shape, any button.

The Assistant and the adapters' conversions never raise to the framework, always reply
within the channel's limits, and never echo markup the channel would interpret.
"""

from __future__ import annotations

import asyncio
import html.parser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack.blocks import reply_to_blocks
from adapters.slack.convert import event_to_incoming
from adapters.telegram.convert import reply_to_messages, update_to_incoming
from bot.i18n import Catalog
from bot.messages import Button, Citation, Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.telegram_api import parse_html

CATALOG = Catalog.load()
NASTY = st.sampled_from([
    "", " ", "\n\t", "\u202e\u202d", "🙂" * 50, "<b>gras</b> & <script>x</script>",
    "<@U0123> <!everyone> <!channel> @everyone", "*gras* _it_ `code` ```bloc```",
    "\x00\x01\x1b[31m", "x" * 100_000, "/start@other_bot", "/langue", "/ " * 10,
    "[1](javascript:alert(1))", "<a href='x'>lien</a>", "&amp; &lt;", "\u200b" * 5,
])
TEXT = st.one_of(st.text(max_size=300), NASTY,
                 st.text(alphabet=st.characters(codec="utf-8"), max_size=5000))
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=3) |
                       st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


class _TagChecker(html.parser.HTMLParser):
    ALLOWED = frozenset({"b", "i", "a", "code", "pre"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.ALLOWED:
            self.bad.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.bad.append(f"/{tag}")


def _reply(text: str, label: str) -> Reply:
    return Reply(blocks=tuple(p for p in text.split("\n\n") if p) or (text,),
                 citations=(Citation(1, "x", label or "t", "https://example.org/?a=1&b=<2>",
                                     "document"),),
                 buttons=(Button(label[:30] or "b", "fb:up"), Button("👎", "fb:down")))


@settings(max_examples=150, deadline=None)
@given(text=TEXT, label=st.text(max_size=80))
def test_telegram_rendering_is_valid_html_within_limits(text: str, label: str) -> None:
    for message in reply_to_messages(_reply(text, label), lang="fr", catalog=CATALOG):
        assert len(message.text) <= 4096
        parse_html(message.text)        # what Telegram would refuse raises here
        checker = _TagChecker()
        checker.feed(message.text)
        checker.close()
        assert not checker.bad, checker.bad
        assert not checker.stack, checker.stack
        for row in message.keyboard:
            for button in row:
                assert len(button.data.encode()) <= 64


@settings(max_examples=150, deadline=None)
@given(text=TEXT, label=st.text(max_size=80))
def test_slack_blocks_within_limits_and_no_forged_mentions(text: str, label: str) -> None:
    blocks = reply_to_blocks(_reply(text, label), lang="fr", catalog=CATALOG)
    assert len(blocks) <= 50
    for block in blocks:
        body = (block.get("text") or {}).get("text", "")
        assert len(body) <= 3000
        for forged in ("<@U0123>", "<!everyone>", "<!channel>"):
            assert forged not in body


@settings(max_examples=300, deadline=None)
@given(payload=JSONISH)
def test_any_telegram_update_shape_is_converted_or_ignored(payload: Any) -> None:
    for shape in (payload, {"update_id": 1, "message": payload},
                  {"update_id": 2, "callback_query": payload}):
        if not isinstance(shape, dict):
            continue
        try:
            incoming = update_to_incoming(shape, bot_username="relocbot_bot")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            pytest.fail(f"update_to_incoming raised {type(exc).__name__} on {shape!r}")
        assert incoming is None or isinstance(incoming, Incoming)


@settings(max_examples=300, deadline=None)
@given(event=st.dictionaries(st.sampled_from(["type", "text", "user", "channel", "ts",
                                              "thread_ts", "channel_type", "subtype",
                                              "bot_id"]), JSONISH, max_size=9))
def test_any_slack_event_shape_is_converted_without_crashing(event: dict[str, Any]) -> None:
    try:
        incoming = event_to_incoming(event, team_id="T1", event_id="Ev1", bot_user_id="UBOT")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        pytest.fail(f"event_to_incoming raised {type(exc).__name__} on {event!r}")
    assert isinstance(incoming, Incoming)


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}")
    asyncio.run(database.migrate())
    return database


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=TEXT, action=st.one_of(st.none(), st.text(max_size=70),
                                   st.sampled_from(["fb:up", "lf:consent:yes", "fd:size:XXL",
                                                    "fd:more", "lf:edit:email", "menu:aid",
                                                    "fp:dep:59", "lf:choice:pret"])))
def test_the_assistant_always_answers_within_limits(kb: KnowledgeBase, sqlite_db: Database,
                                                    text: str, action: str | None) -> None:
    settings_ = Settings(_env_file=None, rate_limit_per_minute=100_000)
    assistant = build_assistant(kb=kb, db=sqlite_db, catalog=CATALOG, settings=settings_)
    incoming = Incoming(channel="prop", conversation_key="prop:1", user_id="1",
                        text=None if action else text, action=action,
                        kind="action" if action else "text")
    replies = asyncio.run(assistant.handle(incoming))
    assert replies, "every event gets an answer"
    for reply in replies:
        assert reply.blocks
        assert all(isinstance(b, str) for b in reply.blocks)
        assert sum(len(b) for b in reply.blocks) < 20_000
