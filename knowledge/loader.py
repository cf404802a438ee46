"""Load the corpus: typed records (aids, partners, CCIs) and prose documents.

A record that breaks the schema is reported (file, record, field) and skipped; the rest loads.

Usage::

    corpus = load_corpus(CORPUS_DIR, extra=[Path("~/notes")])
    for problem in corpus.errors:
        print(problem)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.errors import CorpusError, SchemaError
from knowledge.models import AidScheme, Cci, CciNetwork, Document, Partner
from knowledge.yamlfile import load_yaml

__all__ = ["PROSE_SUFFIXES", "Corpus", "load_corpus", "load_document"]

PROSE_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".html", ".htm")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_SLUG = re.compile(r"[^a-z0-9]+")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Corpus:
    aids: list[AidScheme] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    ccis: list[Cci] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    errors: list[CorpusError] = field(default_factory=list)


def _schema_errors(path: Path, record: str, exc: ValidationError) -> Iterator[SchemaError]:
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(record)"
        yield SchemaError(path=str(path), record=record, field=where, message=err["msg"])


def _validate(model: type[M], data: Any, path: Path, corpus: Corpus) -> M | None:
    record = str(data.get("id", path.stem)) if isinstance(data, dict) else path.stem
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        corpus.errors.extend(_schema_errors(path, record, exc))
        return None


def _read_yaml(path: Path, corpus: Corpus) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return load_yaml(fh)
    except (OSError, yaml.YAMLError) as exc:
        corpus.errors.append(CorpusError(f"{path}: cannot read YAML: {exc}"))
        return None


def _records(folder: Path, model: type[M], corpus: Corpus) -> list[M]:
    out: list[M] = []
    for path in sorted(folder.glob("*.yaml")):
        data = _read_yaml(path, corpus)
        items = data if isinstance(data, list) else [data]
        for item in items:
            if item is None:
                continue
            record = _validate(model, item, path, corpus)
            if record is not None:
                out.append(record)
    return out


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:80] or "doc"


def _pdf_text(path: Path) -> str:
    from knowledge.pdf import pdf_text

    return pdf_text(path)   # size, pages, time and memory capped (knowledge/pdf.py)


def _html_text(raw: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    for level in range(1, 4):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(strip=True)}\n\n")
    text = re.sub(r"\n{3,}", "\n\n", soup.get_text("\n"))
    return text.strip(), title


def load_document(path: Path, *, root: Path | None = None) -> Document:
    """Read one prose file; Markdown front matter (id, title, lang, sources...) is honoured."""
    meta: dict[str, Any] = {}
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            body = _pdf_text(path)
        else:
            raw = path.read_text(encoding="utf-8", errors="replace")
            if suffix in (".html", ".htm"):
                body, title = _html_text(raw)
                if title:
                    meta["title"] = title
            else:
                match = _FRONT.match(raw)
                if match:
                    meta.update(load_yaml(match.group(1)) or {})
                    raw = raw[match.end() :]
                body = raw
    except CorpusError:
        raise
    except Exception as exc:  # any parser failure is a corpus problem of this one file
        raise CorpusError(f"{path}: cannot read: {exc}") from exc
    rel = path.relative_to(root) if root and path.is_relative_to(root) else Path(path.name)
    if "title" not in meta:
        heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
        meta["title"] = heading.group(1).strip() if heading else path.stem.replace("_", " ")
    meta.setdefault("id", _slug(str(rel.with_suffix(""))))
    meta.setdefault("last_verified", dt.date.fromtimestamp(path.stat().st_mtime))
    meta["body"] = body
    meta["path"] = str(path)
    return Document.model_validate(meta)


def _documents(paths: Iterable[Path], root: Path, corpus: Corpus) -> None:
    for path in paths:
        try:
            corpus.documents.append(load_document(path, root=root))
        except ValidationError as exc:
            corpus.errors.extend(_schema_errors(path, path.stem, exc))
        except CorpusError as exc:
            corpus.errors.append(exc)


def _prose_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PROSE_SUFFIXES
    )


def load_corpus(root: Path, *, extra: Iterable[Path] = ()) -> Corpus:
    """Load ``root`` (the shipped layout) and any extra folders or files of prose."""
    corpus = Corpus()
    corpus.aids = _records(root / "aids", AidScheme, corpus)
    corpus.partners = _records(root / "partners", Partner, corpus)
    network_file = root / "cci" / "network.yaml"
    if network_file.exists():
        data = _read_yaml(network_file, corpus)
        if data is not None:
            network = _validate(CciNetwork, data, network_file, corpus)
            if network is not None:
                corpus.ccis = [network.regional, *network.local]
    if (root / "documents").is_dir():
        _documents(_prose_files(root / "documents"), root / "documents", corpus)
    for path in extra:
        path = path.expanduser()
        if path.is_dir():
            _documents(_prose_files(path), path, corpus)
        elif path.is_file():
            _documents([path], path.parent, corpus)
        else:
            corpus.errors.append(CorpusError(f"{path}: no such file or folder"))
    unique: dict[str, Document] = {}
    for doc in corpus.documents:
        if doc.id in unique:
            corpus.errors.append(CorpusError(f"{doc.path}: duplicate document id {doc.id!r}"))
        else:
            unique[doc.id] = doc
    corpus.documents = list(unique.values())
    return corpus
