"""The terminal channel: an interactive chat, or one message per line when stdin is a pipe.

Buttons are shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from bot.messages import Button, Incoming, Reply
from bot.port import Core

__all__ = ["line_to_incoming", "render_reply", "run_terminal"]

CONVERSATION = "terminal:local"
log = logging.getLogger("relocbot.terminal")


def line_to_incoming(line: str, *, buttons: list[Button], counter: int,
                     session: str = "") -> Incoming:
    """A typed line: a number picks one of the last buttons, anything else is text.

    A button press carries the event id ``line-{session}-{counter}``: unique per chat session,
    so a press in a later session on the same database is never taken for a duplicate."""
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return Incoming(channel="terminal", conversation_key=CONVERSATION, user_id="local",
                        action=buttons[int(stripped) - 1].action, kind="action",
                        event_id=f"line-{session}-{counter}")
    return Incoming(channel="terminal", conversation_key=CONVERSATION, user_id="local",
                    text=line.rstrip("\n"), event_id=None)


def render_reply(reply: Reply, *, first_button: int = 1) -> str:
    """Plain text: paragraphs, then numbered sources, then numbered choices."""
    parts = [reply.text]
    if reply.citations:
        parts.append("\n".join(
            f"[{c.number}] {c.title}" + (f" — {c.url}" if c.url else "") for c in reply.citations
        ))
    if reply.buttons:
        parts.append("  ".join(
            f"({i}) {b.label}" for i, b in enumerate(reply.buttons, start=first_button)
        ))
    return "\n\n".join(parts)


async def run_terminal(
    core: Core, *, lines: Iterable[str] | None = None, out: TextIO | None = None,
    interactive: bool | None = None,
) -> None:
    """Chat until end of input (or ``/quit``); ``out`` defaults to the current stdout."""
    out = out if out is not None else sys.stdout
    interactive = sys.stdin.isatty() if interactive is None else interactive
    buttons: list[Button] = []
    session = secrets.token_hex(6)
    source = lines if lines is not None else _stdin(interactive)
    if interactive:
        source = _prepend("/start", source)
    for counter, line in enumerate(source):
        if line.strip() in ("/quit", "/exit"):
            break
        if not interactive or counter == 0:
            print(f"> {line.rstrip()}", file=out)
        incoming = line_to_incoming(line, buttons=buttons, counter=counter, session=session)
        try:
            replies = await core.handle(incoming)
        except Exception as exc:  # the channel's one error handler: log, answer politely, go on
            log.exception("terminal: could not handle a message")
            # The numbered choices stay valid (as Telegram's buttons stay on their message),
            # so the user can simply send the same answer again.
            print(render_reply(await core.error_reply(incoming, exc)), file=out, end="\n\n")
            out.flush()
            continue
        buttons = []
        for reply in replies:
            print(render_reply(reply, first_button=len(buttons) + 1), file=out)
            buttons.extend(reply.buttons)
            print(file=out)
        out.flush()


def _prepend(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _stdin(interactive: bool) -> Iterable[str]:
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input("vous> ")
        except EOFError:
            return
