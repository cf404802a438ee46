"""Turn records and documents into chunks: one record = one chunk; documents cut at headings.

Usage::

    chunks = chunk_corpus(load_corpus(CORPUS_DIR))
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from knowledge.loader import Corpus
from knowledge.models import AidScheme, Cci, Chunk, Document, Partner

__all__ = ["MAX_CHUNK_CHARS", "chunk_corpus", "chunk_document", "content_hash"]

MAX_CHUNK_CHARS = 1200
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$", re.MULTILINE)
HDF = ["02", "59", "60", "62", "80"]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _lines(*parts: str | None) -> str:
    return "\n".join(p.strip() for p in parts if p and p.strip())


def aid_chunk(aid: AidScheme) -> Chunk:
    text = _lines(
        f"{aid.name} — {aid.name_en}",
        f"Financeur : {aid.funder}.",
        aid.summary_fr,
        "Bénéficiaires : " + ", ".join(aid.sizes) + ". " + " ".join(aid.beneficiary_conditions),
        f"Montants : {aid.amounts}",
        "Conditions : " + " ".join(aid.eligibility),
        f"Comment la demander : {aid.how_to_apply}",
        f"Statut : {aid.status_note}",
        aid.note,
        aid.summary_en,
    )
    return Chunk(
        id=f"aid:{aid.id}", source_id=aid.id, kind="aid", title=aid.name, url=aid.url or
        aid.sources[0], lang="fr", text=text, departments=aid.departments, status=aid.status,
    )


def partner_chunk(partner: Partner) -> Chunk:
    where = ", ".join(x for x in (partner.city, partner.department) if x)
    text = _lines(
        partner.name,
        partner.description_fr,
        "Savoir-faire : " + ", ".join(partner.capabilities) + ".",
        "Secteurs : " + ", ".join(partner.sectors) + ".",
        f"Lieu : {where}." if where else None,
        f"Rôle lors des 24 heures pour relocaliser : {partner.event_role}"
        if partner.event_role
        else None,
        partner.caveat,
        partner.note,
        partner.description_en,
    )
    return Chunk(
        id=f"partner:{partner.id}", source_id=partner.id, kind="partner", title=partner.name,
        url=partner.url or partner.sources[0], lang="fr", text=text,
        departments=[partner.department] if partner.department else [],
    )


def cci_chunk(cci: Cci) -> Chunk:
    text = _lines(
        cci.name,
        "Départements : " + ", ".join(cci.departments) + ".",
        cci.department_split,
        f"Territoire : {cci.territories}",
        f"Siège : {cci.head_office_city}." if cci.head_office_city else None,
        "Antennes : " + ", ".join(cci.local_offices) + "." if cci.local_offices else None,
        f"Site web : {cci.url}" if cci.url else None,
        f"Adresse : {cci.address}." if cci.address else None,
        f"Téléphone : {cci.phone}." if cci.phone else None,
        " ".join(cci.facts),
        cci.note,
    )
    return Chunk(
        id=f"cci:{cci.id}", source_id=cci.id, kind="cci", title=cci.name,
        url=cci.url or cci.sources[0], lang="fr", text=text, departments=cci.departments,
    )


def _sections(body: str) -> Iterator[tuple[list[str], str]]:
    """Yield (heading path, text) for each heading-delimited section."""
    path: list[tuple[int, str]] = []
    last = 0
    current: list[str] = []
    for match in _HEADING.finditer(body):
        yield current, body[last : match.start()]
        level, title = len(match.group(1)), match.group(2)
        path = [p for p in path if p[0] < level] + [(level, title)]
        current = [t for lvl, t in path if lvl > 1]
        last = match.end()
    yield current, body[last:]


def _pack(text: str, limit: int) -> Iterator[str]:
    """Pack paragraphs (then sentences) into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if len(para) <= limit:
            pieces.append(para)
        else:
            pieces.extend(s for s in re.split(r"(?<=[.!?])\s+", para) if s)
    buf = ""
    for piece in pieces:
        if not piece:
            continue
        if buf and len(buf) + len(piece) + 2 > limit:
            yield buf
            buf = ""
        buf = f"{buf}\n\n{piece}" if buf else piece[: limit * 2]
    if buf:
        yield buf


def chunk_document(doc: Document, *, limit: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    url = doc.sources[0] if doc.sources else None
    for headings, text in _sections(doc.body):
        for piece in _pack(text, limit):
            if len(piece) < 40 and not headings:
                continue
            title = " — ".join([doc.title, *headings]) if headings else doc.title
            chunks.append(
                Chunk(
                    id=f"doc:{doc.id}#{len(chunks)}", source_id=doc.id, kind="document",
                    title=title, url=url, lang=doc.lang, text=f"{title}\n{piece}",
                    origin=doc.translation_of or doc.id,
                )
            )
    return chunks


def chunk_corpus(corpus: Corpus) -> list[Chunk]:
    chunks = [aid_chunk(a) for a in corpus.aids]
    chunks += [partner_chunk(p) for p in corpus.partners]
    chunks += [cci_chunk(c) for c in corpus.ccis]
    for doc in corpus.documents:
        chunks += chunk_document(doc)
    return chunks
