"""The console's coverage page (``adapters.console.coverage_page``): the audit of ``relocbot
desks coverage`` on the declared desks file, for the regional desk's advisors only; a local
desk's advisor is refused like another desk's lead, nobody is sent to sign in, every request
is in the access log, and the page speaks English with the language switch."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from bot.i18n import Catalog
from bot.leads.coverage import audit_coverage
from bot.leads.desks import Desk, Desks
from bot.leads.routing import Router
from bot.storage import Database
from tests.console.console_harness import CAMILLE, DESKS, PAUL, REGION, harness, sign_in

NOWHERE = "cci-nowhere"
# the harness's desks, and one no rule names, with no advisor and a channel declared public
GAPS = Desks(desks={**DESKS.desks,
                    NOWHERE: Desk(slack_channel="C0OPEN", slack_channel_private=False)})


async def test_the_regional_desk_sees_the_gaps_of_the_desks_file(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog, desks=GAPS)
    async with h.client() as http:
        await sign_in(h, http, REGION)
        leads = (await http.get("/console/leads")).text
        assert 'href="/console/coverage"' in leads
        response = await http.get("/console/coverage")
    assert response.status_code == 200
    page = unescape(response.text)
    report = audit_coverage(desks=GAPS, router=Router.load())
    assert f"{len(report.gaps)} lacune(s) à corriger" in page
    for text in ("Couverture des CCI", "Lieux de la région sans CCI configurée",
                 "commune(s) sans", "CCI qu'aucune règle de routage ne nomme (1)",
                 "CCI sans conseiller (1)", f"<li>{NOWHERE}</li>",
                 "CCI Grand Lille (cci-grand-lille)",         # no Slack, e-mail nor webhook
                 "C0OPEN", "déclaré public ou partagé", "C0HAINAUT", "non déclaré",
                 "Canaux Slack publics, partagés ou non déclarés (2)", 'name="viewport"'):
        assert text in page, text
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page


async def test_a_local_desks_advisor_is_refused_and_nobody_signs_in(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog, desks=GAPS)
    async with h.client() as http:
        nobody = await http.get("/console/coverage")
        assert nobody.status_code == 303
        assert nobody.headers["location"] == "/console/signin"
        for email in (CAMILLE, PAUL):
            http.cookies.clear()
            await sign_in(h, http, email)
            assert "/console/coverage" not in (await http.get("/console/leads")).text
            refused = await http.get("/console/coverage")
            assert refused.status_code == 404
            assert NOWHERE not in refused.text
            assert "C0OPEN" not in refused.text
    log = [(a.actor, a.action, a.status) for a in await db.console.access_log()
           if a.action == "coverage"]
    assert log == [("anonymous", "coverage", 303), ("U0CAMILLE", "coverage", 404),
                   (PAUL, "coverage", 404)]


async def test_the_coverage_page_is_audited_and_speaks_english(
        db: Database, tmp_path: Path, catalog: Catalog) -> None:
    h = harness(db, tmp_path, catalog, desks=GAPS)
    async with h.client() as http:
        await http.get("/console/lang/en")
        await sign_in(h, http, REGION)
        page = unescape((await http.get("/console/coverage")).text)
    for text in ('<html lang="en">', "Desk coverage", "gap(s) to fix in the desks file",
                 "Desks no routing rule names (1)", "Desks without advisor (1)",
                 "declared public or shared", "not declared", "Coverage"):
        assert text in page, text
    assert "lacune" not in page
    log = await db.console.access_log()
    assert (log[-1].actor, log[-1].action, log[-1].target, log[-1].status) == (
        "U0REGION", "coverage", None, 200)


async def test_a_complete_desks_file_has_no_gaps(db: Database, tmp_path: Path,
                                                 catalog: Catalog) -> None:
    router = Router.load()
    desk = Desk(slack_channel="C0PRIVATE", slack_channel_private=True, advisors=["U0REGION"])
    named = {router.regional, *(d for ds in router.departments.values() for d in ds),
             *router.sector_desks.values(),
             *(d for c in router.geo.communes for d in ([c.cci] if c.cci else c.cci_candidates))}
    regional = DESKS.desks[router.regional].model_copy(
        update={"slack_channel": "C0REGION", "slack_channel_private": True})
    complete = Desks(desks={**dict.fromkeys(sorted(named), desk), router.regional: regional})
    assert audit_coverage(desks=complete, router=router).ok
    h = harness(db, tmp_path, catalog, desks=complete)
    async with h.client() as http:
        await sign_in(h, http, REGION)
        page = unescape((await http.get("/console/coverage")).text)
    assert "Aucune lacune" in page
    assert "déclaré privé" in page
