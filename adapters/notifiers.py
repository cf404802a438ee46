"""The lead notifiers a deployment configures, by name, for the composition root (``ops``) to
inject into the worker (``run_worker(..., notifiers=...)``, ``open_runtime(notifiers=...)``).

Inbox and webhook always (``bot.leads.notifiers.core_notifiers``), Slack with a bot token
(``adapters.slack.notifier``), e-mail with an SMTP host, and ``company`` always
(``adapters.company_notifier``: the company's follow-up in its Telegram chat or Slack DM when
their tokens are set, else by e-mail with an SMTP host). Outbox items for a notifier that is
not configured end up as dead letters.

Usage::

    notifiers = build_notifiers(settings)      # {"inbox": ..., "webhook": ..., "company": ...}
    runtime = await open_runtime(settings, notifiers=notifiers)
"""

from __future__ import annotations

from adapters.company_notifier import CompanyNotifier
from adapters.slack.notifier import SlackNotifier
from bot.i18n import Catalog
from bot.leads.notifiers import EmailNotifier, Notifier, core_notifiers
from bot.settings import Settings

__all__ = ["build_notifiers"]


def build_notifiers(
    settings: Settings, *, catalog: Catalog | None = None, lang: str = "fr"
) -> dict[str, Notifier]:
    """The configured notifiers: inbox, webhook and company always, Slack with a bot token,
    e-mail with an SMTP host."""
    catalog = catalog or Catalog.load()
    notifiers = core_notifiers(settings, catalog=catalog, lang=lang)
    mail: EmailNotifier | None = None
    if settings.slack_bot_token:
        notifiers["slack"] = SlackNotifier(
            token=settings.slack_bot_token.get_secret_value(), catalog=catalog,
            base_url=settings.slack_api_base_url, lang=lang,
        )
    if settings.smtp_host:
        notifiers["email"] = mail = EmailNotifier(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password
            else None,
            starttls=settings.smtp_starttls, catalog=catalog, lang=lang,
        )
    telegram, slack = settings.telegram_bot_token, settings.slack_bot_token
    notifiers["company"] = CompanyNotifier(
        catalog=catalog, mail=mail,
        telegram_token=telegram.get_secret_value() if telegram else None,
        telegram_base_url=settings.telegram_api_base_url,
        slack_token=slack.get_secret_value() if slack else None,
        slack_base_url=settings.slack_api_base_url)
    return notifiers
