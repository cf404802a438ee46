"""The default notifier: one JSON file per delivery in a local folder (the "inbox").

The file is ``<folder>/<idempotency key>.json``, written atomically (temporary file, then
rename), so a reader never sees half a file and a second delivery of the same key replaces the
first: one file per key.

Usage::

    notifier = InboxNotifier(catalog=Catalog.load())
    await notifier.send(item=Delivery(idempotency_key="REL-2026-00042.new.inbox", kind="new",
                                      target="var/inbox", payload=payload))
    # -> "REL-2026-00042.new.inbox.json", containing the payload and a plain-text rendering
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.notifiers.base import Delivery, safe_name
from bot.leads.notifiers.render import plain_text, render

__all__ = ["InboxNotifier"]


class InboxNotifier:
    name = "inbox"

    def __init__(self, *, catalog: Catalog, lang: str = "fr") -> None:
        self.catalog = catalog
        self.lang = lang

    async def send(self, *, item: Delivery) -> str | None:
        layout = render(item.payload, catalog=self.catalog, lang=self.lang)
        document = {
            "idempotency_key": item.idempotency_key,
            "kind": item.kind,
            "ref": item.payload.get("ref"),
            "subject": layout.subject,
            "text": plain_text(layout, catalog=self.catalog),
            "payload": item.payload,
        }
        path = Path(item.target) / f"{safe_name(item.idempotency_key)}.json"
        erased = str(item.payload.get("erased_ref") or "")
        if item.kind == "erased" and erased:
            # The person asked for erasure: the file written before is overwritten in place.
            if erased != Path(erased).name or not (Path(item.target) / erased).exists():
                return None
            path = Path(item.target) / erased
        try:
            await asyncio.to_thread(_write_atomically, path, document)
        except OSError as exc:
            raise DeliveryError(f"inbox: {type(exc).__name__} (errno {exc.errno})",
                                transient=True) from exc
        return path.name


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
