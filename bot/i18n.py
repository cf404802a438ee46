"""Message catalogs (``prompts/<lang>.yaml``) and per-message language detection.

Usage::

    catalog = Catalog.load()
    catalog.t("too_long", "en", length=5000, limit=4000)
    detect_language("Which aid schemes fit my SME?", default="fr")  # -> "en"
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Literal, cast

from knowledge.yamlfile import load_yaml
from prompts import PROMPTS_DIR

__all__ = ["LANGS", "Catalog", "Lang", "detect_language", "normalise_lang", "warm_up_language"]

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FR_MARKERS = frozenset(
    "le la les des une un est et pour quelle quelles quel quels comment qui que où avec dans sur "
    "aide aides entreprise je nous vous pas du au aux ce cette sont être trouver cherche "
    "cherchons besoin veux voulons voudrais bonjour merci salut mon ma mes notre nos svp "
    "subvention subventions financement".split()
)
_EN_MARKERS = frozenset(
    "the is are and for which what how who where with in on of to aid company i we you do does "
    "can my our it this that be there find looking need want any get please hello hi "
    "thanks grant grants funding an about from your have has".split()
)


def normalise_lang(value: str | None) -> Lang | None:
    """``"fr-FR"``, ``"FR"``, ``"en_GB"`` -> ``"fr"`` / ``"en"``; anything else -> ``None``."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    if code == "fr":
        return "fr"
    if code == "en":
        return "en"
    return None


_LANGID: dict[str, Any] = {}
_LANGID_LOCK = threading.Lock()


def _langid() -> Any:
    """The identifier, loaded once per process (a message arriving during the warm-up waits
    for it rather than loading a second one)."""
    with _LANGID_LOCK:
        if "model" not in _LANGID:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(["fr", "en"])
            _LANGID["model"] = identifier
        return _LANGID["model"]


def warm_up_language() -> threading.Thread:
    """Load the language model (≈ 1 s, mostly decompression) in a background thread at start,
    so that the first message of a conversation written in neither obvious way does not
    wait for it."""
    thread = threading.Thread(target=_langid, name="relocbot-langid-warm-up", daemon=True)
    thread.start()
    return thread


def detect_language(text: str, *, default: Lang = "fr") -> Lang:
    """Guess French or English for one message; short or unclear messages keep ``default``."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return default
    fr = sum(w in _FR_MARKERS for w in words) + sum(ch in "éèêàùçôîâ" for ch in text.lower())
    en = sum(w in _EN_MARKERS for w in words)
    if (len(words) < 3 and fr == en) or (fr == en == 0 and len(words) < 6):
        return default  # "cap3ri ticket min/max ?": no word says which language
    if fr != en and (fr >= 2 or en >= 2):
        return "fr" if fr > en else "en"
    lang, prob = _langid().classify(text)
    if prob < 0.8:
        return default
    return cast(Lang, lang)


class Catalog:
    """All user-facing sentences, per language, from ``prompts/``."""

    def __init__(self, messages: dict[str, dict[str, Any]]) -> None:
        self._messages = messages

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> Catalog:
        """``<lang>.yaml`` plus any ``<lang>.<part>.yaml`` (e.g. ``fr.telegram.yaml``)."""
        messages: dict[str, dict[str, Any]] = {}
        for lang in LANGS:
            messages[lang] = {}
            for path in [directory / f"{lang}.yaml", *sorted(directory.glob(f"{lang}.*.yaml"))]:
                with path.open(encoding="utf-8") as fh:
                    part = load_yaml(fh) or {}
                clash = set(part) & set(messages[lang])
                if clash:
                    raise KeyError(f"{path.name} redefines {sorted(clash)}")
                messages[lang].update(part)
        return cls(messages)

    def t(self, key: str, lang: str, /, **values: object) -> str:
        """The sentence ``key`` in ``lang`` (French when missing), formatted with ``values``."""
        entry = self._messages.get(lang, {}).get(key, self._messages["fr"].get(key))
        if not isinstance(entry, str):
            raise KeyError(f"no message {key!r}")
        return entry.format(**values) if values else entry

    def label(self, group: str, key: str, lang: str) -> str:
        """A label from a nested table, e.g. ``label("status", "closed", "fr")``."""
        table = self._messages.get(lang, {}).get(group) or self._messages["fr"].get(group) or {}
        value = table.get(key, key)
        return str(value)

    def keys(self, lang: str) -> set[str]:
        return set(self._messages.get(lang, {}))
