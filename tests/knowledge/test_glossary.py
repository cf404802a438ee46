"""Acronyms expanded for the lexical search, from the corpus's sourced glossary (#16 item 5)."""

from __future__ import annotations

from knowledge.glossary import Glossary


def test_the_glossary_documents_give_the_acronyms_people_type() -> None:
    glossary = Glossary.load()
    for acronym in ("AAP", "AMI", "PGE", "PNI", "C3IV", "IMPL", "FEDER", "FTJ", "Rev3", "AD'GE"):
        assert acronym in glossary.expansions, acronym
    assert "prêt garanti par l'État" in glossary.expansions["PGE"]
    assert any("New Industry Loan" in e for e in glossary.expansions["PNI"])


def test_expansion_appends_once_and_short_acronyms_need_capitals() -> None:
    glossary = Glossary({"PGE": ["prêt garanti par l'État"], "AMI": ["appel à manifestation"],
                         "FRATRI": ["fonds régional"]})
    assert glossary.expand("Qui peut demander un PGE ? Et le PGE ?") == (
        "Qui peut demander un PGE ? Et le PGE ? prêt garanti par l'État")
    assert glossary.expand("un ami m'a parlé du Fratri") == (
        "un ami m'a parlé du Fratri fonds régional")
    assert glossary.expand("c'est quoi un AMI ?").endswith("appel à manifestation")
    assert glossary.expand("rien à voir") == "rien à voir"


def test_common_acronyms_are_left_as_typed() -> None:
    glossary = Glossary({"PME": ["petite et moyenne entreprise"],
                         "PNI": ["Prêt Nouvelle Industrie"]})
    texts = ["Une PME de 40 salariés"] * 10 + ["Le PNI finance"] + ["autre chose"] * 9
    kept = glossary.rare_in(texts, share=0.1)
    assert set(kept.expansions) == {"PNI"}
