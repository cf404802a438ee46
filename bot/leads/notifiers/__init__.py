"""Lead notifiers: local inbox files, Slack cards, e-mails and signed webhooks.

Each notifier follows the :class:`Notifier` protocol (``name``, ``async send(*, item)``); the
dispatcher picks one by the outbox item's ``notifier`` column.

Usage::

    notifiers = build_notifiers(settings)            # {"inbox": ..., "webhook": ..., ...}
    ref = await notifiers["inbox"].send(item=Delivery.from_item(outbox_item))
"""

from __future__ import annotations

from bot.i18n import Catalog
from bot.leads.notifiers.base import Delivery, Notifier, safe_name
from bot.leads.notifiers.inbox import InboxNotifier
from bot.leads.notifiers.mail import EmailNotifier, html_body, message_id
from bot.leads.notifiers.render import Layout, plain_text, render
from bot.leads.notifiers.slack import SlackNotifier, escape_mrkdwn, lead_blocks
from bot.leads.notifiers.webhook import WebhookNotifier, sign
from bot.settings import Settings

__all__ = [
    "Delivery",
    "EmailNotifier",
    "InboxNotifier",
    "Layout",
    "Notifier",
    "SlackNotifier",
    "WebhookNotifier",
    "build_notifiers",
    "escape_mrkdwn",
    "html_body",
    "lead_blocks",
    "message_id",
    "plain_text",
    "render",
    "safe_name",
    "sign",
]


def build_notifiers(
    settings: Settings, *, catalog: Catalog | None = None, lang: str = "fr"
) -> dict[str, Notifier]:
    """The configured notifiers: inbox and webhook always, Slack with a bot token, e-mail with
    an SMTP host. Items for a notifier that is not configured end up as dead letters."""
    catalog = catalog or Catalog.load()
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    notifiers: dict[str, Notifier] = {
        "inbox": InboxNotifier(catalog=catalog, lang=lang),
        "webhook": WebhookNotifier(secret=secret, allowed_hosts=settings.webhook_allowed_hosts,
                                   allow_local_network=settings.webhook_allow_local_network),
    }
    if settings.slack_bot_token:
        notifiers["slack"] = SlackNotifier(
            token=settings.slack_bot_token.get_secret_value(), catalog=catalog,
            base_url=settings.slack_api_base_url, lang=lang,
        )
    if settings.smtp_host:
        notifiers["email"] = EmailNotifier(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password
            else None,
            starttls=settings.smtp_starttls, catalog=catalog, lang=lang,
        )
    return notifiers
