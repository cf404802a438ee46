"""Guided conversations that span several messages (state kept in the conversation store)."""

from __future__ import annotations

from bot.flows.finder import AidFinder
from bot.flows.partners import PartnerFinder

__all__ = ["AidFinder", "PartnerFinder"]
