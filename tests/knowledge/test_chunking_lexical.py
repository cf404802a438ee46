from __future__ import annotations

from pathlib import Path

from knowledge import CORPUS_DIR
from knowledge.chunking import MAX_CHUNK_CHARS, chunk_corpus, chunk_document
from knowledge.lexical import LexicalIndex, fold, tokenize
from knowledge.loader import load_corpus
from knowledge.models import Document


def _doc(body: str) -> Document:
    return Document(id="d", title="Titre", body=body, path="d.md", sources=["https://x.org"])


def test_one_chunk_per_record_and_documents_cut_at_headings() -> None:
    corpus = load_corpus(CORPUS_DIR)
    chunks = chunk_corpus(corpus)
    kinds = [c.kind for c in chunks]
    assert kinds.count("aid") == 36
    assert kinds.count("partner") == 38
    assert kinds.count("cci") == 8
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(c.url and c.url.startswith("http") for c in chunks)


def test_heading_path_goes_into_each_chunk() -> None:
    body = "Intro assez longue pour faire un morceau de texte.\n\n## Aides\nLa Région aide.\n\n" \
           "### Prêts\nBpifrance prête aux PME industrielles.\n\n## Partenaires\nJunia forme."
    chunks = chunk_document(_doc(body))
    titles = [c.title for c in chunks]
    assert titles == ["Titre", "Titre — Aides", "Titre — Aides — Prêts", "Titre — Partenaires"]
    assert chunks[2].text.startswith("Titre — Aides — Prêts\n")


def test_long_sections_are_split_under_the_limit_without_losing_text() -> None:
    paragraph = "Une phrase sur la relocalisation des parasols en France. " * 12
    body = "## Section\n" + "\n\n".join([paragraph] * 6)
    chunks = chunk_document(_doc(body))
    assert len(chunks) > 1
    assert all(len(c.text) <= MAX_CHUNK_CHARS + 40 for c in chunks)
    assert sum(c.text.count("parasols") for c in chunks) == 72


def test_folding_and_stemming_match_inflections_and_accents() -> None:
    assert fold("Équipe RÉGIONALE") == "equipe regionale"
    assert set(tokenize("relocaliser", "fr")) == set(tokenize("relocalisation", "fr")) or \
        tokenize("relocalisations", "fr") == tokenize("relocalisation", "fr")
    assert tokenize("éco-conception", "fr") == tokenize("eco conception", "fr")
    assert tokenize("loans", "en") == tokenize("loan", "en")
    assert "pour" not in tokenize("pour les PME", "fr")


def test_lexical_index_ranks_the_matching_text_and_respects_the_mask(tmp_path: Path) -> None:
    import numpy as np

    texts = ["Prêt Bpifrance pour l'industrie", "Atelier de confection de chemises en lin",
             "Shirt workshops in linen"]
    index = LexicalIndex.build(texts)
    assert index.query("chemise lin", lang="fr", k=3)[0][0] == 1
    assert index.query("linen shirts", lang="en", k=3)[0][0] == 2
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    mask = np.array([1, 0, 1], dtype=np.float32)
    assert [row for row, _ in loaded.query("chemise lin", lang="fr", k=3, mask=mask)] == []
    assert loaded.query("", lang="fr", k=3) == []
