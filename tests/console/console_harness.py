"""The advisor console on an ASGI transport: three desks and their advisors, a lead service
on a movable clock, a sender keeping the sign-in e-mails, and helpers that sign in by link
the way a browser does (form, CSRF cookie, e-mail, confirmation form)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from adapters.console import ConsoleConfig, build_console
from bot.i18n import Catalog
from bot.leads.actions import REGIONAL_DESK
from bot.leads.console import Console
from bot.leads.desks import AdvisorProfile, Desk, Desks
from bot.leads.service import LeadService
from bot.leads.signin import SignIn, SignInLimits
from bot.settings import Settings
from bot.storage import Database

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
HAINAUT, LILLE = "cci-grand-hainaut", "cci-grand-lille"
CAMILLE, PAUL, REGION = "camille@hainaut.example", "paul@lille.example", "region@cci.example"
SECRET = "console-secret-for-tests-0123456789"
BASE = "https://relocbot.test"
DESKS = Desks(desks={
    HAINAUT: Desk(slack_channel="C0HAINAUT", advisors=["U0CAMILLE"], advisor_profiles={
        "U0CAMILLE": AdvisorProfile(first_name="Camille", share_first_name=True,
                                    email=CAMILLE)}),
    LILLE: Desk(advisors=[PAUL]),                        # listed by the address itself
    REGIONAL_DESK: Desk(advisors=["U0REGION"], advisor_profiles={
        "U0REGION": AdvisorProfile(email=REGION)})})
ANSWERS: dict[str, Any] = {"company": "Ateliers du Nord", "postal_code": "59300",
                           "commune": "Valenciennes", "department": "59", "desk": HAINAUT,
                           "routing_rule": "commune Valenciennes -> cci-grand-hainaut",
                           "product": "Chemises", "email": "marie@example.fr",
                           "sector": "textile", "headcount": 40}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')
_LINK = re.compile(r"(https://\S+/auth\?t=\S+)")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Mails:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    async def send_link(self, *, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject, text))

    def link(self) -> str:
        found = _LINK.search(self.sent[-1][2])
        assert found is not None
        return found.group(1)


@dataclass
class Harness:
    service: LeadService
    clock: Clock
    mails: Mails
    app: Starlette

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)

    async def submit(self, *, user: str, desk: str = HAINAUT, **answers: Any) -> str:
        result = await self.service.submit(
            {**ANSWERS, "company": f"Ateliers {user}", "desk": desk, **answers},
            channel="telegram", conversation_key=f"telegram:{user}:{user}",
            user_key=f"telegram:{user}", consent_at=self.clock().isoformat(),
            consent_version="2026-11", lang="fr")
        return result.ref


def harness(db: Database, tmp_path: Path, catalog: Catalog, *,
            limits: SignInLimits | None = None, desks: Desks = DESKS) -> Harness:
    clock = Clock()
    service = LeadService(db=db, settings=Settings(data_dir=tmp_path, _env_file=None),
                          desks=desks, catalog=catalog,
                          desk_names={HAINAUT: "CCI Grand Hainaut", LILLE: "CCI Grand Lille"},
                          clock=clock)
    mails = Mails()
    console = build_console(
        console=Console(service=service),
        signin=SignIn(db=db, desks=desks, secret=SECRET, clock=clock, limits=limits),
        catalog=catalog, sender=mails, config=ConsoleConfig(public_url=f"{BASE}/console"))
    return Harness(service, clock, mails, Starlette(routes=[Mount("/console", app=console)]))


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def nonce(html: str) -> str:
    found = _NONCE.search(html)
    assert found is not None
    return found.group(1)


async def ask_link(http: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await http.get("/console/signin")
    return await http.post("/console/signin", data={"email": email, "csrf": csrf(page.text)})


async def open_link(http: httpx.AsyncClient, link: str) -> httpx.Response:
    page = await http.get(link)
    token = link.split("t=", 1)[1]
    return await http.post("/console/auth", data={"t": token, "csrf": csrf(page.text)})


async def sign_in(h: Harness, http: httpx.AsyncClient, email: str) -> None:
    await ask_link(http, email)
    response = await open_link(http, h.mails.link())
    assert response.status_code == 303, response.text
    assert http.cookies.get("relocbot_session")


async def session_csrf(http: httpx.AsyncClient) -> str:
    return csrf((await http.get("/console/leads")).text)
