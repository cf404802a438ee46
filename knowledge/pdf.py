"""PDF text, read with caps: a PDF is untrusted input (operator folders, ``relocbot ingest``),
and a crafted one can loop or exhaust memory in the parser. So a PDF larger than
``MAX_BYTES`` is refused before it is opened, and the parsing runs in a child process with a
time limit (``SECONDS``), a memory limit (``MAX_MEMORY_BYTES``) and a page limit
(``MAX_PAGES``); any breach is a ``CorpusError`` for that file only.

Usage::

    text = pdf_text(Path("notes/etude.pdf"))          # CorpusError when a cap is reached
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from knowledge.errors import CorpusError

__all__ = ["MAX_BYTES", "MAX_MEMORY_BYTES", "MAX_PAGES", "SECONDS", "pdf_text"]

MAX_BYTES = 25_000_000
MAX_PAGES = 500
SECONDS = 60.0
MAX_MEMORY_BYTES = 1_500_000_000
_TOO_MANY_PAGES = 3


def _limit_memory() -> None:   # runs in the child, before it executes Python
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY_BYTES, MAX_MEMORY_BYTES))


def pdf_text(path: Path, *, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES,
             seconds: float = SECONDS) -> str:
    size = path.stat().st_size
    if size > max_bytes:
        raise CorpusError(f"{path}: PDF of {size} bytes, more than {max_bytes}: not read")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv (this interpreter, our module), no shell
            [sys.executable, "-m", "knowledge.pdf", str(path), str(max_pages)],
            capture_output=True, timeout=seconds, preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CorpusError(f"{path}: PDF still being parsed after {seconds:g} s: not read") \
            from exc
    if done.returncode == _TOO_MANY_PAGES:
        raise CorpusError(f"{path}: PDF of more than {max_pages} pages: not read")
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise CorpusError(f"{path}: cannot read the PDF: {reason[0][:200]}")
    return done.stdout.decode("utf-8", "replace")


def _main(path: str, max_pages: int) -> int:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if len(reader.pages) > max_pages:
        return _TOO_MANY_PAGES
    text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1], int(sys.argv[2])))
