"""The errors of the knowledge layer, the root of Relocbot's one exception tree.

``bot.errors`` re-exports these and adds the rest of the tree (drawn in its docstring), so both
layers raise and catch the same classes while ``knowledge`` never imports ``bot``::

    RelocbotError
    ├── ConfigError              settings missing or inconsistent
    ├── CorpusError              a corpus file cannot be read or validated
    │   └── SchemaError          a record breaks the schema (file, record, field)
    └── IndexError_              the index is missing, stale or unreachable
        └── EmbedderError        the embedder failed or changed
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CorpusError",
    "EmbedderError",
    "IndexError_",
    "RelocbotError",
    "SchemaError",
]

class RelocbotError(Exception):
    """Base of every error raised on purpose by Relocbot."""


class ConfigError(RelocbotError):
    pass


class CorpusError(RelocbotError):
    pass


class SchemaError(CorpusError):
    """A corpus record that breaks the schema; says where."""

    def __init__(self, *, path: str, record: str, field: str, message: str) -> None:
        super().__init__(f"{path}: record {record!r}, field {field!r}: {message}")
        self.path = path
        self.record = record
        self.field = field
        self.message = message


class IndexError_(RelocbotError):
    pass


class EmbedderError(IndexError_):
    pass
