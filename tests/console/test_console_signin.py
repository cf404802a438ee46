"""Signing in to the advisor console (``bot.leads.signin``, ``adapters.console``): a one-time
link by e-mail to the advisors of the desks file, confirmed by a form; links work once and
expire; the session cookie is HttpOnly, Secure, SameSite=Strict; every form needs its CSRF
token; sign-in requests are rate-limited; nothing is told about unknown addresses; every
access is in the access log."""

from __future__ import annotations

import asyncio
import datetime as dt
from html import unescape
from pathlib import Path

import pytest

from bot.i18n import Catalog
from bot.leads.signin import SignInLimits
from bot.storage import Database
from bot.storage.retention import Retention, prune
from tests.console.console_harness import (
    CAMILLE,
    PAUL,
    ask_link,
    csrf,
    harness,
    open_link,
    session_csrf,
    sign_in,
)


async def test_a_link_signs_in_once_and_the_cookie_is_locked_down(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        sent = await ask_link(http, "  Camille@Hainaut.example ")
        assert sent.status_code == 200
        assert "un lien de connexion vient d'y être envoyé" in unescape(sent.text)
        [(to, _subject, text)] = h.mails.sent
        assert to == "Camille@Hainaut.example"
        assert "https://relocbot.test/console/auth?t=" in text
        link = h.mails.link()
        opened = await open_link(http, link)
        assert opened.status_code == 303
        assert opened.headers["location"] == "/console/leads"
        cookie = opened.headers["set-cookie"].lower()
        for flag in ("httponly", "secure", "samesite=strict", "path=/console"):
            assert flag in cookie
        assert (await http.get("/console/leads")).status_code == 200
    async with h.client() as other:       # the same link again, from another browser
        again = await open_link(other, link)
        assert again.status_code == 400
        assert "n'est plus valable" in unescape(again.text)
        assert (await other.get("/console/leads")).status_code == 303


async def test_a_link_expires_and_a_scanner_opening_it_does_not_use_it(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        await ask_link(http, PAUL)
        link = h.mails.link()
        assert (await http.get(link)).status_code == 200    # a GET uses nothing up
        h.clock.now += dt.timedelta(minutes=16)
        assert (await open_link(http, link)).status_code == 400
        await ask_link(http, PAUL)
        assert (await open_link(http, h.mails.link())).status_code == 303


async def test_unknown_addresses_get_the_same_answer_and_no_mail(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        known = await ask_link(http, CAMILLE)
        unknown = await ask_link(http, "intrus@example.com")
        assert known.status_code == unknown.status_code == 200
        assert known.text.replace(csrf(known.text), "") == unknown.text.replace(
            csrf(unknown.text), "")
        assert [to for to, _, _ in h.mails.sent] == [CAMILLE]


async def test_sign_in_is_rate_limited_per_client_and_per_advisor(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog, limits=SignInLimits(per_client=5, per_advisor=2))
    async with h.client() as http:
        statuses = [(await ask_link(http, CAMILLE)).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        assert len(h.mails.sent) == 2          # the advisor's own limit: two links
        h.clock.now += dt.timedelta(minutes=16)
        assert (await ask_link(http, CAMILLE)).status_code == 200
        assert len(h.mails.sent) == 3


async def test_forms_without_their_csrf_token_are_refused(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        page = await http.get("/console/signin")
        no_token = await http.post("/console/signin", data={"email": CAMILLE})
        wrong = await http.post("/console/signin", data={"email": CAMILLE, "csrf": "x" * 32})
        foreign = await http.post("/console/signin", data={"email": CAMILLE,
                                                           "csrf": csrf(page.text)},
                                  headers={"Origin": "https://evil.example"})
        assert [r.status_code for r in (no_token, wrong, foreign)] == [403, 403, 403]
        assert h.mails.sent == []
        await sign_in(h, http, CAMILLE)
        token = await session_csrf(http)
        for data in ({"action": "lead_claim"}, {"action": "lead_claim", "csrf": "forged"}):
            refused = await http.post(f"/console/leads/{ref}/action", data=data)
            assert refused.status_code == 403
        assert (await http.post("/console/signout", data={})).status_code == 403
        history = await db.leads.history(ref=ref)
        assert history is not None
        assert history.lead.status == "new"
        taken = await http.post(f"/console/leads/{ref}/action",
                                data={"action": "lead_claim", "csrf": token})
        assert taken.status_code == 303


async def test_signing_out_ends_the_session(db: Database, tmp_path: Path,
                                            catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        stolen = http.cookies["relocbot_session"]
        out = await http.post("/console/signout", data={"csrf": await session_csrf(http)})
        assert out.status_code == 303
    async with h.client() as thief:
        thief.cookies.set("relocbot_session", stolen, domain="relocbot.test")
        assert (await thief.get("/console/leads")).status_code == 303


async def test_sessions_expire_and_the_retention_sweep_removes_them(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        async with h.client() as other:
            await ask_link(other, PAUL)                  # never used
        h.clock.now += dt.timedelta(hours=13)
        assert (await http.get("/console/leads")).status_code == 303
    retention = Retention.from_days(conversations=30, questions=90, events=7)
    removed = await prune(db, retention, now=h.clock.now)
    assert (removed["console_links"], removed["console_sessions"]) == (2, 1)
    assert await db.console.access_log()                 # the access log stays a year
    later = await prune(db, retention, now=h.clock.now + dt.timedelta(days=366))
    assert later["console_access"] > 0
    assert await db.console.access_log() == []


async def test_an_advisor_removed_from_the_desks_file_loses_access(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        h.service.desks.desks["cci-grand-hainaut"].advisors.clear()
        try:
            assert (await http.get("/console/leads")).status_code == 303
        finally:
            h.service.desks.desks["cci-grand-hainaut"].advisors.append("U0CAMILLE")


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_every_access_is_logged_with_its_actor(db: Database, tmp_path: Path,
                                                     catalog: Catalog, lang: str) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        await http.get(f"/console/lang/{lang}")
        await sign_in(h, http, CAMILLE)
        page = await http.get(f"/console/leads/{ref}")
        assert page.status_code == 200
        assert ('Envoyer' if lang == "fr" else 'Send') in page.text
    log = await db.console.access_log()
    lines = [(a.actor, a.action, a.target, a.status) for a in log]
    assert ("anonymous", "signin_request", None, 200) in lines
    assert ("U0CAMILLE", "session_opened", None, 303) in lines
    assert lines[-1] == ("U0CAMILLE", "lead", ref, 200)


async def test_two_console_instances_on_one_database_share_the_limits(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    """Two replicas (their own engine and pool, the same database) count the same requests:
    the client address's limit and the advisor's are the database's, not a process's."""
    other_db = Database(db.url)
    try:
        limits = SignInLimits(per_client=4, per_advisor=2)
        first = harness(db, tmp_path, catalog, limits=limits)
        second = harness(other_db, tmp_path, catalog, limits=limits)
        async with first.client() as one, second.client() as two:
            statuses = [(await ask_link(http, CAMILLE)).status_code
                        for http in (one, two, one, two, one, two)]
        assert statuses == [200, 200, 200, 200, 429, 429]
        assert len(first.mails.sent) + len(second.mails.sent) == 2    # the advisor's two
        first.clock.now = second.clock.now = first.clock.now + dt.timedelta(minutes=16)
        async with second.client() as two:
            assert (await ask_link(two, PAUL)).status_code == 200
        assert [to for to, _, _ in second.mails.sent][-1] == PAUL
    finally:
        await other_db.close()


async def test_concurrent_requests_on_two_engines_let_exactly_the_limit_through(
        db: Database) -> None:
    other_db = Database(db.url)
    try:
        now = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
        hits = await asyncio.gather(*(
            (db if i % 2 else other_db).console.hit(bucket="client-digest", now=now,
                                                    window_seconds=900, limit=5)
            for i in range(12)))
        assert sum(hits) == 5
        assert not await db.console.hit(bucket="client-digest", now=now, window_seconds=900,
                                        limit=5)
        assert await db.console.hit(bucket="another", now=now, window_seconds=900, limit=5)
        later = now + dt.timedelta(seconds=901)
        assert await other_db.console.hit(bucket="client-digest", now=later,
                                          window_seconds=900, limit=5)
    finally:
        await other_db.close()
