"""Lexical index: bm25s with Snowball stemming, one model per language (fr, en), accents folded.

Usage::

    lex = LexicalIndex.build(chunks)
    lex.save(index_dir / "lexical")
    lex = LexicalIndex.load(index_dir / "lexical")
    lex.query("aides relocalisation", lang="fr", k=30, mask=None)   # [(row, score), ...]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

__all__ = ["LANG_STOPWORDS", "LexicalIndex", "fold", "tokenize"]

_TOKEN = re.compile(r"\w\w+|\d")

LANG_STOPWORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur lui "
        "ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son "
        "sur ta te tes toi ton tu un une vos votre vous est sont ete etre avoir ai as avons avez "
        "ont "
        "quel quels quelle quelles comment combien quoi ou dont y a l d qu c s n m j t peut peux "
        "faut il elle ca cela est-ce ceci tout tous toute toutes plus moins tres aussi si bien "
        "fait faire entre lors sans sous chez".split()
    ),
    "en": frozenset(
        "a an and are as at be by can could do does for from has have how i in is it its me my of "
        "on or our that the their there these this to was we what when where which who whom why "
        "will with would you your about into any some than them then they us also more most such "
        "tell give list please get".split()
    ),
}


def fold(text: str) -> str:
    """Lowercase and strip accents (``Équipe`` -> ``equipe``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Any:
    return Stemmer.Stemmer("french" if lang == "fr" else "english")


def tokenize(text: str, lang: str) -> list[str]:
    """Fold, drop stopwords of both languages, stem with ``lang``'s Snowball stemmer."""
    stop = LANG_STOPWORDS["fr"] | LANG_STOPWORDS["en"]
    words = [w for w in _TOKEN.findall(fold(text)) if w not in stop]
    return list(_stemmer(lang).stemWords(words))


class LexicalIndex:
    LANGS = ("fr", "en")

    def __init__(self, models: dict[str, bm25s.BM25], size: int) -> None:
        self._models = models
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        models: dict[str, bm25s.BM25] = {}
        for lang in cls.LANGS:
            model = bm25s.BM25()
            corpus_tokens = [tokenize(t, lang) or ["_"] for t in texts]
            model.index(corpus_tokens, show_progress=False)
            models[lang] = model
        return cls(models, len(texts))

    def save(self, folder: Path) -> None:
        for lang, model in self._models.items():
            model.save(str(folder / lang))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        models = {lang: bm25s.BM25.load(str(folder / lang)) for lang in cls.LANGS}
        size = int(models["fr"].scores["num_docs"])
        return cls(models, size)

    def query(
        self, text: str, *, lang: str, k: int, mask: npt.NDArray[np.float32] | None = None
    ) -> list[tuple[int, float]]:
        """(row, bm25 score) best first; rows outside ``mask`` (0 weight) are excluded."""
        model = self._models["en" if lang == "en" else "fr"]
        tokens = tokenize(text, lang)
        if not tokens or self.size == 0:
            return []
        scores = model.get_scores(tokens)
        if mask is not None:
            scores = scores * mask
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.size else np.arange(self.size)
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
