"""Understanding: what a person wants from one message, given what the conversation remembers.

Exact rules first (small talk, a named record and its attribute, "the first one", an advisor,
a CCI and a place, a maker wanted), then the nearest neighbours of the message among the
examples of ``examples.yaml`` on the bundled embedder (one embedding per message, shared with
retrieval). Thresholds are calibrated on ``ops/evalsets/dialogues.yaml`` (``relocbot eval``).

Usage::

    understanding = Understanding.build(kb=kb, extractor=ProfileExtractor.load())
    intent = understanding.understand("et si on a 300 salariés ?", memory=memory)
    intent.kind, intent.followup, intent.profile
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bot.understanding.memory import Memory
from bot.understanding.records import RecordIndex, RecordKind, RecordRef
from bot.understanding.vocabulary import Vocabulary, clean, is_question, words
from knowledge.catalog import Profile, ProfileExtractor
from knowledge.embeddings import Vector, Vectors
from knowledge.yamlfile import load_yaml

__all__ = [
    "EXAMPLES_FILE", "KNN_K", "KNN_MIN", "Intent", "IntentKind", "Understanding", "load_examples",
]

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.yaml"
OFFTOPIC_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "offtopic.yaml"
KNN_K = 5          # neighbours that vote
KNN_MIN = 0.86     # below this best similarity, nothing is close: a general question
OFFTOPIC_MARGIN = 0.04  # off-topic examples beat every in-scope example by this: decline
KNN_SMALL_TALK = 0.9  # small talk and advisor requests need a closer example (short texts)
SHORT = 10         # words: a follow-up is short
_ARTICLES = frozenset("le la les l' un une des du de d' the a an those these ces ce cette".split())
_YEAR = re.compile(r"(?<![\d-])(20[2-9]\d)(?![\d-])")  # a year, not one end of "2023-2027"
SUBJECTLESS = 6   # "qui le finance ?": a short attribute question pointing at nothing
CCI_WITHOUT_PLACE = 8  # "quelle est ma CCI ?" asks for the place; a longer one is a question

IntentKind = Literal[
    "greeting", "thanks", "help", "advisor", "find_aid", "find_partner", "cci_lookup",
    "record_question", "question", "offtopic", "form_answer", "digression", "cancel",
    "privacy",
]


@dataclass
class Intent:
    kind: IntentKind
    text: str
    record: RecordRef | None = None
    attribute: str | None = None
    profile: Profile = field(default_factory=Profile)
    followup: bool = False
    vector: Vector | None = None
    why: str = "rule"
    said: str = ""   # the message as typed, when ``text`` restates a follow-up


def _signals(profile: Profile) -> set[str]:
    """What a sentence says about a company (place, size, project, sector)."""
    out = set()
    if profile.department or profile.city or profile.postal_code:
        out.add("place")
    if profile.size or profile.headcount is not None:
        out.add("size")
    if profile.project_types:
        out.add("project")
    if profile.sector:
        out.add("sector")
    if profile.jobs is not None or profile.investment_eur is not None:
        out.add("numbers")
    return out


class Understanding:
    def __init__(self, *, vocab: Vocabulary, records: RecordIndex, extractor: ProfileExtractor,
                 embed: Callable[[str], Vector], examples: Vectors, labels: list[str],
                 texts: Mapping[RecordRef, str] | None = None) -> None:
        """``texts``: each record's words (cleaned), to tell a question about it."""
        self.vocab = vocab
        self.this_year = dt.date.today().year
        self.texts = texts or {}
        self.records = records
        self.extractor = extractor
        self.embed = embed
        self.examples = examples
        self.labels = np.array(labels)

    @classmethod
    def build(cls, *, kb: Any, extractor: ProfileExtractor,
              vocab: Vocabulary | None = None) -> Understanding:
        """``kb``: a ``KnowledgeBase`` (records, embedder); examples embedded once, cached."""
        texts, labels = load_examples()
        embedder = kb.retriever.embedder
        vectors = embedder.embed_queries(texts) if hasattr(embedder, "embed_queries") else \
            np.vstack([embedder.embed_query(t) for t in texts])
        return cls(vocab=vocab or Vocabulary.load(),
                   records=RecordIndex.build(aids=kb.aids, partners=kb.partners, ccis=kb.ccis),
                   extractor=extractor, embed=kb.embed_query, examples=vectors, labels=labels,
                   texts=record_texts(kb))

    # -- outside a form --------------------------------------------------------------------

    def understand(self, text: str, *, memory: Memory | None = None) -> Intent:
        v = self.vocab
        text = v.normalise(text)
        if v.made_of(("greeting",), text):
            return Intent("greeting", text)
        if v.made_of(("thanks", "greeting"), text):
            return Intent("thanks", text)
        if v.is_only("help", text) or (v.starts_with("help", text) and len(words(text)) <= 6
                                       and not v.has("aid", text)):
            return Intent("help", text)
        rest = v.strip_leading("greeting", text) or text
        rest = v.strip_leading("thanks", rest) or rest
        profile = self.extractor.extract(rest)
        intent = self._rules(rest, memory, profile)
        if intent is not None:
            return intent
        return self._nearest(rest, profile)

    def _rules(self, text: str, memory: Memory | None, profile: Profile) -> Intent | None:
        v = self.vocab
        named = self.records.find(text)
        attribute = v.attribute(text)
        signals = _signals(profile)
        company = signals - {"numbers"}
        short = len(words(text)) <= SHORT
        if v.is_only("cancel", text):
            return Intent("cancel", text)
        if v.has("off_topic", text):
            return Intent("offtopic", text, why="off_topic")
        if v.has("privacy", text) and not named:
            return Intent("privacy", text)
        if v.has("not_held", text) and not any(
                v.has(group, text) for group in ("self_intro", "aid", "partner", "advisor")):
            return Intent("question", text, why="not_held")  # declined without a search
        if named and named[0].kind == "partner" and v.has("company_financials", text):
            return Intent("question", text, why="not_held")  # a company's accounts
        if attribute in ("amount", "deadline") and self._future(text) and not (
                named and self._year_in(named[0], text)):
            # next year's rate, the next edition; about a record only when its sheet does not
            # name that year (Territoires d'industrie 2023-2027 does)
            return Intent("question", text, why="not_held")
        if memory is not None and not named:
            followup = self._followup(text, memory, profile, attribute, signals, short)
            if followup is not None:
                return followup
        if attribute not in (None, "summary") and not named and not signals \
                and len(words(text)) <= SUBJECTLESS and not v.without_attribute(text) \
                and (memory is None or (memory.focus is None and not memory.results)):
            # "qui le finance ?" with nothing said before: which scheme is "le"?
            return Intent("question", text, attribute=attribute, why="which_record")
        if v.has("advisor", text) and not named and (
                v.has("advisor_strong", text) or not v.has("partner", text)):
            return Intent("advisor", text, profile=profile)
        if v.has("partner_make", text) and not (named and named[0].kind == "aid"):
            return Intent("find_partner", text, profile=profile)
        if named and named[0].kind == "cci" and "place" in signals and not attribute:
            return Intent("cci_lookup", text, profile=profile)
        if named and not (len(company) >= 2 and attribute is None):
            record = named[0]
            if record.kind == "cci" and not attribute and v.has("cci_question", text):
                attribute = "contact"
            return Intent("record_question", text, record=record, attribute=attribute,
                          profile=profile)
        if v.has("definition", text) and (not company or len(words(text)) <= 6):
            return Intent("question", text, profile=profile, why="definition")
        if v.has("cci", text) and ("place" in signals or (
                (v.has("cci_question", text) or attribute == "contact")
                and len(words(text)) <= CCI_WITHOUT_PLACE)):
            return Intent("cci_lookup", text, profile=profile)
        # "quelles aides ?" starts the finder; "qui le finance ?" asks about something else
        if v.has("aid", text) and (company or (len(words(text)) <= 6 and attribute is None)) \
                and not v.starts_with("partner", text):
            return Intent("find_aid", text, profile=profile)
        if v.has("partner", text) and not v.is_only("aid", text):
            return Intent("find_partner", text, profile=profile)
        return None

    def _followup(self, text: str, memory: Memory, profile: Profile, attribute: str | None,
                  signals: set[str], short: bool) -> Intent | None:
        v = self.vocab
        if v.has("definition", text) and len(words(text)) > 3 \
                and not self._in_focus(memory.focus, v.after("definition", text)):
            return None  # "c'est quoi une ETI ?" is a question of its own
        if short and self._in_focus(memory.focus, v.after("definition", text)):
            # "c'est quoi les 4 CCI pilotes ?" of the accelerator: words its record uses
            return Intent("record_question", text, record=memory.focus, followup=True)
        company = signals - {"numbers"}
        ordinal = v.ordinal(text) if short else None
        if ordinal is not None and memory.results:
            picked = memory.pick(ordinal)
            if picked is not None:
                if attribute is None and v.only_pointing(text):
                    attribute = "summary"  # "what about the second one?": what it is
                return Intent("record_question", text, record=picked, attribute=attribute,
                              followup=True)
        topic = memory.topic
        if (topic == "cci_lookup" or memory.place) and "place" not in signals and short \
                and v.starts_with("continuation", text):
            # "et pour lens ?" after a CCI lookup: a place, even in lowercase ("lens" alone
            # is a common word, so the extractor reads it only with a capital)
            commune = self.extractor.geo.find_in_text(text, strict=False)
            if commune is not None:
                place = profile.model_copy(update={"city": commune.name,
                                                   "department": commune.department})
                return Intent("cci_lookup", text, profile=place, followup=True)
        continues = v.starts_with("continuation", text) or len(words(text)) <= 5 \
            or not is_question(text)
        if topic in ("find_aid", "find_partner", "cci_lookup") and short and signals \
                and continues and not v.has("advisor", text) \
                and not v.has("cci", text) and not v.has("partner", text) \
                and not (topic != "find_aid" and v.has("aid", text)):  # "find me grants..."
            return Intent(topic, text, profile=profile, followup=True)  # type: ignore[arg-type]
        # "who can I call?" about the record in focus asks its contact, not for a partner
        own = (v.has("partner", text) and attribute != "contact") or v.has("cci", text) \
            or v.has("advisor", text) \
            or (v.has("aid", text) and bool(company))
        focus = memory.focus or (memory.results[0] if len(memory.results) == 1 else None)
        if focus is None and attribute and attribute != "summary" and memory.results:
            focus = memory.results[0]
        sized = company <= {"size"} and v.starts_with("continuation", text)
        pointing = v.has("anaphora", text) or len(words(text)) <= 4
        if focus is not None and focus.kind != "aid" and short and not own \
                and (attribute or (is_question(text) and pointing)) \
                and attribute not in ("contact", "apply"):
            return Intent("record_question", text, record=focus, attribute=attribute,
                          followup=True)  # answered from the documents about it
        if focus is not None and short and (not company or sized) and not own \
                and (attribute or (is_question(text) and pointing) or sized) \
                and memory.topic != "question":
            return Intent("record_question", text, record=focus,
                          attribute=attribute or (memory.attribute if sized else None),
                          profile=profile, followup=True)
        if focus is not None and short and not company and not own and attribute \
                and attribute != "summary":
            return Intent("record_question", text, record=focus, attribute=attribute,
                          followup=True)
        if topic == "cci_lookup" and "place" in signals and (
                v.starts_with("continuation", text) or len(words(text)) <= 4):
            return Intent("cci_lookup", text, profile=profile, followup=True)
        if topic == "find_partner" and len(words(text)) <= SHORT + 4 \
                and v.starts_with("continuation", text):
            # "et en lin ?" narrows the last need; "and for the market study?" is another one
            need = f"{memory.need} {text}" if v.starts_with("refinement", text) else text
            return Intent("find_partner", need, profile=profile, followup=True, said=text)
        if topic == "question" and memory.question and short and \
                v.starts_with("continuation", text):
            return Intent("question", f"{memory.question} {text}", followup=True, said=text)
        return None

    def _future(self, text: str) -> bool:
        """Whether ``text`` asks about what is not published yet: the next edition, next
        year, or a year after the current one."""
        years = [int(y) for y in _YEAR.findall(text)]
        return self.vocab.has("future", text) or any(y > self.this_year for y in years)

    def _year_in(self, ref: RecordRef, text: str) -> bool:
        """Whether the record's sheet names a year the text asks about."""
        sheet = self.texts.get(ref, "")
        return any(year in sheet for year in _YEAR.findall(text))

    def _in_focus(self, focus: RecordRef | None, asked: str) -> bool:
        """Whether what a definition asks about ("les 4 cci pilotes") is a phrase of two words
        or more that the record in focus uses: then it asks about that record."""
        phrase = " ".join(w for w in asked.split() if w not in _ARTICLES)
        return focus is not None and len(phrase.split()) >= 2 \
            and f" {phrase} " in f" {self.texts.get(focus, '')} "

    def _nearest(self, text: str, profile: Profile) -> Intent:
        vector = self.embed(text)
        label, score = self.vote(vector)
        kind: IntentKind = "question"
        small = label in ("help", "greeting", "thanks", "advisor")
        if score >= (KNN_SMALL_TALK if small else KNN_MIN) and label != "offtopic":
            kind = label  # type: ignore[assignment]
        if kind in ("find_aid", "find_partner", "cci_lookup") and len(words(text)) < 5:
            kind = "question"  # too short for the examples to tell
        if kind == "cci_lookup" and not (self.vocab.has("cci_question", text)
                                         or _signals(profile) & {"place"}):
            kind = "question"
        if small and len(words(text)) > 6:
            kind = "question"
        if kind == "find_aid" and not _signals(profile) and not self.vocab.has("aid", text):
            kind = "question"
        if kind == "cci_lookup" and not self.vocab.has("cci", text):
            kind = "question"
        offtopic = self.labels == "offtopic"
        margin = float(np.max(self.examples[offtopic] @ vector)
                       - np.max(self.examples[~offtopic] @ vector)) if offtopic.any() else -1.0
        if margin >= OFFTOPIC_MARGIN and not _signals(profile) - {"place"}:
            kind = "offtopic"  # far closer to the weather, recipes, sport... than to us
        return Intent(kind, text, profile=profile, vector=vector, why=f"knn:{label}:{score:.3f}")

    def vote(self, vector: Vector) -> tuple[str, float]:
        """The label of the closest examples (similarity-weighted vote) and the best score."""
        sims = self.examples @ vector
        top = np.argsort(-sims)[:KNN_K]
        weights: dict[str, float] = {}
        for i in top:
            weights[str(self.labels[i])] = weights.get(str(self.labels[i]), 0.0) + float(sims[i])
        label = max(weights, key=lambda k: weights[k])
        return label, float(sims[top[0]])

    # -- inside a form ---------------------------------------------------------------------

    def in_form(self, text: str, *, step: str, memory: Memory | None = None) -> Intent:
        """An answer to the form's question, a digression to answer first, or a cancel; a
        digression may follow up the previous one (``memory``: "et si on a 300 salariés ?")."""
        v = self.vocab
        if v.is_only("cancel", text) or (v.starts_with("cancel", text)
                                         and len(words(text)) <= 10 and not is_question(text)):
            return Intent("cancel", text)
        if v.made_of(("greeting",), text):
            return Intent("digression", text, why="greeting")
        if v.made_of(("thanks", "greeting"), text) and not v.is_only("affirm", text):
            return Intent("digression", text, why="thanks")
        if any(v.is_only(g, text) for g in ("affirm", "deny", "skip", "back")):
            return Intent("form_answer", text)
        if v.has("privacy", text) and len(words(text)) <= 12 and not any(
                v.starts_with(g, text) for g in ("affirm", "deny")):
            # "rgpd ?" at the consent step; "no thanks, I don't want my data stored" answers it
            return Intent("digression", text, why="privacy")
        if v.is_only("dont_know", text) or (v.has("dont_know", text) and len(words(text)) <= 6):
            return Intent("digression", text, why="dont_know")
        if step == "email" and "@" in text and " " not in text.strip():
            return Intent("form_answer", text)
        if len(words(text)) >= 3 and (is_question(text) or "?" in text
                                      or v.has("advisor", text)):
            inner = self.understand(text, memory=memory)
            return Intent("digression", inner.text, record=inner.record,
                          attribute=inner.attribute, profile=inner.profile, vector=inner.vector,
                          why="definition" if inner.why == "definition" else inner.kind)
        return Intent("form_answer", text)


def record_texts(kb: Any) -> dict[RecordRef, str]:
    """Every record's fields as one cleaned text (names, summaries, conditions...)."""
    out: dict[RecordRef, str] = {}
    tables: tuple[tuple[RecordKind, Any], ...] = (("aid", kb.aids), ("partner", kb.partners),
                                                  ("cci", kb.ccis))
    for kind, table in tables:
        for record in table.values():
            values = [v for v in record.model_dump().values() if isinstance(v, str | list)]
            flat = " ".join(" ".join(map(str, v)) if isinstance(v, list) else v for v in values)
            out[RecordRef(kind, record.id)] = clean(flat)
    return out


def load_examples(path: Path = EXAMPLES_FILE) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, list[str]] = load_yaml(fh)
    texts = [t for group in data.values() for t in group]
    labels = [label for label, group in data.items() for _ in group]
    with OFFTOPIC_FILE.open(encoding="utf-8") as fh:
        anchors = load_yaml(fh)["anchors"]
    for group in anchors.values():
        texts += group
        labels += ["offtopic"] * len(group)
    return texts, labels



