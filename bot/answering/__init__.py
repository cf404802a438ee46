"""Answers: extractive and grounded by default, optionally written by a chat model."""

from __future__ import annotations

from bot.answering.answerer import Answerer
from bot.answering.extractive import Answer, ExtractiveComposer, select_sources
from bot.answering.llm import ChatModel, LLMComposer

__all__ = ["Answer", "Answerer", "ChatModel", "ExtractiveComposer", "LLMComposer", "select_sources"]
