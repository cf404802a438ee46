from __future__ import annotations

import pytest

from knowledge.base import KnowledgeBase
from knowledge.retriever import rrf


def test_rrf_rewards_agreement_between_rankings() -> None:
    fused = rrf([["a", "b", "c"], ["b", "c", "a"]])
    assert max(fused, key=fused.__getitem__) == "b"
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert rrf([]) == {}


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("Quelle CCI pour une entreprise de Valenciennes ?", "fr", "cci-grand-hainaut"),
        ("Aide régionale pour une grande entreprise qui crée 100 emplois", "fr",
         "hdf-adge-grandes-entreprises"),
        ("Which brand wanted to relocate ponchos for cyclists?", "en", "decathlon"),
        ("Crédit d'impôt pour l'industrie verte", "fr", "c3iv-credit-impot-industrie-verte"),
    ],
)
def test_hybrid_search_finds_the_right_source(
    kb: KnowledgeBase, question: str, lang: str, expected: str
) -> None:
    result = kb.search(question, lang=lang, k=8)
    assert not result.declined
    texts = " ".join(h.chunk.source_id + " " + h.chunk.text.lower() for h in result.hits[:5])
    assert expected in texts or expected.split("-")[0] in texts


@pytest.mark.parametrize(
    "question",
    [
        "Quelle est la météo à Lille demain ?",
        "Quel est le cours de l'action Decathlon aujourd'hui ?",
        "Donne-moi la recette du potjevleesch",
        "Who won the rugby world cup?",
        "Quel sera le taux de chômage à Roubaix en 2035 ?",
    ],
)
def test_out_of_scope_questions_are_declined(kb: KnowledgeBase, question: str) -> None:
    result = kb.search(question, lang="fr")
    assert result.declined, (result.reason, result.confidence, result.offtopic)


def test_filters_restrict_kind_and_department(kb: KnowledgeBase) -> None:
    result = kb.search("aide à l'investissement", lang="fr", k=20, kind=["aid"],
                       department="59", exclude_status="closed")
    assert result.hits
    for hit in result.hits:
        assert hit.chunk.kind == "aid"
        assert hit.chunk.status != "closed"
        assert not hit.chunk.departments or "59" in hit.chunk.departments
    ftj = kb.search("Fonds pour une transition juste", lang="fr", k=30, kind="aid",
                    department="80")
    assert "ftj-nord-pas-de-calais" not in {h.chunk.source_id for h in ftj.hits}


def test_english_question_prefers_english_documents(kb: KnowledgeBase) -> None:
    result = kb.search("How many companies does the Hauts-de-France region have?", lang="en")
    docs = [h for h in result.hits[:3] if h.chunk.kind == "document"]
    assert docs
    assert docs[0].chunk.lang == "en"


def test_intent_words_say_which_kind_of_source_is_wanted(kb: KnowledgeBase) -> None:
    intents = kb.retriever.intents
    assert intents("Quelles aides pour une PME ?") == ["aid"]
    assert intents("Which grants or loans exist?") == ["aid"]
    assert intents("Qui peut confectionner des chemises ? un atelier ?") == ["partner"]
    assert intents("Quelle CCI pour Amiens ?") == ["cci"]
    assert intents("Combien de produits à relocaliser ?") == []


def test_a_question_about_aid_puts_aid_schemes_first(kb: KnowledgeBase) -> None:
    result = kb.search("Quelles aides pour relocaliser la fabrication de parasols dans le Nord ?",
                       lang="fr")
    assert [h.chunk.kind for h in result.hits[:2]] == ["aid", "aid"]
