"""The knowledge base: corpus, loaders, chunking, embeddings, indexes and retrieval."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CORPUS_DIR"]

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
