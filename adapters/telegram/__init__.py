"""The Telegram channel: SMEs chat with Relocbot (polling or webhook).

Usage::

    from adapters.telegram import TelegramChannel
    await TelegramChannel(runtime).run_forever()
"""

from __future__ import annotations

from adapters.telegram.channel import TelegramChannel
from adapters.telegram.convert import OutgoingMessage, reply_to_messages, update_to_incoming

__all__ = ["OutgoingMessage", "TelegramChannel", "reply_to_messages", "update_to_incoming"]
