"""A SIREN or SIRET in the lead form and the aid finder: looked up in the register (the local
fake of the API Recherche d'entreprises, or a fake of our own ``CompanyLookup``), confirmed,
and what it says is not asked again; the form is unchanged when the register is off, down or
hanging; closed companies and intermediaries are flagged on the advisor's card."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.company import Company, CompanyLookup
from bot.i18n import Catalog
from bot.leads.notifiers.render import plain_text, render
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.storage.lead_tables import Lead, OutboxItem
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.company_api import FakeCompanyAPI

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recherche_entreprises"
DUPONT, CLOSED, CONSULTANCY = "812 345 676", "843 219 874", "901 122 333"
REST = ["Pièces usinées pour l'aéronautique", "Chine"]


@pytest.fixture
async def api() -> AsyncIterator[FakeCompanyAPI]:
    server = FakeCompanyAPI.load(FIXTURES)
    await server.start()
    yield server
    await server.stop()


def make(kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path, *,
         url: str | None = None, lookup: CompanyLookup | None = None,
         timeout: float = 1.0) -> Assistant:
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=1000, _env_file=None,
                        company_lookup=url is not None, company_api_url=url or "http://x",
                        company_api_timeout_seconds=timeout)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings,
                           company_lookup=lookup)


def say(value: str, user: str = "u") -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:{user}", user_id=user,
                    text=value)


def press(action: str, user: str = "u") -> Incoming:
    return Incoming(channel="terminal", conversation_key=f"terminal:{user}", user_id=user,
                    action=action, kind="action")


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.buttons]


async def until_siren(bot: Assistant, user: str = "u", *, company: str = "Ateliers Dupont",
                      siren: str = DUPONT) -> list[Reply]:
    await bot.handle(say("/conseiller", user))
    await bot.handle(press("lf:consent:yes", user))
    await bot.handle(say(company, user))
    return await bot.handle(say(siren, user))


async def finish(bot: Assistant, user: str = "u", answers: list[str] = REST) -> list[Reply]:
    for answer in answers:
        await bot.handle(say(answer, user))
    await bot.handle(press("lf:choice:pret", user))
    await bot.handle(press("lf:choice:moins-6-mois", user))
    await bot.handle(say("Marie Curie", user))
    await bot.handle(say("marie@example.fr", user))
    return await bot.handle(say("06 12 34 56 78", user))


async def stored(db: Database) -> tuple[Lead, dict[str, Any]]:
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        item = (await session.scalars(select(OutboxItem))).one()
        return lead, dict(item.payload)


async def test_a_confirmed_company_is_not_asked_again(
        kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path,
        api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    question = await until_siren(bot)
    assert joined(question) == "Est-ce bien ATELIERS DUPONT, Maubeuge, 20 à 49 salariés ?"
    assert actions(question) == ["lf:company:yes", "lf:company:no", "lf:back"]
    after = await bot.handle(press("lf:company:yes"))
    assert catalog.t("company_filled", "fr") in joined(after)
    assert catalog.t("lead_q_product", "fr") in joined(after)       # place, headcount, sector
    summary = joined(await finish(bot))
    for line in ("Entreprise : ATELIERS DUPONT", "SIREN : 812345676", "Lieu : 59600 Maubeuge",
                 "CCI : CCI Grand Hainaut", "Salariés : 20 à 49 salariés",
                 "Secteur : Fabrication de produits métalliques, à l'exception des machines et "
                 "des équipements (NAF 25.62A)"):
        assert line in summary
    await bot.handle(press("lf:confirm"))
    lead, payload = await stored(db)
    assert (lead.company, lead.siren, lead.postal_code, lead.commune, lead.desk_id) == (
        "ATELIERS DUPONT", "812345676", "59600", "Maubeuge", "cci-grand-hainaut")
    assert (lead.size, lead.headcount, lead.tier) == ("PME", None, "chaud")
    assert lead.details["registry"] == {"naf": "25.62A", "headcount_band": "12", "flags": []}
    card = plain_text(render(payload, catalog=catalog), catalog=catalog)
    assert "20 à 49 salariés (répertoire Sirene)" in card
    assert "⚠" not in card
    assert len(api.requests) == 1


async def test_no_keeps_every_question_and_a_siret_or_a_typed_yes_work(
        kb: KnowledgeBase, db: Database, catalog: Catalog,
        tmp_path: Path, api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await until_siren(bot, siren="SIRET 812 345 676 00017")
    no = await bot.handle(say("non"))
    assert catalog.t("lead_q_place", "fr") in joined(no)
    state = await db.load_state("terminal:u", channel="terminal")
    answers = state.data["lead"]["answers"]
    assert answers["company"] == "Ateliers Dupont"
    assert answers["siren"] == "812345676"
    assert "registry" not in answers
    assert "filled" not in state.data["lead"]
    await until_siren(bot, user="v", siren="81234567600017")
    yes = await bot.handle(say("oui c'est bien nous", "v"))
    assert catalog.t("lead_q_product", "fr") in joined(yes)
    await until_siren(bot, user="w")
    back = await bot.handle(press("lf:back", "w"))                    # the number was wrong
    assert catalog.t("lead_q_siren", "fr") in joined(back)


async def test_back_from_the_question_after_the_register_takes_its_answers_back(
        kb: KnowledgeBase, db: Database, catalog: Catalog,
        tmp_path: Path, api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await until_siren(bot)
    await bot.handle(press("lf:company:yes"))
    back = await bot.handle(press("lf:back"))                        # to the SIREN
    assert catalog.t("lead_q_siren", "fr") in joined(back)
    after = await bot.handle(press("lf:skip"))                        # no SIREN after all
    assert catalog.t("lead_q_place", "fr") in joined(after)
    state = await db.load_state("terminal:u", channel="terminal")
    answers = state.data["lead"]["answers"]
    assert answers["company"] == "Ateliers Dupont"                    # the typed name again
    assert not {"place", "size", "sector", "registry", "siren"} & set(answers)


async def questions(bot: Assistant, user: str) -> list[str]:
    """Every reply of a whole form, each one timed."""
    out = []
    for event in (say("/conseiller", user), press("lf:consent:yes", user),
                  say("Ateliers Dupont", user), say(DUPONT, user), say("Maubeuge", user),
                  say("25", user), say("métallurgie", user), say(REST[0], user),
                  say(REST[1], user), press("lf:choice:pret", user),
                  press("lf:choice:moins-6-mois", user), say("Marie Curie", user),
                  say("marie@example.fr", user), say("06 12 34 56 78", user)):
        started = time.perf_counter()
        out.append(joined(await bot.handle(event)))
        assert time.perf_counter() - started < 3.0
    return out


async def test_the_form_is_unchanged_when_the_register_is_off_or_down(
        kb: KnowledgeBase, db: Database, catalog: Catalog,
        tmp_path: Path, api: FakeCompanyAPI) -> None:
    off = await questions(make(kb, db, catalog, tmp_path), "off")
    assert "Est-ce bien" not in "\n".join(off)
    assert catalog.t("lead_summary_title", "fr") in off[-1]
    api.status = 503
    down = make(kb, db, catalog, tmp_path, url=api.base_url)
    assert await questions(down, "a") == off
    assert await questions(down, "b") == off
    assert len(api.requests) == 1                 # paused after the failure: b paid nothing
    gone = FakeCompanyAPI()
    url = await gone.start()
    await gone.stop()                              # no network: nothing listens
    assert await questions(make(kb, db, catalog, tmp_path, url=url), "c") == off


class Hanging:
    async def lookup(self, *, siren: str) -> Company | None:
        await asyncio.sleep(60)
        return None


class Broken:
    async def lookup(self, *, siren: str) -> Company | None:
        raise RuntimeError("register bug")


async def test_a_hanging_or_broken_lookup_never_holds_the_form(
        kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path
) -> None:
    for name, lookup in (("h", Hanging()), ("b", Broken())):
        bot = make(kb, db, catalog, tmp_path, lookup=lookup, timeout=0.3)
        started = time.perf_counter()
        replies = await until_siren(bot, user=name)
        assert time.perf_counter() - started < 3.0
        assert catalog.t("lead_q_place", "fr") in joined(replies)


async def test_closed_companies_and_intermediaries_are_flagged_to_the_advisor(
        kb: KnowledgeBase, db: Database, catalog: Catalog,
        tmp_path: Path, api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    question = await until_siren(bot, company="Filature du Nord", siren=CLOSED)
    assert joined(question) == ("Est-ce bien FILATURE DU NORD, Roubaix, entreprise indiquée "
                                "comme fermée au répertoire ?")
    after = await bot.handle(press("lf:company:yes"))
    assert catalog.t("lead_q_headcount", "fr") in joined(after)       # no band: asked
    await finish(bot, answers=["12", "Fils de lin", "Inde"])
    await bot.handle(press("lf:confirm"))
    lead, payload = await stored(db)
    assert lead.details["registry"]["flags"] == ["closed"]
    assert lead.headcount == 12
    card = plain_text(render(payload, catalog=catalog), catalog=catalog)
    assert catalog.t("notify_company_closed", "fr") in card
    assert "Intermédiaire" not in card


async def test_an_intermediary_is_flagged_with_its_naf_code(
        kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path,
        api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await until_siren(bot, company="CCS", siren=CONSULTANCY)
    await bot.handle(press("lf:company:yes"))
    await finish(bot)
    await bot.handle(press("lf:confirm"))
    lead, payload = await stored(db)
    assert lead.details["registry"]["flags"] == ["intermediary"]
    layout = render(payload, catalog=catalog)
    assert catalog.t("notify_company_intermediary", "fr", naf="70.22Z") in layout.notes
    assert lead.size == "TPE"


async def test_in_english(
        kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path,
        api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await bot.handle(say("/lang en"))
    question = await until_siren(bot)
    assert joined(question) == "Is it ATELIERS DUPONT, Maubeuge, 20 to 49 employees?"
    assert [b.label for r in question for b in r.buttons] == ["Yes", "No", "← Back"]
    after = await bot.handle(say("yes"))
    assert catalog.t("lead_q_product", "en") in joined(after)
    summary = joined(await finish(bot))
    assert "20 to 49 employees" in summary
    assert "Manufacture of fabricated metal products" in summary


async def test_the_finder_reads_a_siren_and_hands_the_company_over(
        kb: KnowledgeBase, db: Database, catalog: Catalog,
        tmp_path: Path, api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await bot.handle(press("menu:aid"))
    question = await bot.handle(say("notre SIREN : 812 345 676"))
    assert joined(question) == "Est-ce bien ATELIERS DUPONT, Maubeuge, 20 à 49 salariés ?"
    assert actions(question) == ["fd:company:yes", "fd:company:no"]
    again = await bot.handle(say("c'est quoi un SIREN ?"))           # a digression, then
    assert joined(again).endswith("Est-ce bien ATELIERS DUPONT, Maubeuge, 20 à 49 salariés ?")
    after = await bot.handle(press("fd:company:yes"))
    assert catalog.t("finder_ask_projects", "fr") in joined(after)   # place and size known
    state = await db.load_state("terminal:u", channel="terminal")
    profile = state.data["profile"]
    assert (profile["department"], profile["postal_code"], profile["size"],
            profile["sector"]) == ("59", "59600", "PME", "metallurgie")
    await bot.handle(press("menu:advisor"))
    form = await bot.handle(press("lf:consent:yes"))
    assert catalog.t("lead_q_product", "fr") in joined(form)          # nothing asked twice
    state = await db.load_state("terminal:u", channel="terminal")
    answers = state.data["lead"]["answers"]
    assert (answers["company"], answers["siren"], answers["desk"]) == (
        "ATELIERS DUPONT", "812345676", "cci-grand-hainaut")


async def test_the_finder_goes_on_when_it_is_not_the_company(
        kb: KnowledgeBase, db: Database, catalog: Catalog, tmp_path: Path,
        api: FakeCompanyAPI) -> None:
    bot = make(kb, db, catalog, tmp_path, url=api.base_url)
    await bot.handle(press("menu:aid"))
    await bot.handle(say("812345676"))
    no = await bot.handle(say("non"))
    assert catalog.t("finder_ask_department", "fr") in joined(no)
    state = await db.load_state("terminal:u", channel="terminal")
    assert "company" not in state.data
    assert state.data["profile"] == {"project_types": []}
