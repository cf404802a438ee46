"""Reaching a CCI: "quel est le contact de la CCI pour Lens ?" gives the desk, what is known of
how to reach it (website, address, phone), what is not, and where and when it was read."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answering.cci_contact import contact_sentences, regional_cci
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase
from knowledge.loader import load_corpus
from knowledge.models import Cci

TODAY = dt.date(2026, 11, 30)
REGIONAL_SITE = "https://hautsdefrance.cci.fr"
REGIONAL_SOURCE = "https://hautsdefrance.cci.fr/lettre-ouverte/"


@pytest.fixture(scope="module")
def network() -> dict[str, Cci]:
    return {c.id: c for c in load_corpus(CORPUS_DIR).ccis}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_cci_without_details_says_so_and_gives_the_regional_site(
    network: dict[str, Cci], catalog: Catalog, lang: str
) -> None:
    artois = network["cci-artois"]
    regional = regional_cci(network)
    assert regional is not None
    assert contact_sentences(artois, network, catalog, lang) == [
        catalog.t("rec_cci_no_contact", lang, name="CCI Artois", office="Arras"),
        catalog.t("cci_contact_network", lang, name="CCI Hauts-de-France", url=REGIONAL_SITE),
        catalog.t("cci_contact_source", lang, date=regional.contact_verified.isoformat(),
                  sources=REGIONAL_SOURCE),
    ]


def test_known_details_come_first_then_the_missing_ones_and_the_caveat(
    network: dict[str, Cci], catalog: Catalog
) -> None:
    aisne = network["cci-aisne"]
    first, missing, dated, site, source = contact_sentences(aisne, network, catalog, "fr")
    assert first == catalog.t("rec_cci_contact", "fr", name="CCI de l'Aisne",
                              office="Saint-Quentin",
                              ways=catalog.t("cci_way_phone", "fr", value="03 23 06 02 02"))
    assert missing == catalog.t("cci_contact_missing", "fr", what="site web, adresse")
    assert dated == catalog.t("cci_contact_dated", "fr")
    assert REGIONAL_SITE in site
    assert aisne.contact_sources[0] in source
    assert REGIONAL_SOURCE in source


def test_the_regional_cci_gives_its_own_site(network: dict[str, Cci],
                                              catalog: Catalog) -> None:
    regional = network["cci-hauts-de-france"]
    sentences = contact_sentences(regional, network, catalog, "en")
    assert sentences[0] == catalog.t(
        "rec_cci_contact", "en", name="CCI Hauts-de-France", office="Lille",
        ways=catalog.t("cci_way_url", "en", value=REGIONAL_SITE))
    assert not any(catalog.t("cci_contact_network", "en", name="CCI Hauts-de-France",
                             url=REGIONAL_SITE) == s for s in sentences)


# -- through the whole assistant ---------------------------------------------------------------


@pytest.fixture
async def bot(kb: KnowledgeBase, db: Database, catalog: Catalog) -> Assistant:
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None),
                           today=lambda: TODAY)


async def _say(bot: Assistant, text: str, user: str) -> list[Reply]:
    return await bot.handle(Incoming(channel="terminal", conversation_key=user, user_id=user,
                                     text=text))


@pytest.mark.parametrize(("question", "lang"), [
    ("quel est le contact de la CCI pour Lens ?", "fr"),
    ("What is the phone number of the CCI for Lens?", "en"),
    ("How can I reach the chamber of commerce in Lens?", "en"),
])
async def test_the_contact_of_the_cci_for_lens_is_the_artois_one(
    bot: Assistant, catalog: Catalog, question: str, lang: str
) -> None:
    replies = await _say(bot, question, f"lens-{lang}-{len(question)}")
    text = "\n".join(r.text for r in replies)
    assert text.startswith(catalog.t("cci_desk", lang, place="Lens", name="CCI Artois"))
    assert catalog.t("rec_cci_no_contact", lang, name="CCI Artois", office="Arras") in text
    assert catalog.t("cci_contact_network", lang, name="CCI Hauts-de-France",
                     url=REGIONAL_SITE) in text
    assert catalog.t("cci_contact_source", lang, date="2026-11-30",
                     sources=REGIONAL_SOURCE) in text
    assert catalog.t("cci_offer", lang) in text
    assert replies[0].citations[0].source_id == "cci-artois"
    assert "menu:advisor" in [b.action for r in replies for b in r.buttons]


async def test_a_question_about_a_named_cci_gives_its_details(bot: Assistant,
                                                               catalog: Catalog) -> None:
    replies = await _say(bot, "Quel est le téléphone de la CCI de l'Aisne ?", "aisne")
    text = "\n".join(r.text for r in replies)
    assert "03 23 06 02 02" in text
    assert catalog.t("cci_contact_dated", "fr") in text
    assert "businessman.fr" in text                       # where the number was read
