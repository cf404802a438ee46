"""PDFs are untrusted input (issue #13, item 15): too large, too many pages or too slow to
parse, a PDF is refused as a corpus problem of that one file, and the others still load; the
parsing runs in a child process with time and memory limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter

from bot.errors import CorpusError
from knowledge import pdf
from knowledge.loader import load_corpus
from tests.knowledge.test_loader import _tiny_pdf


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "ok.pdf").write_bytes(_tiny_pdf("Relocaliser les cartables"))
    return folder


def test_a_pdf_over_the_size_cap_is_not_opened(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "huge.pdf").write_bytes(_tiny_pdf("relocalisation " * (pdf.MAX_BYTES // 15 + 1)))
    corpus = load_corpus(tmp_path / "none", extra=[folder])
    assert [d.title for d in corpus.documents] == ["ok"]
    [error] = corpus.errors
    assert "huge.pdf" in str(error)
    assert "bytes" in str(error)


def test_a_pdf_over_the_page_cap_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    writer = PdfWriter()
    for _ in range(pdf.MAX_PAGES + 1):
        writer.add_blank_page(width=612, height=792)
    with (folder / "long.pdf").open("wb") as fh:
        writer.write(fh)
    corpus = load_corpus(tmp_path / "none", extra=[folder])
    assert [d.title for d in corpus.documents] == ["ok"]
    [error] = corpus.errors
    assert "long.pdf" in str(error)
    assert "pages" in str(error)


def test_parsing_runs_in_a_child_with_a_time_limit(tmp_path: Path) -> None:
    path = _folder(tmp_path) / "ok.pdf"
    assert "cartables" in pdf.pdf_text(path)
    with pytest.raises(CorpusError, match="parsed after"):
        pdf.pdf_text(path, seconds=0.001)
