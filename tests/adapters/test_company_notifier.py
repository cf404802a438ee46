"""The ``company`` notifier (``adapters.company_notifier``) against the fake Telegram Bot API,
the fake Slack Web API and a local SMTP server: the company's own chat first, its e-mail when
the chat is not configured or refuses, never both; escaped; nothing after an erasure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.company_notifier import RELAY_ACTION_ID, CompanyNotifier
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.leads.notifiers import Delivery, EmailNotifier
from ops.fakes.slack_api import FakeSlackAPI
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.telegram_api import TOKEN, FakeTelegramAPI, parse_html, plain

REF = "REL-2026-00042"


def notice(target: str, **payload: Any) -> Delivery:
    base = {"ref": REF, "kind": "company_notice", "notice": "taken", "lang": "fr",
            "desk_name": "CCI Grand Hainaut", "email": "marie@example.fr"}
    kind = str(payload.get("kind", base["kind"]))
    return Delivery(idempotency_key=f"{REF}:{kind}:1", kind=kind, target=target,
                    payload=base | payload)


def message(target: str, text: str = "Bonjour <b>Marie</b> & co,\nlibre jeudi ?",
            **payload: Any) -> Delivery:
    return notice(target, kind="company_message", text=text, advisor="Camille", **payload)


def company(catalog: Catalog, *, telegram: FakeTelegramAPI | None = None,
            slack: FakeSlackAPI | None = None, smtp: FakeSMTPServer | None = None
            ) -> CompanyNotifier:
    mail = EmailNotifier(host="127.0.0.1", port=smtp.port, sender="relocbot@cci.example",
                         starttls=False, catalog=catalog, timeout=5) if smtp else None
    return CompanyNotifier(catalog=catalog, mail=mail, timeout=5,
                           telegram_token=TOKEN if telegram else None,
                           telegram_base_url=telegram.base_url if telegram else "http://x/bot",
                           slack_token="xoxb-test" if slack else None,
                           slack_base_url=slack.base_url if slack else "http://x/api/")


async def test_telegram_gets_the_notice_in_the_company_s_language(
        telegram: FakeTelegramAPI, catalog: Catalog) -> None:
    notifier = company(catalog, telegram=telegram)
    assert await notifier.send(item=notice("telegram:4242")) == "telegram:4242:1"
    assert await notifier.send(item=notice("telegram:4242", lang="en",
                                           notice="closed_unreachable")) == "telegram:4242:2"
    french, english = telegram.sent(4242)
    assert french["parse_mode"] == "HTML"
    assert french["link_preview_options"] == {"is_disabled": True}
    assert catalog.t("followup_taken", "fr", ref=REF, who="la CCI Grand Hainaut") in plain(
        french["text"])
    assert "reply_markup" not in french
    assert plain(english["text"]).startswith(f"Your request {REF} is closed: CCI Grand Hainaut "
                                             "could not reach you.")


async def test_a_relayed_message_is_escaped_and_offers_to_reply(telegram: FakeTelegramAPI,
                                                                catalog: Catalog) -> None:
    await company(catalog, telegram=telegram).send(item=message("telegram:4242"))
    [sent] = telegram.sent(4242)
    parsed = parse_html(sent["text"])        # valid Telegram HTML: the <b> is text
    assert "Bonjour <b>Marie</b> & co,\nlibre jeudi ?" in "".join(parsed.text)
    assert "<blockquote>" in sent["text"]
    assert "Camille (CCI Grand Hainaut) vous écrit" in plain(sent["text"])
    assert sent["reply_markup"] == {"inline_keyboard": [[
        {"text": "Répondre", "callback_data": f"rl:reply:{REF}"}]]}


async def test_a_blocked_bot_falls_back_to_the_e_mail(telegram: FakeTelegramAPI,
                                                      smtp: FakeSMTPServer,
                                                      catalog: Catalog) -> None:
    notifier = company(catalog, telegram=telegram, smtp=smtp)
    telegram.fail("sendMessage", code=403, description="Forbidden: bot was blocked by the user")
    remote = await notifier.send(item=message("telegram:4242"))
    assert str(remote).startswith("email:<relocbot.")
    [mail] = smtp.messages
    assert mail.recipients == ["marie@example.fr"]
    assert str(mail.message["Subject"]).strip() == catalog.t("followup_subject_message", "fr",
                                                             ref=REF)
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "> Bonjour <b>Marie</b> & co," in text
    assert catalog.t("followup_message_hint_email", "fr") in text
    assert "Répondre" not in text          # no button in an e-mail
    telegram.fail("sendMessage", code=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(DeliveryError) as caught:     # no e-mail either: nothing to try
        await notifier.send(item=notice("telegram:4242", email=None))
    assert caught.value.transient is False
    assert "4242" not in str(caught.value)


async def test_a_telegram_outage_is_retried_not_sent_by_e_mail(telegram: FakeTelegramAPI,
                                                               smtp: FakeSMTPServer,
                                                               catalog: Catalog) -> None:
    notifier = company(catalog, telegram=telegram, smtp=smtp)
    for code in (500, 429):
        telegram.fail("sendMessage", code=code)
        with pytest.raises(DeliveryError) as caught:
            await notifier.send(item=notice("telegram:4242"))
        assert caught.value.transient is True
    assert smtp.messages == []


async def test_slack_gets_a_direct_message_with_the_reply_button(slack: FakeSlackAPI,
                                                                 catalog: Catalog) -> None:
    notifier = company(catalog, slack=slack)
    remote = await notifier.send(item=message("slack:U0MARIE", text="<!channel> RDV ?"))
    [post] = slack.calls_to("chat.postMessage")
    assert remote == f"slack:U0MARIE:{post.answer['ts']}"
    assert post.body["channel"] == "U0MARIE"
    text = json.dumps(post.body, ensure_ascii=False)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; RDV ?" in text
    [actions] = [b for b in post.body["blocks"] if b["type"] == "actions"]
    [reply] = actions["elements"]
    assert (reply["action_id"], reply["value"]) == (RELAY_ACTION_ID, f"rl:reply:{REF}")


async def test_slack_user_gone_falls_back_to_the_e_mail(slack: FakeSlackAPI, smtp: FakeSMTPServer,
                                                        catalog: Catalog) -> None:
    notifier = company(catalog, slack=slack, smtp=smtp)
    slack.fail("chat.postMessage", "user_not_found")
    assert str(await notifier.send(item=notice("slack:U0GONE"))).startswith("email:")
    slack.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "1"})
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(item=notice("slack:U0MARIE"))
    assert caught.value.transient is True
    assert len(smtp.messages) == 1


async def test_without_the_company_s_channel_the_e_mail_is_used(smtp: FakeSMTPServer,
                                                               catalog: Catalog) -> None:
    notifier = company(catalog, smtp=smtp)              # no Telegram token in this process
    for target in ("telegram:4242", "terminal:local"):
        assert str(await notifier.send(item=notice(target, lang="en"))).startswith("email:")
    assert [str(m.message["Subject"]).strip() for m in smtp.messages] == [
        f"Relocbot: your request {REF} has been taken on"] * 2
    with pytest.raises(DeliveryError) as caught:
        await company(catalog).send(item=notice("telegram:4242"))
    assert caught.value.transient is False


async def test_an_erased_row_is_never_sent(telegram: FakeTelegramAPI, catalog: Catalog) -> None:
    erased = Delivery(idempotency_key=f"{REF}:company_notice:1", kind="company_notice",
                      target="[effacé]",
                      payload={"ref": REF, "kind": "company_notice", "erased": True})
    assert await company(catalog, telegram=telegram).send(item=erased) is None
    assert telegram.sent() == []
