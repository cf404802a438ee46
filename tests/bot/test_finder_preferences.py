"""What a request says about the aid wanted: its form, a loan to be guaranteed, a closed kind,
and a documents' answer that does not fit the company (the finder through the Assistant)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.understanding import Vocabulary
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

TODAY = dt.date(2026, 11, 26)
CREDIT = "y a-t-il un crédit d'impôt pour relocaliser ?"


def build(kb: KnowledgeBase, db: Database, catalog: Catalog, today: dt.date) -> Assistant:
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None),
                           today=lambda: today)


async def say(bot: Assistant, value: str) -> list[Reply]:
    return await bot.handle(Incoming(channel="terminal", conversation_key="terminal:p",
                                     user_id="p", text=value))


@pytest.mark.parametrize(("text", "forms"), [
    ("Qui peut garantir une partie du prêt ?", ["garantie"]),
    ("une garantie sur mon emprunt bancaire", ["garantie"]),
    ("which guarantee schemes help to get a bank loan?", ["garantie"]),
    ("a loan guarantee", ["garantie"]),
    ("je cherche un prêt ou une garantie", ["pret", "garantie"]),   # either: both kept
    ("un prêt garanti par l'État", ["pret"]),                         # a loan, guaranteed
])
def test_a_loan_to_be_guaranteed_is_not_a_second_form_asked_for(text: str,
                                                                 forms: list[str]) -> None:
    assert Vocabulary.load().aid_preferences(text)[0] == forms


async def test_the_guarantee_asked_for_comes_before_loans(kb: KnowledgeBase, db: Database,
                                                          catalog: Catalog) -> None:
    replies = await say(build(kb, db, catalog, TODAY), "Ma banque veut une garantie pour financer "
                        "ma nouvelle ligne de production. Qui peut garantir une partie du prêt ?")
    listing = next(r for r in replies if r.text.startswith("Votre profil"))
    first = listing.citations[0].source_id
    assert "garantie" in kb.aids[first].aid_forms
    assert "Prêt Nouvelle Industrie" not in listing.text.split("2. ")[0]


async def test_a_closed_kind_of_aid_is_said_first(kb: KnowledgeBase, db: Database,
                                                  catalog: Catalog) -> None:
    replies = await say(build(kb, db, catalog, TODAY), CREDIT)
    first = replies[0]   # the documents' answer about it, or the finder's own sentence
    assert [c.source_id for c in first.citations] == ["c3iv-credit-impot-industrie-verte"]
    assert "clos depuis le 2025-12-31" in first.text
    assert replies[1].text.startswith("Votre profil")


async def test_a_closed_kind_of_aid_is_said_when_the_documents_do_not_name_it(
        kb: KnowledgeBase, db: Database, catalog: Catalog) -> None:
    replies = await say(build(kb, db, catalog, TODAY),
                        "PME dans le Nord : un crédit d'impôt pour relocaliser ?")  # described
    first = replies[0]
    assert first.text.startswith(catalog.t("finder_form_closed", "fr", form="crédit d'impôt"))
    assert "(C3IV) est clos depuis le 2025-12-31" in first.text
    assert [c.source_id for c in first.citations] == ["c3iv-credit-impot-industrie-verte"]
    assert replies[1].text.startswith("Votre profil")


async def test_an_open_kind_of_aid_is_listed_not_announced_closed(
        kb: KnowledgeBase, db: Database, catalog: Catalog) -> None:
    before = dt.date(2025, 6, 1)    # C3IV still open
    replies = await say(build(kb, db, catalog, before), CREDIT)
    body = "\n".join(r.text for r in replies)
    assert catalog.t("finder_form_closed", "fr", form="crédit d'impôt") not in body
    assert any(c.source_id == "c3iv-credit-impot-industrie-verte"
               for r in replies for c in r.citations)


async def test_a_documents_answer_that_does_not_fit_the_company_is_not_put_first(
        kb: KnowledgeBase, db: Database, catalog: Catalog) -> None:
    replies = await say(build(kb, db, catalog, TODAY),
                        "On veut ouvrir une nouvelle usine dans les Hauts-de-France et créer une "
                        "vingtaine d'emplois, il y a une aide régionale pour ça ?")
    first = replies[0]
    assert first.text.startswith("Votre profil")
    assert "20 emplois à créer" in first.text
    assert first.citations[0].source_id == "hdf-aide-implantation"
    assert all(c.source_id != "hdf-adge-grandes-entreprises"      # 100 jobs required
               for r in replies for c in r.citations[:1])


async def test_a_documents_answer_about_another_funder_than_the_one_asked_is_not_put_first(
        kb: KnowledgeBase, db: Database, catalog: Catalog) -> None:
    """"La Région peut financer... ?": the documents' closed France Relance window (the State)
    is not the answer; the Région's schemes are listed, each saying it was asked for."""
    replies = await say(build(kb, db, catalog, TODAY), "Est-ce que la Région peut financer "
                        "l'achat d'une machine de découpe laser ?")
    first = replies[0]
    assert first.text.startswith("Votre profil")
    assert "Région Hauts-de-France, comme demandé" in first.text


def test_support_in_english_is_not_a_consulting_project() -> None:
    from knowledge.catalog import ProfileExtractor

    profile = ProfileExtractor.load().extract(
        "What support is there for a foreign company wanting to open a factory in Dunkirk?")
    assert profile.project_types == ["implantation"]
