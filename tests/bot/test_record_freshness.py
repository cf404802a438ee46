"""Deadlines and stale records in the answers, decided with the injected ``today``: a scheme
leaves the finder and the answers the day after its deadline, with no re-ingest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from bot.answering.records import RecordAnswers
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.understanding.records import RecordRef
from bot.wiring import build_assistant
from knowledge import CORPUS_DIR
from knowledge.base import KnowledgeBase
from knowledge.catalog.freshness import DEFAULT_STALE_MONTHS
from knowledge.loader import load_corpus
from knowledge.models import AidScheme, Cci, Partner

CORPUS = load_corpus(CORPUS_DIR)
USINE = RecordRef("aid", "france2030-premiere-usine")   # deadline 2026-12-15
DEADLINE = dt.date(2026, 12, 15)
DAY_AFTER = DEADLINE + dt.timedelta(days=1)


@dataclass
class Records:
    aids: dict[str, AidScheme]
    partners: dict[str, Partner]
    ccis: dict[str, Cci]


def _records(today: dt.date, *, stale_months: int = DEFAULT_STALE_MONTHS) -> RecordAnswers:
    kb = Records({a.id: a for a in CORPUS.aids}, {p.id: p for p in CORPUS.partners},
                 {c.id: c for c in CORPUS.ccis})
    return RecordAnswers(kb=kb, catalog=Catalog.load(), today=lambda: today,
                         stale_months=stale_months)


def test_record_answer_on_the_deadline_day_and_the_day_after(catalog: Catalog) -> None:
    aid = next(a for a in CORPUS.aids if a.id == USINE.id)
    assert aid.deadline == DEADLINE
    on_the_day = " ".join(_records(DEADLINE).answer(USINE, "deadline", "fr").blocks)
    assert catalog.t("rec_deadline_today", "fr", name=aid.name, date="2026-12-15",
                     status="ouvert") in on_the_day
    after = " ".join(_records(DAY_AFTER).answer(USINE, "deadline", "fr").blocks)
    since = catalog.t("aid_closed_since", "fr", date="2026-12-15")
    assert catalog.t("rec_closed", "fr", name=aid.name, since=since) in after
    english = " ".join(_records(DAY_AFTER).answer(USINE, "deadline", "en").blocks)
    assert "is closed since 2026-12-15" in english


def test_any_question_about_a_closed_scheme_says_it_is_closed() -> None:
    before = " ".join(_records(DEADLINE).answer(USINE, "amount", "fr").blocks)
    after = " ".join(_records(DAY_AFTER).answer(USINE, "amount", "fr").blocks)
    assert "clos" not in before
    assert "est clos depuis le 2026-12-15" in after


@pytest.mark.parametrize(("lang", "flag"), [
    ("fr", "⚠ Fiche vérifiée il y a 14 mois (le 2026-02-15)"),
    ("en", "⚠ Record last checked 14 months ago (2026-02-15)"),
])
def test_a_record_checked_too_long_ago_is_flagged(lang: str, flag: str) -> None:
    late = dt.date(2027, 4, 20)   # last_verified 2026-02-15: 14 months
    answer = " ".join(_records(late).answer(RecordRef("aid", "hdf-aide-implantation"),
                                            "amount", lang).blocks)
    assert flag in answer
    assert "Vérifié le" not in answer
    assert "Checked on" not in answer
    fresh = " ".join(_records(late, stale_months=24).answer(
        RecordRef("aid", "hdf-aide-implantation"), "amount", lang).blocks)
    assert "⚠ Fiche" not in fresh
    assert "⚠ Record" not in fresh


def test_partners_and_cards_are_flagged_too() -> None:
    late = dt.date(2030, 1, 1)
    records = _records(late)
    partner = RecordRef("partner", CORPUS.partners[0].id)
    assert "⚠ Fiche vérifiée il y a" in " ".join(records.answer(partner, None, "fr").blocks)
    assert "⚠ Fiche vérifiée il y a" in records.card(USINE, "fr").blocks[0]
    assert "⚠ Fiche" not in " ".join(_records(dt.date(2026, 3, 1)).answer(
        partner, None, "fr").blocks)


def _text(value: str = "", action: str | None = None) -> Incoming:
    if action:
        return Incoming(channel="terminal", conversation_key="terminal:f", user_id="f",
                        action=action, kind="action")
    return Incoming(channel="terminal", conversation_key="terminal:f", user_id="f", text=value)


async def test_the_finder_drops_a_scheme_the_day_after_its_deadline(
    kb: KnowledgeBase, db: Database, catalog: Catalog
) -> None:
    day = [DEADLINE]
    bot: Assistant = build_assistant(kb=kb, db=db, catalog=catalog,
                                     settings=Settings(_env_file=None),
                                     today=lambda: day[0])
    name = kb.aids[USINE.id].name
    await bot.handle(_text(action="menu:aid"))
    replies = await bot.handle(_text("Start-up industrielle de 60 salariés dans le 59 : "
                                     "notre première usine pour une innovation"))
    shown = "\n".join(r.text for r in replies)
    assert catalog.t("finder_results_title", "fr") in shown
    assert name in shown
    day[0] = DAY_AFTER      # same assistant, same index: only the date moved
    again = "\n".join(r.text for r in await bot.handle(_text(action="menu:aid")))
    assert catalog.t("finder_results_title", "fr") in again
    assert name not in again
