"""What ``relocbot ask`` needs and nothing more: the knowledge base and the answerer.

No database, no flows, no channels: a scripted question pays for the index and the model only
(the SQL layer and the conversation flows are never imported), and the built index is searched
exactly in memory (``knowledge.exact``) without opening Chroma. The bundled model starts loading
in a background thread first (``knowledge.embeddings.warm_up``), while the index opens.

Usage::

    asker = open_asker(settings)
    answer = await asker.answerer.compose("Quelles aides pour relocaliser ?", "fr")
    asker.catalog.t("sources_title", "fr")
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering import Answerer
from bot.answering.llm import build_chat_model
from bot.i18n import Catalog
from bot.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.ingest import Progress

__all__ = ["Asker", "open_asker"]


@dataclass(frozen=True)
class Asker:
    kb: KnowledgeBase
    catalog: Catalog
    answerer: Answerer


def open_asker(settings: Settings, *, progress: Progress | None = None) -> Asker:
    """Open (building when missing) the index and assemble the answerer the chat uses."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kb = KnowledgeBase.open(settings.knowledge, progress=progress, exact=True)
    catalog = Catalog.load()
    answerer = Answerer.build(kb=kb, catalog=catalog, top_k=settings.top_k,
                              chat_model=build_chat_model(settings),
                              llm_timeout=settings.llm_timeout)
    return Asker(kb=kb, catalog=catalog, answerer=answerer)
