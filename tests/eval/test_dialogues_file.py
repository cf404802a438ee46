"""Schema and grounding checks for the multi-turn development set ``ops/evalsets/dialogues.yaml``.

Every ``expect`` string must occur (case- and accent-insensitive) somewhere in the corpus files
under ``knowledge/corpus/``, so that no expected fact is invented.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DIALOGUES_FILE = Path(__file__).resolve().parents[2] / "ops" / "evalsets" / "dialogues.yaml"
CORPUS_DIR = ROOT / "knowledge" / "corpus"

WHO = {"sme", "team", "advisor"}
LANGS = {"fr", "en"}
INTENTS = {
    "greeting", "thanks", "help", "advisor", "find_aid", "find_partner", "cci_lookup",
    "record_question", "question", "offtopic", "form_answer", "digression", "cancel",
}
GROUNDED_INTENTS = {"record_question", "find_aid", "cci_lookup", "question"}
DECLINE_INTENTS = {"offtopic", "question"}
DIALOGUE_KEYS = {"id", "who", "lang", "turns"}
TURN_KEYS = {"say", "intent", "followup", "expect", "decline", "resume"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

MIN_DIALOGUES = 100
MIN_ENGLISH = 30
MIN_FOLLOWUPS = 20
MIN_DIGRESSIONS = 8

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})


def fold(text: str) -> str:
    """Lowercase, accents removed (NFKD), typographic apostrophes and spaces normalised."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", bare).casefold()


@lru_cache(maxsize=1)
def load_dialogues() -> list[dict[str, Any]]:
    with DIALOGUES_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), "top level: {dialogues: [...]}"
    assert set(data) == {"dialogues"}, "top level: {dialogues: [...]}"
    dialogues = data["dialogues"]
    assert isinstance(dialogues, list)
    return dialogues


@lru_cache(maxsize=1)
def corpus_text() -> str:
    files = sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file() and p.suffix in {".md", ".yaml"})
    assert files, f"no corpus files under {CORPUS_DIR}"
    return "\n".join(fold(p.read_text(encoding="utf-8")) for p in files)


def all_turns() -> list[tuple[str, int, dict[str, Any]]]:
    return [(d["id"], i, turn) for d in load_dialogues() for i, turn in enumerate(d["turns"])]


def test_dialogue_schema() -> None:
    errors: list[str] = []
    seen: set[str] = set()
    for n, dialogue in enumerate(load_dialogues()):
        if not isinstance(dialogue, dict):
            errors.append(f"dialogue #{n}: not a mapping")
            continue
        did = dialogue.get("id")
        where = f"dialogue {did!r}"
        if extra := set(dialogue) - DIALOGUE_KEYS:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
        if not isinstance(did, str) or not ID_PATTERN.match(did):
            errors.append(f"{where}: id must match [a-z0-9-]")
        elif did in seen:
            errors.append(f"{where}: duplicate id")
        else:
            seen.add(did)
        if dialogue.get("who") not in WHO:
            errors.append(f"{where}: who must be one of {sorted(WHO)}")
        if dialogue.get("lang") not in LANGS:
            errors.append(f"{where}: lang must be one of {sorted(LANGS)}")
        turns = dialogue.get("turns")
        if not isinstance(turns, list) or not turns:
            errors.append(f"{where}: needs at least one turn")
            continue
        for i, turn in enumerate(turns):
            errors.extend(_turn_errors(f"{where} turn {i}", i, turn))
    assert not errors, "\n".join(errors)


def _turn_errors(where: str, index: int, turn: Any) -> list[str]:
    if not isinstance(turn, dict):
        return [f"{where}: not a mapping"]
    errors: list[str] = []
    if extra := set(turn) - TURN_KEYS:
        errors.append(f"{where}: unknown keys {sorted(extra)}")
    say = turn.get("say")
    if not isinstance(say, str) or not say.strip():
        errors.append(f"{where}: say must be a non-empty string")
    elif "@relocbot" in say.lower():
        errors.append(f"{where}: '@relocbot' is stripped before the bot sees the text")
    intent = turn.get("intent")
    if intent not in INTENTS:
        errors.append(f"{where}: unknown intent {intent!r}")
    for flag in ("followup", "decline", "resume"):
        if flag in turn and turn[flag] is not True:
            errors.append(f"{where}: {flag} must be true when present")
    if turn.get("decline") and intent not in DECLINE_INTENTS:
        errors.append(f"{where}: decline only with {sorted(DECLINE_INTENTS)}")
    if intent == "offtopic" and not turn.get("decline"):
        errors.append(f"{where}: offtopic turns must have decline: true")
    if turn.get("decline") and "expect" in turn:
        errors.append(f"{where}: a declined turn has no expect")
    if turn.get("resume") and intent != "digression":
        errors.append(f"{where}: resume only with digression")
    if turn.get("followup") and index == 0:
        errors.append(f"{where}: followup on a dialogue's first turn")
    if "expect" in turn:
        expect = turn["expect"]
        if (not isinstance(expect, list) or not expect
                or not all(isinstance(s, str) and s.strip() for s in expect)):
            errors.append(f"{where}: expect must be a non-empty list of non-empty strings")
    return errors


def test_dialogue_counts() -> None:
    dialogues = load_dialogues()
    turns = all_turns()
    assert len(dialogues) >= MIN_DIALOGUES
    assert sum(d["lang"] == "en" for d in dialogues) >= MIN_ENGLISH
    assert sum(bool(t.get("followup")) for _, _, t in turns) >= MIN_FOLLOWUPS
    assert sum(t["intent"] == "digression" for _, _, t in turns) >= MIN_DIGRESSIONS
    # Every intent label is exercised at least once.
    assert set(Counter(t["intent"] for _, _, t in turns)) == INTENTS


def test_expect_strings_are_in_the_corpus() -> None:
    """Grounded intents must be checked; the other intents' expects are checked too."""
    text = corpus_text()
    missing = [
        f"{did} turn {i} ({turn['intent']}): {s!r}"
        for did, i, turn in all_turns()
        for s in turn.get("expect", [])
        if fold(s) not in text
    ]
    grounded = [t for _, _, t in all_turns() if t["intent"] in GROUNDED_INTENTS and "expect" in t]
    assert grounded
    assert not missing, "expect strings not found in knowledge/corpus/:\n" + "\n".join(missing)


@pytest.mark.parametrize(("text", "folded"), [
    ("Aide à l’implantation", "aide a l'implantation"),
    ("CCI Île-de-France", "cci ile-de-france"),
    ("3\u00a0M€", "3 m€"),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
