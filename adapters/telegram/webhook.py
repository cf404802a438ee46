"""``POST /telegram/webhook``: the Starlette route served by ``relocbot serve``.

Telegram signs nothing; it echoes the ``secret_token`` given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header. A wrong or missing header (or no
``TELEGRAM_WEBHOOK_SECRET`` configured) is refused with 403 before the body is read; a body
that is not an update is refused with 400 (one the SDK cannot decode is acknowledged and
dropped, since Telegram would redeliver it forever). The update is processed before answering
200, so Telegram redelivers it if the process dies mid-way (the core's dedupe drops the copy).

Usage::

    app = Starlette(routes=webhook_routes(channel))
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from adapters.telegram.channel import TelegramChannel

__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "webhook_routes"]

log = logging.getLogger("relocbot.telegram")
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def webhook_routes(channel: TelegramChannel) -> list[BaseRoute]:
    """The webhook route bound to ``channel`` (which must be started). Usage::

        routes = webhook_routes(channel)   # [Route("/telegram/webhook", POST)]
    """

    async def webhook(request: Request) -> Response:
        secret = channel.config.webhook_secret
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if secret is None or not hmac.compare_digest(
                given, secret.get_secret_value().encode("utf-8")):
            log.warning("telegram webhook call refused: bad secret token")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("malformed JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return PlainTextResponse("not a Telegram update", status_code=400)
        if not channel.ready.is_set():
            return PlainTextResponse("starting", status_code=503)  # Telegram retries later
        # Errors go to the error handler; an update the SDK cannot decode is dropped (logged):
        # acknowledged either way, a retry would not help.
        await channel.process_payload(data)
        return JSONResponse({"ok": True})

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]
