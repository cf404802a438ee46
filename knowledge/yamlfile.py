"""YAML reading through libyaml when PyYAML has it (about ten times faster than the pure
Python parser: the corpus, catalogs and vocabularies are read at every start).

Usage::

    data = load_yaml(path.read_text(encoding="utf-8"))
"""

from __future__ import annotations

from typing import IO, Any

import yaml

__all__ = ["load_yaml"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    """``yaml.safe_load`` semantics (plain data only), on the C parser when available."""
    return yaml.load(source, Loader=_Loader)  # noqa: S506 - CSafeLoader or SafeLoader
