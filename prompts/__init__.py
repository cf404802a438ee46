"""Every sentence the bot says: UI catalogs per language and LLM prompt templates (YAML)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROMPTS_DIR"]

PROMPTS_DIR = Path(__file__).resolve().parent
