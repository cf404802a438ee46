"""Logging set-up: text or JSON lines, one line per event, never message text or personal data.

Usage::

    setup_logging(level="INFO", fmt="json")                 # or fmt="text"
    log.info("event handled", extra={"channel": "telegram", "outcome": "answered"})
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

__all__ = ["SAFE_FIELDS", "JsonFormatter", "setup_logging"]

# Fields copied from ``extra=`` into JSON lines; anything else (e.g. a message text passed by
# mistake) is dropped.
SAFE_FIELDS = ("channel", "kind", "outcome", "lang", "latency_ms", "request_id", "status",
               "path", "method", "lead_ref", "desk_id", "notifier", "attempt", "event_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in SAFE_FIELDS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = " ".join(f"{k}={getattr(record, k)}" for k in SAFE_FIELDS if hasattr(record, k))
        return f"{base} {fields}".rstrip()


def setup_logging(*, level: str = "INFO", fmt: str = "text", file: Path | None = None) -> None:
    handler: logging.Handler = (logging.FileHandler(file, encoding="utf-8") if file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("chromadb", "httpx", "httpcore", "urllib3", "alembic", "bm25s", "openai",
                  "telegram", "slack_bolt", "slack_sdk", "aiosqlite", "asyncio", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
