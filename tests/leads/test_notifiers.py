"""Notifiers against real local servers: files, an aiohttp webhook receiver, aiosmtpd. Nothing
leaves 127.0.0.1. The Slack notifier: tests/adapters/slack/test_slack_lead_notifier.py."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.notifiers import (
    Delivery,
    EmailNotifier,
    InboxNotifier,
    WebhookNotifier,
    core_notifiers,
    message_id,
    render,
)
from bot.settings import Settings
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.webhook_receiver import WebhookReceiver
from tests.leads.conftest import WEBHOOK_SECRET

SECRET = WEBHOOK_SECRET   # the shared receiver's (tests/leads/conftest.py)
LOCAL: dict[str, Any] = {"allowed_hosts": ["127.0.0.1"], "allow_local_network": True}


def payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ref": "REL-2026-00042", "kind": "new", "desk_id": "cci-grand-hainaut",
        "desk_name": "CCI Grand Hainaut", "rule": "commune Valenciennes -> cci-grand-hainaut",
        "score": 72, "tier": "chaud",
        "score_reasons": ["stade : prêt à lancer (+30)", "taille : PME (+10)"],
        "company": "Textiles & Fils <du Nord>", "siren": "732829320", "postal_code": "59300",
        "commune": "Valenciennes", "department": "59", "headcount": 40, "size": "PME",
        "sector": "textile", "product": "Chemises en lin", "origin": "Chine", "stage": "pret",
        "timeline": "moins-6-mois", "contact_name": "Camille Martin",
        "email": "camille@textiles.example", "phone": "+33612345678", "channel": "telegram",
        "created_at": "2026-03-02T09:30:00+00:00",
        "aids": [{"id": "a1", "name": "Prêt Rebond", "url": "https://aides.example/rebond"}],
        "partners": [{"id": "p1", "name": "Atelier Lin", "url": "https://lin.example"}],
        "owner": None, "status": "new",
    }
    return base | overrides


def delivery(target: str, *, key: str = "REL-2026-00042:new:x", **overrides: Any) -> Delivery:
    return Delivery(idempotency_key=key, kind="new", target=target, payload=payload(**overrides),
                    attempt=1)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- inbox --------------------------------------------------------------------------------------

async def test_inbox_is_idempotent_and_atomic(tmp_path: Path, catalog: Catalog) -> None:
    notifier = InboxNotifier(catalog=catalog)
    folder = tmp_path / "inbox"
    first = await notifier.send(item=delivery(str(folder), company="Première"))
    second = await notifier.send(item=delivery(str(folder), company="Seconde"))
    assert first == second
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 1
    assert files[0].endswith(".json")     # no temporary file left over
    document = json.loads((folder / files[0]).read_text(encoding="utf-8"))
    assert document["idempotency_key"] == "REL-2026-00042:new:x"
    assert document["payload"]["company"] == "Seconde"
    assert "Nouveau contact REL-2026-00042" in document["subject"]
    await notifier.send(item=delivery(str(folder), key="REL-2026-00042:reminder:x"))
    assert len(list(folder.iterdir())) == 2


# -- webhook ------------------------------------------------------------------------------------

async def test_webhook_is_signed_and_verified_by_the_receiver(receiver: WebhookReceiver) -> None:
    notifier = WebhookNotifier(secret=SECRET, **LOCAL)
    assert await notifier.send(item=delivery(receiver.url)) == "req-1"
    [hit] = receiver.hits
    assert hit.valid
    assert hit.headers["X-Relocbot-Idempotency-Key"] == "REL-2026-00042:new:x"
    body = hit.json()
    assert body["idempotency_key"] == "REL-2026-00042:new:x"
    assert body["lead"]["ref"] == "REL-2026-00042"
    assert str(body["timestamp"]) == hit.headers["X-Relocbot-Timestamp"]


async def test_webhook_with_a_wrong_secret_fails_verification(receiver: WebhookReceiver) -> None:
    notifier = WebhookNotifier(secret="not-the-shared-secret", **LOCAL)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery(receiver.url))
    [hit] = receiver.hits
    assert not hit.valid
    assert caught.value.transient is False       # 401: retrying will not help


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "ftp://crm.example/hook",
                                 "file:///etc/passwd", "not a url"])
async def test_webhook_refuses_disallowed_urls_without_any_request(
    receiver: WebhookReceiver, url: str
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    notifier = WebhookNotifier(secret=SECRET, allowed_hosts=["crm.example"])
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery(url.format(port=port)))
    assert caught.value.transient is False
    assert receiver.hits == []


async def test_webhook_timeout_is_transient(receiver: WebhookReceiver) -> None:
    receiver.delay = 0.5
    notifier = WebhookNotifier(secret=SECRET, timeout=0.1, **LOCAL)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery(receiver.url))
    assert caught.value.transient is True
    assert "timeout" in str(caught.value)


@pytest.mark.parametrize(("status", "transient"), [(503, True), (429, True), (404, False),
                                                   (400, False)])
async def test_webhook_status_codes(receiver: WebhookReceiver, status: int,
                                    transient: bool) -> None:
    receiver.status = status
    with pytest.raises(DeliveryError) as caught:
        await WebhookNotifier(secret=SECRET, **LOCAL).send(item=delivery(receiver.url))
    assert caught.value.transient is transient


async def test_webhook_connection_refused_is_transient() -> None:
    notifier = WebhookNotifier(secret=SECRET, **LOCAL)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=delivery(f"http://127.0.0.1:{closed_port()}/hook"))
    assert caught.value.transient is True


# -- e-mail -------------------------------------------------------------------------------------

def email_notifier(port: int, catalog: Catalog) -> EmailNotifier:
    return EmailNotifier(host="127.0.0.1", port=port, sender="relocbot@cci.example",
                         starttls=False, catalog=catalog, timeout=5)


async def test_email_has_text_html_subject_and_stable_message_id(
    smtp: FakeSMTPServer, catalog: Catalog
) -> None:
    notifier = email_notifier(smtp.port, catalog)
    item = delivery("conseiller@cci.example")
    first = await notifier.send(item=item)
    second = await notifier.send(item=item)          # a resend after a crash
    assert first == second == message_id(item.idempotency_key, "relocbot@cci.example")
    assert [m.message["Message-ID"] for m in smtp.messages] == [first, first]
    received = smtp.messages[0]
    assert received.recipients == ["conseiller@cci.example"]
    message = received.message
    subject = str(message["Subject"]).strip()    # the stdlib parser keeps folding whitespace
    assert subject == render(item.payload, catalog=catalog).subject
    assert subject.startswith("[Relocbot] Nouveau contact REL-2026-00042")
    assert message["X-Relocbot-Idempotency-Key"] == item.idempotency_key
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    plain_text, html_text = text.get_content(), html.get_content()
    assert "Textiles & Fils <du Nord>" in plain_text
    assert "Je prends" not in plain_text
    assert "Textiles &amp; Fils &lt;du Nord&gt;" in html_text
    assert "<du Nord>" not in html_text
    assert '<a href="https://aides.example/rebond">Prêt Rebond</a>' in html_text


async def test_email_rejection_is_permanent_and_names_no_address(
    smtp: FakeSMTPServer, catalog: Catalog
) -> None:
    smtp.refuse_rcpt = "550 5.1.1 <conseiller@cci.example>: no such user"
    with pytest.raises(DeliveryError) as caught:
        await email_notifier(smtp.port, catalog).send(item=delivery("conseiller@cci.example"))
    assert caught.value.transient is False
    assert "550" in str(caught.value)
    assert "@" not in str(caught.value)
    assert smtp.messages == []


async def test_email_server_down_is_transient(catalog: Catalog) -> None:
    with pytest.raises(DeliveryError) as caught:
        await email_notifier(closed_port(), catalog).send(item=delivery("a@cci.example"))
    assert caught.value.transient is True


def test_english_rendering_uses_the_english_catalog(catalog: Catalog) -> None:
    layout = render(payload(kind="reminder", sla_hours=48, working_days=3), catalog=catalog,
                    lang="en")
    assert layout.subject == "[Relocbot] Reminder: lead REL-2026-00042 is waiting for an advisor"
    assert "3 working days" in layout.intro        # the schedule counts working days
    assert "hours" not in layout.intro
    french = render(payload(kind="escalation", sla_hours=48, working_days=9), catalog=catalog)
    assert french.subject.startswith("[Relocbot] Escalade")
    assert "CCI Grand Hainaut" in french.intro
    assert "9 jours ouvrés" in french.intro
    assert "heures" not in french.intro


def test_the_desk_is_told_of_an_abandonment(catalog: Catalog) -> None:
    layout = render(payload(kind="abandoned", status="abandoned", working_days=45),
                    catalog=catalog)
    assert layout.kind == "abandoned"
    assert layout.subject.startswith("[Relocbot] Abandon")
    assert "45 jours ouvrés" in layout.intro
    assert layout.status == "Statut : abandonné (personne ne l'a pris en charge)"
    english = render(payload(kind="abandoned", working_days=45), catalog=catalog, lang="en")
    assert english.title.startswith("Abandoned · lead REL-2026-00042")


def test_core_notifiers_are_the_inbox_and_the_webhooks(tmp_path: Path) -> None:
    """Slack and e-mail are added by ``adapters.notifiers`` (test_build_notifiers.py)."""
    full = Settings(data_dir=tmp_path, _env_file=None,
                    slack_bot_token=SecretStr("xoxb-1"), smtp_host="smtp.example",
                    webhook_allowed_hosts=["crm.example"])
    notifiers = core_notifiers(full)
    assert set(notifiers) == {"inbox", "webhook"}
    webhook = notifiers["webhook"]
    assert isinstance(webhook, WebhookNotifier)
    assert webhook.allowed_hosts == {"crm.example"}
    assert all(name == n.name for name, n in notifiers.items())


def test_an_update_email_threads_under_the_first_one() -> None:
    notifier = EmailNotifier(host="127.0.0.1", port=25, sender="relocbot@example.org",
                             catalog=Catalog.load())
    first = notifier.build(delivery("advisor@example.org"))
    update = Delivery(idempotency_key="REL-2026-00001:update:1:mail:x", kind="update",
                      target="advisor@example.org", payload=payload(),
                      previous_ref=str(first["Message-ID"]))
    threaded = notifier.build(update)
    assert threaded["In-Reply-To"] == threaded["References"] == first["Message-ID"]
    assert threaded["Message-ID"] != first["Message-ID"]
    assert notifier.build(delivery("advisor@example.org"))["In-Reply-To"] is None
