"""The advisor console end to end in a real headless Chromium (Selenium, the system's chromium
and chromedriver) against a real `relocbot serve` process, its embedded worker, a fake
Telegram and a fake SMTP server: a lead arrives by Telegram; the advisor asks for a link, reads
it in the e-mail, signs in, sees the statistics, takes the lead, writes to the company (the
message arrives in the company's Telegram chat), closes it, and sees the statistics change.
Screenshots of the main pages, phone-sized, are kept in ``var/test-artefacts/console/`` (or
``RELOCBOT_TEST_ARTEFACTS``). Skipped only when no chromium or chromedriver is installed
(``apt-get install chromium chromium-driver``)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from html import unescape
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.settings import Settings
from ops.fakes.smtp_server import FakeSMTPServer
from ops.fakes.telegram_api import TOKEN, WEBHOOK_SECRET, FakeTelegramAPI, lead_form_updates, user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no chromium/chromedriver binary (apt-get install chromium chromium-driver)")
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("RELOCBOT_TEST_ARTEFACTS",
                                ROOT / "var" / "test-artefacts" / "console"))
ADVISOR_EMAIL = "camille@hainaut.example"
TG = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
OPS_TOKEN = "console-browser-ops-token"
T = TypeVar("T")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, url: str, telegram: FakeTelegramAPI, smtp: FakeSMTPServer,
                 http: httpx.AsyncClient) -> None:
        self.url, self.telegram, self.smtp, self.http = url, telegram, smtp, http


@pytest.fixture
async def served(kb: object, kb_settings: Settings,
                 tmp_path: Path) -> AsyncIterator[Served]:
    telegram, smtp = FakeTelegramAPI(), FakeSMTPServer()
    await telegram.start()
    smtp_port = await smtp.start()
    shutil.copytree(kb_settings.index_dir, tmp_path / "data" / "index")
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-grand-hainaut:\n    advisors: [U0CAMILLE]\n"
                     "    advisor_profiles:\n      U0CAMILLE: {first_name: Camille, "
                     f"share_first_name: true, email: {ADVISOR_EMAIL}}}\n")
    port = _port()
    url = f"http://localhost:{port}"   # a secure context for Chromium: Secure cookies work
    env = {**os.environ, "RELOCBOT_DATA_DIR": str(tmp_path / "data"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "TELEGRAM_API_BASE_URL": telegram.base_url,
           "RELOCBOT_DESKS_FILE": str(desks), "RELOCBOT_OUTBOX_BACKOFF_SECONDS": "0.2",
           "RELOCBOT_RATE_LIMIT_PER_MINUTE": "1000", "RELOCBOT_OPS_TOKEN": OPS_TOKEN,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_STARTTLS": "false",
           "SMTP_FROM": "relocbot@cci.example",
           "RELOCBOT_CONSOLE_SECRET": "browser-test-console-secret-0123456789",
           "RELOCBOT_CONSOLE_URL": f"{url}/console", "ORT_DISABLE_TELEMETRY": "1"}
    log_file = tmp_path / "serve.log"
    with log_file.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("relocbot")), "serve", "--port", str(port),
            env=env, stdout=log, stderr=asyncio.subprocess.STDOUT)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        deadline = time.monotonic() + 90
        while True:
            assert proc.returncode is None, log_file.read_text()[-3000:]
            try:
                if (await http.get("/readyz", headers={
                        "Authorization": f"Bearer {OPS_TOKEN}"})).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve never became ready"
            await asyncio.sleep(0.2)
        yield Served(url, telegram, smtp, http)
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    await telegram.stop()
    await smtp.stop()


class Browser:
    """A headless Chromium, phone-sized; every call runs in a thread (the fakes live in the
    test's event loop and must keep answering while the browser waits)."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=412,915", "--lang=fr-FR"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                                       options=options)

    async def run(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(call)

    async def get(self, url: str) -> None:
        await self.run(lambda: self.driver.get(url))

    async def click(self, xpath: str) -> None:
        from selenium.webdriver.common.by import By

        await self.run(lambda: self.driver.find_element(By.XPATH, xpath).click())

    async def type(self, name: str, text: str) -> None:
        from selenium.webdriver.common.by import By

        await self.run(lambda: self.driver.find_element(By.NAME, name).send_keys(text))

    async def text(self) -> str:
        """The page's visible text; empty while a new page replaces the old one."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        try:
            return str(await self.run(
                lambda: self.driver.find_element(By.TAG_NAME, "body").text))
        except WebDriverException:
            return ""

    async def see(self, expected: str, *, seconds: float = 15) -> str:
        """The page's text once it shows ``expected`` (a form's answer may still be loading)."""
        deadline = time.monotonic() + seconds
        while expected not in (shown := await self.text()):
            assert time.monotonic() < deadline, shown[:800]
            await asyncio.sleep(0.2)
        return shown

    async def shot(self, name: str) -> None:
        def save() -> None:
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(ARTEFACTS / f"{name}.png"))

        await self.run(save)

    def quit(self) -> None:
        self.driver.quit()


async def _lead(served: Served) -> str:
    me = user(702)
    for step in lead_form_updates(me, company="Ateliers Chromium", contact="Marie",
                                  email="marie@example.fr"):
        before = len(served.telegram.sent(702))
        assert (await served.http.post("/telegram/webhook", content=json.dumps(step),
                                       headers=TG)).status_code == 200
        await served.telegram.wait_calls("sendMessage", before + 1, chat_id=702)
    confirmation = str(served.telegram.sent(702)[-1]["text"])
    return "REL-" + confirmation.split("REL-", 1)[1].split()[0].rstrip(".,;")


async def _until(check: Callable[[], Any], *, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return found


async def test_an_advisor_signs_in_takes_writes_closes_and_sees_the_figures(
        served: Served) -> None:
    pytest.importorskip("selenium", reason="selenium is a dev dependency")
    ref = await _lead(served)
    browser = Browser()
    try:
        await browser.get(f"{served.url}/console/")
        await browser.shot("01-signin")
        await browser.type("email", ADVISOR_EMAIL)
        await browser.click("//button[@type='submit' or not(@type)][ancestor::main]")
        await browser.see("un lien de connexion vient d'y être envoyé")
        mail = await _until(lambda: served.smtp.messages)
        body = mail[-1].message.get_body(("plain",)).get_content()
        found = re.search(r"(http://\S+/console/auth\?t=\S+)", body)
        assert found is not None, body
        link = unescape(found.group(1))
        await browser.get(link)
        await browser.click("//main//button")
        await browser.see("Contacts de mes CCI")
        await browser.get(f"{served.url}/console/stats")
        await browser.see("Aucun contact pris en charge")
        await browser.get(f"{served.url}/console/leads")
        await browser.see(ref)
        await browser.shot("02-leads")
        await browser.click(f"//a[normalize-space()='{ref}']")
        await browser.see("Historique")
        await browser.shot("03-lead")
        await browser.click("//button[normalize-space()='Je prends']")
        await browser.see("« pris en charge »")
        await browser.type("text", "Bonjour, je vous appelle demain matin.")
        await browser.click("//button[normalize-space()='Envoyer']")
        await browser.see("Message transmis")
        await _until(lambda: [m for m in served.telegram.sent(702)
                              if "je vous appelle demain matin" in str(m.get("text"))])
        await browser.click("//button[normalize-space()='Clore : aidé']")
        await browser.see("clos : aidé")
        await browser.shot("04-lead-closed")
        await browser.get(f"{served.url}/console/stats")
        await browser.see("Pris en charge en moins de 72 h : 100 %")
        await browser.shot("05-stats")
        await browser.click("//a[normalize-space()='English']")
        await browser.see("My desks' leads")
        await browser.shot("06-leads-en")
    finally:
        await asyncio.to_thread(browser.quit)
