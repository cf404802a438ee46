"""The chunk store: every indexed chunk with its metadata, kept beside the lexical index.

Loaded into memory by the retriever (texts for answers, metadata arrays for lexical filters).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.chunking import HDF
from knowledge.models import Chunk

__all__ = ["ChunkStore"]


class ChunkStore:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.row = {c.id: i for i, c in enumerate(self.chunks)}
        self._kinds = np.array([c.kind for c in self.chunks], dtype=object)
        self._status = np.array([c.status or "" for c in self.chunks], dtype=object)
        self._deps = {
            dep: np.array([(not c.departments) or dep in c.departments for c in self.chunks])
            for dep in HDF
        }

    def __len__(self) -> int:
        return len(self.chunks)

    def get(self, chunk_id: str) -> Chunk | None:
        row = self.row.get(chunk_id)
        return None if row is None else self.chunks[row]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(chunk.model_dump_json() + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ChunkStore:
        with path.open(encoding="utf-8") as fh:
            return cls([Chunk.model_validate_json(line) for line in fh if line.strip()])

    def mask(self, filters: dict[str, Any] | None) -> npt.NDArray[np.float32] | None:
        """A 0/1 weight per row for ``filters`` (kind, department, exclude_status)."""
        if not filters:
            return None
        keep = np.ones(len(self.chunks), dtype=bool)
        kinds = filters.get("kind")
        if kinds:
            kinds = [kinds] if isinstance(kinds, str) else list(kinds)
            keep &= np.isin(self._kinds, kinds)
        dep = filters.get("department")
        if dep in self._deps:
            keep &= self._deps[dep]
        excluded = filters.get("exclude_status")
        if excluded:
            keep &= ~np.isin(self._status, [excluded] if isinstance(excluded, str) else excluded)
        return keep.astype(np.float32)

    @staticmethod
    def where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
        """The same filters as a Chroma ``where`` clause."""
        if not filters:
            return None
        clauses: list[dict[str, Any]] = []
        kinds = filters.get("kind")
        if kinds:
            kinds = [kinds] if isinstance(kinds, str) else list(kinds)
            clauses.append({"kind": {"$in": kinds}})
        dep = filters.get("department")
        if dep in HDF:
            clauses.append({"$or": [{f"dep_{dep}": True}, {"dep_all": True}]})
        excluded = filters.get("exclude_status")
        if excluded:
            excluded = [excluded] if isinstance(excluded, str) else list(excluded)
            clauses.append({"status": {"$nin": excluded}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
