"""Where a lead may be sent by webhook (issue #13, item 12): closed by default. An empty
allow-list allows no host, only https, and no private, loopback or link-local address after
resolution (169.254.169.254 is the cloud metadata service); an internal CRM needs both the
allow-list and RELOCBOT_WEBHOOK_ALLOW_LOCAL_NETWORK, and link-local stays refused even then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import DeliveryError
from bot.leads.notifiers import Delivery, WebhookNotifier, core_notifiers
from bot.settings import Settings
from ops.config_check import check_config
from ops.fakes.webhook_receiver import WebhookReceiver

SECRET = "whsec-policy-0123456789"


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver(secret=SECRET)
    await server.start()
    yield server
    await server.stop()


def delivery(url: str) -> Delivery:
    return Delivery(idempotency_key="REL-2026-00042:new:x", kind="new", target=url,
                    payload={"ref": "REL-2026-00042", "email": "marie@example.fr"})


async def refused(notifier: WebhookNotifier, url: str) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery(url))
    assert caught.value.transient is False
    return caught.value


async def test_no_allow_list_means_no_webhook(receiver: WebhookReceiver, tmp_path: Path) -> None:
    notifier = core_notifiers(Settings(_env_file=None, data_dir=tmp_path,
                                       webhook_secret=SECRET))["webhook"]
    assert isinstance(notifier, WebhookNotifier)
    await refused(notifier, receiver.url)
    await refused(notifier, "https://169.254.169.254/latest/meta-data/")
    assert receiver.hits == []


@pytest.mark.parametrize(("url", "hosts"), [
    ("http://crm.example.org/hook", ["crm.example.org"]),          # not https
    ("https://169.254.169.254/latest/meta-data/", ["169.254.169.254"]),   # link-local
    ("https://localhost/hook", ["localhost"]),                     # loopback after resolution
    ("https://127.0.0.1/hook", ["127.0.0.1"]),
    ("https://10.0.0.8/hook", ["10.0.0.8"]),                       # private network
    ("https://[::1]/hook", ["::1"]),
    ("https://[::ffff:169.254.169.254]/hook", ["::ffff:169.254.169.254"]),
])
async def test_listed_but_unsafe_targets_are_refused(url: str, hosts: list[str]) -> None:
    await refused(WebhookNotifier(secret=SECRET, allowed_hosts=hosts), url)


async def test_link_local_stays_refused_with_the_local_network_allowed() -> None:
    notifier = WebhookNotifier(secret=SECRET, allowed_hosts=["169.254.169.254"],
                               allow_local_network=True)
    await refused(notifier, "http://169.254.169.254/latest/meta-data/")


async def test_an_internal_crm_needs_both_settings(receiver: WebhookReceiver) -> None:
    await refused(WebhookNotifier(secret=SECRET, allowed_hosts=["127.0.0.1"]), receiver.url)
    assert receiver.hits == []
    allowed = WebhookNotifier(secret=SECRET, allowed_hosts=["127.0.0.1"],
                              allow_local_network=True)
    assert await allowed.send(item=delivery(receiver.url))
    assert len(receiver.hits) == 1
    assert receiver.hits[0].valid


async def test_config_check_says_an_empty_allow_list_refuses_every_webhook(
    tmp_path: Path
) -> None:
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-aisne:\n    webhooks: [https://crm.example.org/hook, "
                     "http://crm.example.org/plain]\n")
    settings = Settings(_env_file=None, data_dir=tmp_path, desks_file=desks,
                        webhook_secret=SECRET)
    results = {r.name: r for r in await check_config(settings)}
    assert results["desks: webhooks"].status == "error"
    assert "empty" in results["desks: webhooks"].detail
    assert results["desks: webhook scheme"].status == "error"
