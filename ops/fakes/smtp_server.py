"""A local SMTP server (aiosmtpd) on 127.0.0.1 and a random port, in the test's event loop.

It records every accepted message (parsed with the standard ``email`` package) and can refuse
recipients with a chosen SMTP reply.

Usage::

    server = FakeSMTPServer()
    port = await server.start()
    ...  # send to 127.0.0.1:port
    [message] = server.messages
    server.refuse_rcpt = "550 5.1.1 No such user"    # the next RCPT TO are refused
    await server.stop()
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["FakeSMTPServer", "Received"]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self, server: FakeSMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.server.refuse_rcpt:
            return self.server.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.messages.append(Received(str(envelope.mail_from),
                                             list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


class FakeSMTPServer:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.refuse_rcpt: str | None = None
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        handler = _Handler(self)
        loop = asyncio.get_running_loop()

        def factory() -> Any:
            return SMTP(handler, hostname="relocbot-test", loop=loop)

        self._server = await loop.create_server(factory, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
