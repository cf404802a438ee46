from __future__ import annotations

import io

from adapters.terminal import line_to_incoming, render_reply, run_terminal
from bot.i18n import Catalog
from bot.messages import Button, Citation, Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.core import WrappedCore


def test_numbers_press_the_last_buttons_and_text_stays_text() -> None:
    buttons = [Button("Oui", "lf:consent:yes"), Button("Non", "lf:consent:no")]
    pressed = line_to_incoming("2\n", buttons=buttons, counter=3)
    assert (pressed.kind, pressed.action) == ("action", "lf:consent:no")
    assert line_to_incoming("3", buttons=buttons, counter=4).text == "3"
    assert line_to_incoming("59300", buttons=buttons, counter=5).text == "59300"


def test_render_lists_sources_and_numbered_choices() -> None:
    reply = Reply(blocks=("Texte [1]",), citations=(Citation(1, "x", "Titre", "https://a.fr",
                                                             "document"),),
                  buttons=(Button("A", "a"), Button("B", "b")))
    assert render_reply(reply, first_button=3) == ("Texte [1]\n\n[1] Titre — https://a.fr\n\n"
                                                   "(3) A  (4) B")


class Broken(WrappedCore):
    async def handle(self, incoming: Incoming) -> list[Reply]:
        if incoming.text == "boom":
            raise RuntimeError("database down")
        return await super().handle(incoming)


async def test_an_error_is_answered_politely_and_the_chat_goes_on(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = Broken(build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None)))
    out = io.StringIO()
    await run_terminal(bot, lines=["boom\n", "/aide\n"], out=out, interactive=False)
    text = out.getvalue()
    assert catalog.t("error", "fr") in text
    assert catalog.t("help", "fr").splitlines()[0] in text


async def test_a_later_session_on_the_same_database_gets_its_buttons_answered(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))
    await run_terminal(bot, lines=["/conseiller\n", "2\n"], out=io.StringIO(), interactive=False)
    out = io.StringIO()                       # a new `relocbot chat` on the same data
    await run_terminal(bot, lines=["/conseiller\n", "1\n"], out=out, interactive=False)
    assert catalog.t("lead_q_company", "fr") in out.getvalue()
