"""The dense index built in a background thread while the lexical index already answers.

When the index must be (re)built at start (another embedder, extra folders, a new corpus
release), the chunks and the bm25s index are written first (seconds), the retriever opens on
them and answers lexically, each result flagged ``building`` with the fraction done; the
embedding and the Chroma upserts run here meanwhile. When they end, the retriever is hybrid
again. A build interrupted (process stopped) leaves the index marked incomplete
(``state.json``: ``dense_complete: false``), so the next start builds again, incrementally.

Usage::

    build = DenseBuild(config, embedder=cached, corpus_dir=CORPUS_DIR, extra=[])
    retriever.building = build.start()        # searches: lexical only, result.building = 0.4
    build.wait(timeout=60)                    # tests, and `relocbot ingest`
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from knowledge.config import KnowledgeConfig
from knowledge.embeddings import CachedEmbedder
from knowledge.ingest import IngestReport, ingest

__all__ = ["DenseBuild"]

log = logging.getLogger(__name__)


class DenseBuild:
    """One background ingestion; ``fraction`` of the chunks to embed done so far."""

    def __init__(self, config: KnowledgeConfig, *, embedder: CachedEmbedder,
                 corpus_dir: Path, extra: Sequence[Path] = (),
                 on_done: Callable[[DenseBuild], None] | None = None) -> None:
        self.config = config
        self.embedder = embedder
        self.corpus_dir = corpus_dir
        self.extra = list(extra)
        self.on_done = on_done
        self.done = 0
        self.total = 0
        self.report: IngestReport | None = None
        self.error: BaseException | None = None
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def start(self) -> DenseBuild:
        self._thread = threading.Thread(target=self._run, name="relocbot-dense-build",
                                        daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the build ended (well or not) within ``timeout`` seconds."""
        return self._finished.wait(timeout)

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _run(self) -> None:
        try:
            self.report = ingest(self.config, embedder=self.embedder,
                                 corpus_dir=self.corpus_dir, extra=self.extra,
                                 progress=self._progress, embedder_spec=self.config.embedder)
            log.info("dense index built in the background: %s", self.report.summary())
        except Exception as exc:  # the lexical index keeps answering; said in the log
            self.error = exc
            log.error("background dense index build failed; answers stay lexical",
                      exc_info=True)
        finally:
            self._finished.set()
            if self.on_done is not None:
                self.on_done(self)
