"""Process-wide start-up: the environment the runtimes expect and the one ``Settings`` object.

``relocbot`` reads its settings once per command (``settings()``); the ``--log-format`` option
is an override given at start, not an environment variable written at run time. Nothing in the
project writes ``os.environ`` at import time: :func:`quiet_telemetry` runs once, first thing in
``main()``.

Usage::

    quiet_telemetry()
    start(log_format="json")
    config = settings()          # the same object for the rest of the command
"""

from __future__ import annotations

import os
from typing import Any

from bot.settings import Settings

__all__ = ["quiet_telemetry", "settings", "start"]

_state: dict[str, Any] = {"overrides": {}, "settings": None}


def quiet_telemetry() -> None:
    """No usage report leaves the machine (onnxruntime, Chroma), unless the operator said so."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def start(**overrides: Any) -> None:
    """Begin a command: forget the previous command's settings, keep these overrides."""
    _state["overrides"] = {k: v for k, v in overrides.items() if v is not None}
    _state["settings"] = None


def settings() -> Settings:
    """The settings of this command, read from the environment (and ``.env``) once."""
    if _state["settings"] is None:
        _state["settings"] = Settings(**_state["overrides"])
    built: Settings = _state["settings"]
    return built
