"""The understanding layer on the shipped corpus and the bundled embedder: what people type,
in French and English, with typos, and follow-ups resolved against the conversation's memory."""

from __future__ import annotations

import pytest

from bot.understanding import Memory, RecordRef, Understanding
from knowledge.base import KnowledgeBase
from knowledge.catalog import ProfileExtractor

PNI = RecordRef("aid", "bpi-pret-nouvelle-industrie")
IMPL = RecordRef("aid", "hdf-aide-implantation")


@pytest.fixture(scope="module")
def understanding(kb: KnowledgeBase) -> Understanding:
    return Understanding.build(kb=kb, extractor=ProfileExtractor.load())


@pytest.mark.parametrize(("text", "kind"), [
    ("Bonjour", "greeting"), ("salut !", "greeting"), ("Hello", "greeting"),
    ("merci beaucoup", "thanks"), ("great, thanks a lot", "thanks"), ("cheers", "thanks"),
    ("what can you do?", "help"), ("Comment ça marche ?", "help"),
    ("Je voudrais parler à un conseiller", "advisor"),
    ("est-ce que qqn de la CCI peut m'appeler ?", "advisor"),
    ("I'd like to talk to an advisor", "advisor"),
    ("Quelles aides pour une PME de 40 salariés à Lens qui relocalise sa production de vélos ?",
     "find_aid"),
    ("j'ai une usine au Maroc, je veux rapatrier la production de chaussures", "find_aid"),
    ("je cherche des aides", "find_aid"),
    ("Qui peut reconditionner de l'électroménager ?", "find_partner"),
    ("who makes jeans in the region?", "find_partner"),
    # who can make it, even when the sentence names the team's client (a catalogue record)
    ("team cartable hamelin : qui peut confectionner des sacs scolaires en petite serie ?",
     "find_partner"),
    ("hey, bib kit team here, who in the region can sew small batches of bibs?",
     "find_partner"),
    ("Quel est le contact de la CCI pour Lens ?", "cci_lookup"),
    ("Which CCI covers Amiens?", "cci_lookup"),
    ("roubaix c'est la cci grand lille ou pas ?", "cci_lookup"),
    ("Quelle est la différence entre un prêt et une subvention ?", "question"),
    ("c koi une ETI ?", "question"),
    ("C'est qui Relocalisations.fr ?", "record_question"),
    ("Quel temps fera-t-il demain à Lille ?", "offtopic"),
    # facts no record holds (people, pay, tax law), even when a catalogue company is named:
    # questions, declined without a search (test_conversation)
    ("c'est qui le pdg de camif ?", "question"),
    ("what's the average salary of a welder in Dunkirk?", "question"),
    ("on veut faire labelliser nos produits, vers qui se tourner ?", "find_partner"),
    ("we need engineering students for a prototype, any school around?", "find_partner"),
    # ...but someone saying who they are is not asking about a person
    ("salut, je suis directeur general d'une PME textile, quelles aides ?", "find_aid"),
    ("stop", "cancel"),
])
def test_what_people_want(understanding: Understanding, text: str, kind: str) -> None:
    assert understanding.understand(text).kind == kind, understanding.understand(text)


@pytest.mark.parametrize(("text", "record", "attribute"), [
    ("Quel est le montant maximum du Prêt Nouvelle Industrie ?", PNI, "amount"),
    ("How much is the PNI?", PNI, "amount"),
    ("qui finance le PNI ?", PNI, "funder"),
    ("IMPL il faut creer combien d'emplois ?", IMPL, "jobs"),
    ("comment demander l'aide à l'implantation ?", IMPL, "apply"),
    ("c'est quoi le C3IV", RecordRef("aid", "c3iv-credit-impot-industrie-verte"), "summary"),
    ("is the JTF open to small firms?", RecordRef("aid", "ftj-nord-pas-de-calais"),
     "conditions"),
    ("PNI c'est quel type d'aide ?", PNI, "form"),
    # an alias beats words another scheme's name has in brackets ("(... / Territoires
    # d'industrie)")
    ("Territoires d'industrie green fund measure, what budget?",
     RecordRef("aid", "territoires-industrie-transition-ecologique"), "amount"),
])
def test_named_records_and_the_attribute_asked(understanding: Understanding, text: str,
                                               record: RecordRef, attribute: str) -> None:
    intent = understanding.understand(text)
    assert (intent.kind, intent.record, intent.attribute) == ("record_question", record,
                                                              attribute)


