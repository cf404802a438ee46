"""Lead notifiers that need no channel SDK: local inbox files, e-mails and signed webhooks.

Each notifier follows the :class:`Notifier` protocol (``name``, ``async send(*, item)``); the
dispatcher picks one by the outbox item's ``notifier`` column. The worker receives them by name
from the composition root (``adapters.notifiers.build_notifiers`` adds Slack and e-mail);
:func:`core_notifiers` are those the core can always build (inbox and webhook).

Usage::

    notifiers = core_notifiers(settings)             # {"inbox": ..., "webhook": ...}
    ref = await notifiers["inbox"].send(item=Delivery.from_item(outbox_item))
"""

from __future__ import annotations

from bot.i18n import Catalog
from bot.leads.notifiers.base import Delivery, Notifier, safe_name
from bot.leads.notifiers.inbox import InboxNotifier
from bot.leads.notifiers.mail import EmailNotifier, html_body, message_id
from bot.leads.notifiers.render import Layout, plain_text, render
from bot.leads.notifiers.webhook import WebhookNotifier, sign
from bot.settings import Settings

__all__ = [
    "Delivery",
    "EmailNotifier",
    "InboxNotifier",
    "Layout",
    "Notifier",
    "WebhookNotifier",
    "core_notifiers",
    "html_body",
    "message_id",
    "plain_text",
    "render",
    "safe_name",
    "sign",
]


def core_notifiers(
    settings: Settings, *, catalog: Catalog | None = None, lang: str = "fr"
) -> dict[str, Notifier]:
    """The notifiers every deployment has: the inbox folder and the signed webhooks."""
    catalog = catalog or Catalog.load()
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    return {
        "inbox": InboxNotifier(catalog=catalog, lang=lang),
        "webhook": WebhookNotifier(secret=secret, allowed_hosts=settings.webhook_allowed_hosts,
                                   allow_local_network=settings.webhook_allow_local_network),
    }
