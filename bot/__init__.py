"""Relocbot's channel-neutral core: messages, the Assistant, answering, storage, settings, CLI."""

from __future__ import annotations

from bot.messages import Button, Citation, Incoming, Reply

__all__ = ["Button", "Citation", "Incoming", "Reply"]
