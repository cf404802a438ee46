from __future__ import annotations

from pathlib import Path

import yaml

from bot.errors import SchemaError
from knowledge import CORPUS_DIR
from knowledge.loader import load_corpus, load_document


def test_shipped_corpus_loads_every_record_without_error() -> None:
    corpus = load_corpus(CORPUS_DIR)
    assert corpus.errors == []
    assert len(corpus.aids) == 36
    assert len(corpus.partners) == 38
    assert {c.id for c in corpus.ccis} == {
        "cci-hauts-de-france", "cci-grand-lille", "cci-grand-hainaut",
        "cci-littoral-hauts-de-france", "cci-artois", "cci-amiens-picardie", "cci-aisne",
        "cci-oise",
    }
    assert {d.lang for d in corpus.documents} == {"fr", "en"}
    for record in [*corpus.aids, *corpus.partners, *corpus.ccis]:
        assert record.sources
        assert record.last_verified


def test_closed_schemes_are_typed_as_closed() -> None:
    aids = {a.id: a for a in load_corpus(CORPUS_DIR).aids}
    assert aids["fr-relance-aap-relocalisation-secteurs-critiques"].status == "closed"
    assert aids["hdf-aide-implantation"].min_jobs["PME"] == 20


def _copy_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for sub in ("aids", "partners", "cci", "documents"):
        (root / sub).mkdir(parents=True)
    for name in ("hdf-aide-implantation", "bpi-pret-nouvelle-industrie"):
        (root / "aids" / f"{name}.yaml").write_text(
            (CORPUS_DIR / "aids" / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    return root


def test_schema_error_names_file_record_and_field_and_the_rest_loads(tmp_path: Path) -> None:
    root = _copy_corpus(tmp_path)
    broken = yaml.safe_load((root / "aids" / "hdf-aide-implantation.yaml").read_text())
    broken["status"] = "maybe"
    broken["id"] = "broken-aid"
    (root / "aids" / "broken-aid.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True))

    corpus = load_corpus(root)

    assert [a.id for a in corpus.aids] == ["bpi-pret-nouvelle-industrie", "hdf-aide-implantation"]
    assert len(corpus.errors) == 1
    error = corpus.errors[0]
    assert isinstance(error, SchemaError)
    assert error.path.endswith("broken-aid.yaml")
    assert (error.record, error.field) == ("broken-aid", "status")
    assert "broken-aid.yaml" in str(error)
    assert "status" in str(error)


def test_unreadable_yaml_is_reported_not_raised(tmp_path: Path) -> None:
    root = _copy_corpus(tmp_path)
    (root / "aids" / "bad.yaml").write_text("id: [unclosed\n")
    corpus = load_corpus(root)
    assert len(corpus.aids) == 2
    assert any("bad.yaml" in str(e) for e in corpus.errors)


def test_extra_folders_of_markdown_html_text_and_pdf(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.md").write_text("# Atelier textile\n\n## Capacités\nNous cousons des chemises.")
    (extra / "page.html").write_text(
        "<html><head><title>Fonderie</title><script>x()</script></head>"
        "<body><h2>Offre</h2><p>Pièces en aluminium.</p></body></html>"
    )
    (extra / "memo.txt").write_text("Mémo sur la relocalisation des parasols en Picardie.")
    (extra / "doc.pdf").write_bytes(_tiny_pdf("Relocaliser les cartables"))
    corpus = load_corpus(_copy_corpus(tmp_path), extra=[extra, tmp_path / "missing"])

    by_title = {d.title: d for d in corpus.documents}
    assert "Atelier textile" in by_title
    assert by_title["Fonderie"].body.count("aluminium") == 1
    assert "x()" not in by_title["Fonderie"].body
    assert any("parasols" in d.body for d in corpus.documents)
    assert any("cartables" in d.body for d in corpus.documents)
    assert any("missing" in str(e) for e in corpus.errors)


def test_front_matter_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nid: my-doc\ntitle: Mon document\nlang: en\n"
                    "sources: ['https://example.org/a']\n---\nBody text here.")
    doc = load_document(path)
    assert (doc.id, doc.title, doc.lang, doc.sources) == (
        "my-doc", "Mon document", "en", ["https://example.org/a"])


def _tiny_pdf(text: str) -> bytes:
    """A minimal one-page PDF with one line of text (Helvetica)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
    out += (trailer + f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def _fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form of a name or alias."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def test_aids_have_english_renderings_of_their_french_fields() -> None:
    corpus = load_corpus(CORPUS_DIR)
    assert corpus.errors == []
    for aid in corpus.aids:
        assert aid.amounts_en, aid.id
        assert aid.amounts_en.strip(), aid.id
        assert aid.how_to_apply_en, aid.id
        assert aid.how_to_apply_en.strip(), aid.id
        assert len(aid.eligibility_en) == len(aid.eligibility), aid.id
        assert len(aid.beneficiary_conditions_en) == len(aid.beneficiary_conditions), aid.id
        english = [
            aid.amounts_en,
            aid.how_to_apply_en,
            *aid.eligibility_en,
            *aid.beneficiary_conditions_en,
        ]
        for text in english:
            assert text.strip(), aid.id
            assert "**" not in text, (aid.id, text)
            assert "[incertain" not in text, (aid.id, text)
    for cci in corpus.ccis:
        assert cci.territories_en, cci.id
        assert cci.territories_en.strip(), cci.id
        assert "**" not in cci.territories_en
        assert "[incertain" not in cci.territories_en


def test_aliases_name_one_record_each() -> None:
    corpus = load_corpus(CORPUS_DIR)
    records = [
        *(("aid", r) for r in corpus.aids),
        *(("partner", r) for r in corpus.partners),
        *(("cci", r) for r in corpus.ccis),
    ]
    names = {(kind, r.id): _fold(r.name) for kind, r in records}
    owner: dict[str, tuple[str, str]] = {}
    for kind, record in records:
        for alias in record.aliases:
            key = _fold(alias)
            assert len(key) > 2, (record.id, alias)
            assert key not in owner, (alias, owner.get(key), (kind, record.id))
            owner[key] = (kind, record.id)
            others = {name for who, name in names.items() if who != (kind, record.id)}
            assert key not in others, (record.id, alias)
    assert owner, "no alias at all in the corpus"
    assert owner[_fold("PNI")] == ("aid", "bpi-pret-nouvelle-industrie")
    assert owner[_fold("C3IV")] == ("aid", "c3iv-credit-impot-industrie-verte")
    assert owner[_fold("IMPL")] == ("aid", "hdf-aide-implantation")
    assert owner[_fold("CCI Lille")] == ("cci", "cci-grand-lille")
