"""The advisor console's lead pages (``adapters.console``, ``bot.leads.console``): my desks'
leads with filters, a lead's page, the card's actions audited with the advisor as actor, a
message to the company queued once and audited without its text, statistics with SVG charts
and CSV; and the security matrix: every route, with no session and with another desk's
advisor."""

from __future__ import annotations

import csv
import io
import json
from html import unescape
from pathlib import Path

import httpx
import pytest

from bot.i18n import Catalog
from bot.leads.dispatcher import Dispatcher
from bot.leads.notifiers import Delivery
from bot.leads.relay import relay_open
from bot.storage import Database
from tests.console.console_harness import (
    CAMILLE,
    HAINAUT,
    LILLE,
    PAUL,
    REGION,
    Harness,
    harness,
    nonce,
    session_csrf,
    sign_in,
)

SECRET_WORDS = "visite de l'usine jeudi à 10 h"


async def test_an_advisor_lists_their_desks_leads_with_filters(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    mine = await h.submit(user="1")
    other = await h.submit(user="2", sector="métallurgie")
    theirs = await h.submit(user="3", desk=LILLE)
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        page = (await http.get("/console/leads")).text
        assert mine in page
        assert other in page
        assert theirs not in page
        assert "2 contact(s)" in page
        textile = (await http.get("/console/leads", params={"sector": "Textile"})).text
        assert mine in textile
        assert other not in textile
        assert "1 contact(s)" in (await http.get("/console/leads",
                                                 params={"status": "new", "age": "7",
                                                         "sector": "métallurgie"})).text
        assert "0 contact(s)" in (await http.get("/console/leads",
                                                 params={"score": "100"})).text
        assert "0 contact(s)" in (await http.get("/console/leads",
                                                 params={"desk": LILLE})).text
    async with h.client() as http:            # the regional desk sees every desk's
        await sign_in(h, http, REGION)
        page = (await http.get("/console/leads")).text
        assert all(ref in page for ref in (mine, other, theirs))


async def test_a_lead_page_shows_answers_routing_score_and_timeline(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        page = unescape((await http.get(f"/console/leads/{ref}")).text)
    for text in ("Ateliers 1", "Chemises", "marie@example.fr", "59300 Valenciennes (59)",
                 "commune Valenciennes -> cci-grand-hainaut", "/100", "Historique",
                 "demande reçue", "Je prends", "Pas pour nous : doublon",
                 'name="viewport"'):
        assert text in page, text
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page.replace(
        "http://www.w3.org/2000/svg", "")


async def test_take_message_and_close_a_lead(db: Database, tmp_path: Path,
                                             catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        token = await session_csrf(http)
        taken = await http.post(f"/console/leads/{ref}/action",
                                data={"action": "lead_claim", "csrf": token},
                                follow_redirects=True)
        assert "« pris en charge »" in unescape(taken.text)
        page = (await http.get(f"/console/leads/{ref}")).text
        form = {"text": f"Bonjour, {SECRET_WORDS} ?", "csrf": token, "nonce": nonce(page)}
        sent = await http.post(f"/console/leads/{ref}/message", data=form,
                               follow_redirects=True)
        again = await http.post(f"/console/leads/{ref}/message", data=form,
                                follow_redirects=True)
        assert "Message transmis" in sent.text
        assert "déjà été transmis" in unescape(again.text)
        empty = await http.post(f"/console/leads/{ref}/message",
                                data={**form, "text": " ", "nonce": "n2"},
                                follow_redirects=True)
        assert "il ne contient pas de texte" in empty.text
        closed = await http.post(f"/console/leads/{ref}/action",
                                 data={"action": "lead_close_helped", "csrf": token},
                                 follow_redirects=True)
        assert "clos : aidé" in unescape(closed.text)
        late = await http.post(f"/console/leads/{ref}/action",
                               data={"action": "lead_claim", "csrf": token},
                               follow_redirects=True)
        assert "n'est plus possible" in unescape(late.text)
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.owner) == ("closed_helped", "U0CAMILLE")
    moves = [(e.actor, e.detail.get("to")) for e in history.events if e.action == "transition"]
    assert moves == [("U0CAMILLE", "taken"), ("U0CAMILLE", "closed_helped")]
    [message] = [d for d in history.deliveries if d.kind == "company_message"]
    assert (message.notifier, message.target) == ("company", "telegram:1")
    assert message.payload["text"] == f"Bonjour, {SECRET_WORDS} ?"
    assert message.payload["advisor"] == "Camille"
    [relayed] = [e for e in history.events if e.action == "relay_to_company"]
    assert (relayed.actor, relayed.detail["via"]) == ("U0CAMILLE", "console")
    assert SECRET_WORDS not in json.dumps([e.detail for e in history.events])
    assert [e.actor for e in history.events if e.action == "transition_refused"] == [
        "U0CAMILLE"]


class Cards:
    """A stand-in Slack notifier: every card it posts is ``C0HAINAUT:1700000000.000001``."""

    name = "slack"

    async def send(self, *, item: Delivery) -> str | None:
        return "C0HAINAUT:1700000000.000001"


async def test_a_message_opens_the_relay_on_the_lead_s_slack_card(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    await Dispatcher(db, {"slack": Cards()}, max_attempts=1, backoff_seconds=1).run_once()
    assert await relay_open(h.service, ref=ref, user_key="telegram:1") is None
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        page = (await http.get(f"/console/leads/{ref}")).text
        await http.post(f"/console/leads/{ref}/message", data={
            "text": "Bonjour", "csrf": await session_csrf(http), "nonce": nonce(page)})
    opened = await relay_open(h.service, ref=ref, user_key="telegram:1")
    assert opened is not None
    assert (opened.ref, opened.advisor) == (ref, "Camille")
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert history.lead.details["relay"]["thread"] == "C0HAINAUT:1700000000.000001"


async def test_refuse_with_a_reason_hands_the_lead_on(db: Database, tmp_path: Path,
                                                      catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        token = await session_csrf(http)
        refused = await http.post(f"/console/leads/{ref}/action",
                                  data={"action": "lead_refuse_territory", "csrf": token})
        assert refused.status_code == 303
        # handed on to the regional desk: no longer Camille's
        assert (await http.get(f"/console/leads/{ref}")).status_code == 404
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert history.lead.desk_id == "cci-hauts-de-france"
    assert history.lead.details["status_reason"] == "territory"


async def test_reassign_hands_a_taken_lead_to_the_regional_desk(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="1")
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        token = await session_csrf(http)
        for action in ("lead_claim", "lead_reassign"):
            moved = await http.post(f"/console/leads/{ref}/action",
                                    data={"action": action, "csrf": token})
            assert moved.status_code == 303
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert (history.lead.status, history.lead.desk_id, history.lead.owner) == (
        "new", "cci-hauts-de-france", None)
    async with h.client() as http:
        await sign_in(h, http, REGION)
        assert "Je prends" in (await http.get(f"/console/leads/{ref}")).text


async def test_statistics_show_charts_and_export_csv(db: Database, tmp_path: Path,
                                                     catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog)
    first = await h.submit(user="1")
    await h.submit(user="2", sector="métallurgie")
    await h.submit(user="3", desk=LILLE)
    async with h.client() as http:
        await sign_in(h, http, CAMILLE)
        before = unescape((await http.get("/console/stats")).text)
        assert "2 contact(s) sur la période" in before
        assert "Aucun contact pris en charge" in before
        assert before.count("<svg") == 4
        token = await session_csrf(http)
        await http.post(f"/console/leads/{first}/action",
                        data={"action": "lead_claim", "csrf": token})
        after = unescape((await http.get("/console/stats")).text)
        assert "Pris en charge en moins de 72 h : 100 %" in after
        exported = await http.get("/console/stats.csv", params={"desk": HAINAUT})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert rows[0][:4] == ["desk", "week", "leads", "taken"]
        assert [r[2:4] for r in rows[1:] if r[2] != "0"] == [["2", "1"]]
        assert {r[0] for r in rows[1:]} == {HAINAUT}


ROUTES: list[tuple[str, str, bool]] = [   # method, path ({ref}: the other desk's lead), form
    ("GET", "/console/leads", False),
    ("GET", "/console/leads/{ref}", False),
    ("POST", "/console/leads/{ref}/action", True),
    ("POST", "/console/leads/{ref}/message", True),
    ("GET", "/console/stats?desk=" + LILLE, False),
    ("GET", "/console/stats.csv?desk=" + LILLE, False),
]


async def _call(http: httpx.AsyncClient, method: str, path: str, csrf: str) -> httpx.Response:
    if method == "GET":
        return await http.get(path)
    return await http.post(path, data={"csrf": csrf, "action": "lead_claim", "text": "Bonjour",
                                       "nonce": "n1"})


async def _matrix(h: Harness, http: httpx.AsyncClient, ref: str, csrf: str) -> list[int]:
    return [(await _call(http, method, path.format(ref=ref), csrf)).status_code
            for method, path, _ in ROUTES]


@pytest.mark.parametrize("who", ["nobody", "other desk"])
async def test_nobody_and_other_desks_reach_nothing(db: Database, tmp_path: Path,
                                                    catalog: Catalog, who: str) -> None:
    h = harness(db, tmp_path, catalog)
    ref = await h.submit(user="9", desk=LILLE)
    async with h.client() as http:
        token = "nothing"
        if who == "other desk":
            await sign_in(h, http, CAMILLE)
            token = await session_csrf(http)
        statuses = await _matrix(h, http, ref, token)
        texts = [(await http.get(p.format(ref=ref))).text for m, p, _ in ROUTES if m == "GET"]
    if who == "nobody":
        assert statuses == [303, 303, 403, 403, 303, 303]
    else:
        assert statuses == [200, 404, 404, 404, 404, 404]
    assert all("Ateliers 9" not in text and ref not in text for text in texts)
    history = await db.leads.history(ref=ref)
    assert history is not None
    assert history.lead.status == "new"
    assert not [d for d in history.deliveries if d.kind == "company_message"]
    async with h.client() as http:             # the lead's own advisor reaches it all
        await sign_in(h, http, PAUL)
        token = await session_csrf(http)
        assert await _matrix(h, http, ref, token) == [200, 200, 303, 303, 200, 200]
