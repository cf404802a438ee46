"""Follow-ups found missing in the dialogue set (``relocbot eval``), each played through the
real Assistant: another kind of partner after a partner search, a record whose short name
another record shares, what a scheme's sheet says about combining it or who manages it, a
definition about words of the record in focus, a lowercase town after a CCI lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase

Say = Callable[[str], Awaitable[tuple[str, str]]]


@pytest.fixture
def say(kb: KnowledgeBase, db: Database, catalog: Catalog) -> Say:
    bot = build_assistant(kb=kb, db=db, catalog=catalog, settings=Settings(_env_file=None))
    key = "followups"

    async def send(text: str) -> tuple[str, str]:
        replies = await bot.handle(Incoming(channel="terminal", conversation_key=key,
                                            user_id=key, text=text))
        intent = next((r.meta["intent"] for r in replies if r.meta.get("intent")), "")
        return intent, replies[0].text

    return send


async def test_another_kind_of_partner_is_a_new_search_a_material_narrows_the_last(
        say: Say) -> None:
    await say("pour un client : qui fait du diagnostic innovation en region ?")
    intent, text = await say("et un reseau de dirigeants pour qu'il rencontre du monde ?")
    assert intent == "find_partner"
    assert "1. Entreprises et Cités" in text
    await say("I need someone to help me source French manufacturers for leather bags")
    _, text = await say("and a retailer that only sells European-made products?")
    assert "1. Camif" in text
    await say("qui peut coudre des chemises ?")
    intent, text = await say("et en lin ?")
    assert intent == "find_partner"
    assert "lin" in text.split("\n\n", 2)[1].lower()  # the first partner works linen


async def test_a_partner_whose_short_name_a_scheme_shares_is_searched_by_its_full_name(
        say: Say) -> None:
    await say("Résilience a Roubaix c'est combien d'ateliers ?")
    intent, text = await say("ils ont bosse pour qui ?")
    assert intent == "record_question"
    assert "Decathlon" in text
    assert "France Relance" not in text


async def test_what_a_sheet_says_about_combining_a_scheme_and_who_manages_a_fund(
        say: Say) -> None:
    _, text = await say("le PME2 c'est cumulable avec le volet 1 ?")
    assert "non cumulable avec PME+ volet 1" in text.split("\n\n")[0]
    await say("cap3ri ticket min/max ?")
    _, text = await say("qui gere le fonds ?")
    assert "Finorpa" in text[:300]


async def test_which_bank_of_the_rev3_savings_account_names_the_bank(say: Say) -> None:
    await say("the Rev3 savings account loans, up to how much per project?")
    _, text = await say("which bank?")
    assert "Crédit Coopératif" in text[:300]


async def test_a_labels_criteria_come_from_its_record(say: Say) -> None:
    await say("on veut faire labelliser nos produits made in france, vers qui se tourner ?")
    _, text = await say("quels sont les criteres ?")
    assert "caractéristiques essentielles" in text[:300]


async def test_a_definition_of_words_the_record_in_focus_uses_is_about_it(say: Say) -> None:
    await say("si on est pris dans l'accelerateur reloc, on est accompagnes combien de mois ?")
    intent, text = await say("c'est quoi les 4 cci pilotes ?")
    assert intent == "record_question"
    assert "Normandie" in text[:300]
    intent, _ = await say("c'est quoi une ETI ?")  # a word of its own: a question
    assert intent == "question"


async def test_a_lowercase_town_after_a_cci_lookup_is_a_place(say: Say) -> None:
    await say("cci pour arras ?")
    await say("tu peux m'ecrire un poeme sur le nord ?")
    intent, text = await say("ok et pour lens c'est la meme ?")
    assert intent == "cci_lookup"
    assert "Lens" in text
    assert "CCI Artois" in text


async def test_turn_to_what_for_eco_design_after_a_closed_scheme_finds_schemes(
        say: Say) -> None:
    await say("tremplin ademe c'est encore ouvert ?")
    intent, text = await say("ok alors vers quoi je me tourne pour l'ecoconception ?")
    assert intent == "find_aid"
    assert "Eco-Flux" in text


async def test_a_plant_with_jobs_is_a_set_up_project_not_a_headcount(say: Say) -> None:
    _, text = await say("nous sommes un groupe allemand sans site en France, on veut "
                        "construire une usine a Valenciennes avec 60 emplois, quelles aides ?")
    assert "60 salariés" not in text
    assert "1. Aide à l'implantation (IMPL)" in text


async def test_an_english_finder_result_gives_the_schemes_official_french_name(
        say: Say) -> None:
    _, text = await say("Is there a Bpifrance loan to build our first factory in France?")
    assert "New Industry Loan (Bpifrance), in French “Prêt Nouvelle Industrie”" in text


async def test_a_labels_criteria_asked_first_come_from_its_record(say: Say) -> None:
    _, text = await say("C'est quoi les critères pour avoir le label Origine France Garantie ?")
    assert "prix de revient" in text[:300]


@pytest.mark.parametrize("text", ["qui le finance ?", "c'est combien ?", "how do I apply?"])
async def test_an_attribute_question_about_nothing_said_asks_which_one(
        say: Say, catalog: Catalog, text: str) -> None:
    _, reply = await say(text)
    lang = "en" if text.startswith("how") else "fr"
    assert reply == catalog.t("ask_which_record", lang)


async def test_an_attribute_question_with_its_own_subject_is_answered(
        say: Say, catalog: Catalog) -> None:
    _, reply = await say("qui finance la relocalisation ?")
    assert reply != catalog.t("ask_which_record", "fr")


async def test_can_we_still_apply_to_a_closed_call_says_it_is_closed_first(say: Say) -> None:
    _, text = await say("Est-ce qu'on peut encore candidater à l'appel à projets "
                        "relocalisation de France Relance ?")
    assert "est clos" in text.split(".")[0]
    assert " bot " not in text  # the sheets speak to companies, not about the bot


async def test_a_finder_question_gets_no_direct_answer_that_names_no_scheme(
        say: Say) -> None:
    intent, text = await say("On aimerait vendre en Belgique et en Allemagne, qui peut nous "
                             "accompagner à l'export ?")
    assert intent == "find_aid"
    assert "Team Hauts-de-France Export" in text[:300]


@pytest.mark.parametrize("text", [
    "What interest rate will Bpifrance charge on its loans in 2030?",
    "Quelles sont les dates de la prochaine édition des 24 heures pour relocaliser ?",
])
async def test_a_figure_or_date_not_published_yet_is_declined(
        say: Say, catalog: Catalog, text: str) -> None:
    _, reply = await say(text)
    lang = "en" if text.startswith("What") else "fr"
    assert reply.startswith(catalog.t("decline", lang))


@pytest.mark.parametrize("text", ["quelles aides en 2030 ?",
                                  "combien de territoires d'industrie sur 2023-2027 ?"])
async def test_a_coming_year_alone_or_a_period_is_still_answered(
        say: Say, catalog: Catalog, text: str) -> None:
    _, reply = await say(text)
    assert not reply.startswith(catalog.t("decline", "fr"))


async def test_a_call_for_projects_results_are_its_winners_not_a_phone_number(say: Say) -> None:
    intent, text = await say("What came out of the France Relance (Re)localisations call for "
                             "projects in the end? How many winners?")
    assert intent == "record_question"
    assert "477 winners" in text.split("\n\n")[0]
    assert "official page" not in text                   # "call" is not a phone call here
    intent, text = await say("le bilan de l'AAP (re)localisations de france relance ?")
    assert "477 lauréats" in text.split("\n\n")[0]


def test_who_can_i_call_still_asks_for_the_contact() -> None:
    from bot.understanding import Vocabulary

    vocab = Vocabulary.load()
    assert vocab.attribute("le PNI, who can I call?") == "contact"
    assert vocab.attribute("the France Relance call for projects, how many winners?") \
        == "results"


def test_english_record_sentences_leave_out_french_only_notes(kb: KnowledgeBase,
                                                             catalog: Catalog) -> None:
    from bot.answering.records import RecordAnswers
    from bot.understanding import RecordRef

    records = RecordAnswers(kb=kb, catalog=catalog)
    ref = RecordRef("aid", "bpi-pret-nouvelle-industrie")
    note = kb.aids[ref.id].status_note
    assert note in records.facts(ref, "fr")
    assert note not in records.facts(ref, "en")
    summary = kb.aids[ref.id].summary_fr
    assert summary not in records.facts(ref, "fr")        # ranked sentence by sentence
    assert all(s.strip() in summary for s in records.facts(ref, "fr")[:2])


async def test_a_record_question_the_documents_answer_about_another_record_is_not_held(
        say: Say, catalog: Catalog) -> None:
    intent, text = await say("est-ce que le pni est cumulable avec une aide de la region ?")
    assert intent == "record_question"
    assert text.startswith(catalog.t("rec_missing", "fr",
                                     name="Prêt Nouvelle Industrie (Bpifrance)",
                                     what=catalog.label("attribute", "cumul", "fr")))
    assert "ADGE" not in text


async def test_the_weather_is_declined_even_with_a_town_of_the_region(say: Say,
                                                                      catalog: Catalog) -> None:
    _, text = await say("quelle est la meteo a lille demain")
    assert text.startswith(catalog.t("decline", "fr"))
    assert "CCI Grand Lille" not in text


async def test_typed_follow_ups_of_a_finder_list(say: Say) -> None:
    await say("on est une pme de 45 salariés a douai, on veut rapatrier notre prod de meubles "
              "depuis la pologne, quelles aides ?")
    intent, text = await say("le deuxième c'est combien ?")
    assert intent == "record_question"
    intent, text = await say("comment on le demande")      # no question mark, "le": it
    assert intent == "record_question"
    assert text.startswith("Pour demander ")
    intent, text = await say("et si on était 300 ?")       # people, said without "salariés"
    assert intent == "find_aid"
    assert "ETI, 300 salariés" in text


@pytest.mark.parametrize(("question", "lang"), [
    ("quel est le gagnant du hackathon de lille ?", "fr"),
    ("who won the Lille hackathon?", "en"),
    ("qui remet les prix a la fin des 24h ?", "fr"),
])
async def test_who_won_is_not_held_and_said_so(say: Say, catalog: Catalog, question: str,
                                               lang: str) -> None:
    _, text = await say(question)
    assert text.startswith(catalog.t("answer_missing", lang))


async def test_what_the_sources_hold_about_the_event_is_answered(say: Say,
                                                                 catalog: Catalog) -> None:
    _, text = await say("combien de participants au hackathon de lille ?")
    assert not text.startswith(catalog.t("answer_missing", "fr"))
    assert "80 participants" in text


async def test_a_sheet_that_says_it_does_not_give_the_amount_is_not_quoted_as_one(
        say: Say, catalog: Catalog) -> None:
    await say("svp c koi le FTJ")
    _, text = await say("et c combien")
    assert text.startswith(catalog.t(
        "rec_missing", "fr", name="FTJ — Fonds pour une transition juste (Nord et Pas-de-Calais)",
        what=catalog.label("attribute", "amount", "fr")))
    assert "Non précisé" not in text.split("\n\n")[0]


@pytest.mark.parametrize(("question", "lang"), [
    ("What will the interest rate of the Prêt Nouvelle Industrie be in 2027?", "en"),
    ("tu peux me donner l'adresse mail perso du président de la Camif ?", "fr"),
])
async def test_facts_not_published_or_personal_are_declined_for_named_records(
        say: Say, catalog: Catalog, question: str, lang: str) -> None:
    _, text = await say(question)
    assert text.startswith(catalog.t("decline", lang))     # then the advisor offer


async def test_a_year_the_record_names_is_not_the_future(say: Say) -> None:
    intent, _ = await say("Territoires d'industrie, combien de territoires en 2027 ?")
    assert intent == "record_question"                # its sheet covers 2023-2027


@pytest.mark.parametrize(("question", "lang"), [
    ("Camif c'est quoi le chiffre d'affaires ?", "fr"),
    ("What was Hamelin's revenue in 2024?", "en"),
])
async def test_a_partners_accounts_are_not_held(say: Say, catalog: Catalog, question: str,
                                                lang: str) -> None:
    _, text = await say(question)
    assert text.startswith(catalog.t("decline", lang))


async def test_a_turnover_threshold_is_still_a_definition(say: Say, catalog: Catalog) -> None:
    _, text = await say("c'est quoi le chiffre d'affaires maximum d'une TPE ?")
    assert not text.startswith(catalog.t("decline", "fr"))
    assert "2 millions" in text


async def test_the_regional_cci_named_is_the_chamber_not_its_partner_card(say: Say) -> None:
    intent, text = await say("What's the website of CCI Hauts-de-France?")
    assert intent == "record_question"
    assert "https://hautsdefrance.cci.fr" in text.split("\n\n")[0]


async def test_a_fragment_of_a_sheet_is_not_appended_to_an_answer(say: Say) -> None:
    """Found reading replies as a new user: "qui le finance ?" after a finder list ended with
    "Auprès de Bpifrance." (the sheet's how-to-apply field, a fragment)."""
    await say("j'ai une usine au Maroc, je veux rapatrier la production de chaussures")
    _, text = await say("qui le finance ?")
    assert "Bpifrance" in text.split("\n\n")[0]
    assert "Auprès de Bpifrance." not in text
