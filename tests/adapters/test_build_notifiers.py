"""``adapters.notifiers.build_notifiers``: which notifiers a deployment gets, by name, from its
settings (inbox, webhook and company always, Slack with a bot token, e-mail with an SMTP
host)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.company_notifier import CompanyNotifier
from adapters.notifiers import build_notifiers
from adapters.slack.notifier import SlackNotifier
from bot.i18n import Catalog
from bot.leads.notifiers import EmailNotifier, InboxNotifier, WebhookNotifier
from bot.settings import Settings

SLACK: dict[str, Any] = {"slack_bot_token": SecretStr("xoxb-1"),
                         "slack_api_base_url": "http://127.0.0.1:9/api"}
SMTP: dict[str, Any] = {"smtp_host": "smtp.example", "smtp_port": 2525,
                        "smtp_from": "relocbot@cci.example"}


@pytest.mark.parametrize(("options", "names"), [
    ({}, {"inbox", "webhook", "company"}),
    (SLACK, {"inbox", "webhook", "slack", "company"}),
    (SMTP, {"inbox", "webhook", "email", "company"}),
    (SLACK | SMTP, {"inbox", "webhook", "slack", "email", "company"}),
])
def test_build_notifiers_follows_the_settings(tmp_path: Path, options: dict[str, Any],
                                              names: set[str]) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None, **options)
    notifiers = build_notifiers(settings)
    assert set(notifiers) == names
    assert all(name == n.name for name, n in notifiers.items())
    assert isinstance(notifiers["inbox"], InboxNotifier)
    assert isinstance(notifiers["webhook"], WebhookNotifier)


def test_build_notifiers_configures_each_medium(tmp_path: Path, catalog: Catalog) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None,
                        webhook_allowed_hosts=["crm.example"], **SLACK, **SMTP)
    notifiers = build_notifiers(settings, catalog=catalog, lang="en")
    webhook, slack, email = notifiers["webhook"], notifiers["slack"], notifiers["email"]
    assert isinstance(webhook, WebhookNotifier)
    assert webhook.allowed_hosts == {"crm.example"}
    assert isinstance(slack, SlackNotifier)
    assert slack.client.base_url == "http://127.0.0.1:9/api/"     # the fake Slack server's
    assert slack.client.token == "xoxb-1"
    assert slack.lang == "en"
    assert slack.catalog is catalog
    assert isinstance(email, EmailNotifier)
    assert email.lang == "en"
    assert (email.host, email.port, email.sender) == ("smtp.example", 2525, "relocbot@cci.example")


def test_the_company_notifier_gets_every_way_to_the_company(tmp_path: Path,
                                                            catalog: Catalog) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None, **SLACK, **SMTP,
                        telegram_bot_token=SecretStr("123:abc"),
                        telegram_api_base_url="http://127.0.0.1:9/bot")
    notifiers = build_notifiers(settings, catalog=catalog)
    company = notifiers["company"]
    assert isinstance(company, CompanyNotifier)
    assert (company.telegram_token, company.telegram_base_url) == ("123:abc",
                                                                   "http://127.0.0.1:9/bot")
    assert company.slack is not None
    assert company.slack.base_url == "http://127.0.0.1:9/api/"
    assert company.mail is notifiers["email"]
    bare = build_notifiers(Settings(data_dir=tmp_path, _env_file=None))["company"]
    assert isinstance(bare, CompanyNotifier)
    assert (bare.telegram_token, bare.slack, bare.mail) == (None, None, None)