def test_follow_ups_resolve_against_the_last_results(understanding: Understanding) -> None:
    memory = Memory(topic="find_aid", profile={"department": "62", "city": "Lens",
                                               "size": "PME", "headcount": 40},
                    results=[IMPL, PNI])
    more = understanding.understand("Et si on a 300 salariés ?", memory=memory)
    assert (more.kind, more.followup, more.profile.headcount) == ("find_aid", True, 300)
    oise = understanding.understand("et dans l'Oise ?", memory=memory)
    assert (oise.kind, oise.profile.department) == ("find_aid", "60")
    first = understanding.understand("Et le montant du premier ?", memory=memory)
    assert (first.kind, first.record, first.attribute) == ("record_question", IMPL, "amount")
    second = understanding.understand("the second one", memory=memory)
    assert (second.kind, second.record) == ("record_question", PNI)
    how = understanding.understand("comment le demander ?", memory=memory)
    assert (how.kind, how.record, how.attribute) == ("record_question", IMPL, "apply")


def test_a_new_topic_starts_afresh(understanding: Understanding) -> None:
    memory = Memory(topic="find_aid", profile={"department": "62"}, results=[IMPL])
    assert understanding.understand("Quelle est la différence entre un prêt et une "
                                    "subvention ?", memory=memory).kind == "question"
    cci = understanding.understand("Quel est le contact de la CCI pour Lens ?", memory=memory)
    assert (cci.kind, cci.followup) == ("cci_lookup", False)
    # an aid request after a partner search is not the search's place (found trying it)
    partners = Memory(topic="find_partner", need="coudre des bavoirs")
    grants = understanding.understand("find me grants for a 40-person company in Lens",
                                      memory=partners)
    assert (grants.kind, grants.followup) == ("find_aid", False)
    place = understanding.understand("et à Lens ?", memory=partners)
    assert (place.kind, place.followup) == ("find_partner", True)
    weather = understanding.understand("Quelle est la météo demain ?",
                                       memory=Memory(focus=RecordRef("cci", "cci-artois")))
    assert weather.kind == "offtopic"


def test_a_partner_stays_the_subject_of_pointing_questions(
    understanding: Understanding
) -> None:
    memory = Memory(topic="record_question", focus=RecordRef("partner", "ceti"))
    where = understanding.understand("ils sont où ?", memory=memory)
    assert where.record == RecordRef("partner", "ceti")
    assert where.followup
    did = understanding.understand("what did they do?", memory=memory)
    assert (did.kind, did.record, did.followup) == ("record_question",
                                                    RecordRef("partner", "ceti"), True)


@pytest.mark.parametrize(("text", "step", "kind"), [
    ("Ateliers Dupont", "company", "form_answer"),
    ("oui", "consent", "form_answer"),
    ("passer", "siren", "form_answer"),
    ("jean.dupont@example.fr", "email", "form_answer"),
    ("Qui peut reconditionner de l'électroménager ?", "company", "digression"),
    ("c'est quoi un SIREN ?", "siren", "digression"),
    ("je ne sais pas", "headcount", "digression"),
    ("merci", "company", "digression"),
    ("stop", "company", "cancel"),
    ("laisse tomber en fait, je reviendrai plus tard", "product", "cancel"),
])
def test_inside_a_form(understanding: Understanding, text: str, step: str, kind: str) -> None:
    assert understanding.in_form(text, step=step).kind == kind


def test_chat_spelling_is_read_as_plain_words(understanding: Understanding) -> None:
    assert understanding.vocab.normalise("c koi une ETI ?") == "c'est quoi une ETI ?"
    assert understanding.vocab.normalise("pk relocaliser ?") == "pourquoi relocaliser ?"
    assert understanding.vocab.normalise("the U.S. market") == "the U.S. market"
    intent = understanding.understand("c koi une ETI ?")
    assert (intent.kind, intent.why, intent.text) == ("question", "definition",
                                                      "c'est quoi une ETI ?")
