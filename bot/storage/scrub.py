"""Scrubbing personal data out of a question before it is stored (question log, feedback).

Real matchers where there are some: phone numbers with phonenumbers' ``PhoneNumberMatcher``
(any country, French by default; spaced, dotted, dashed or slashed), SIREN and SIRET with
python-stdnum (Luhn-checked); then patterns for e-mails, written plainly or disguised
(``x(at)domain``, ``x [at] domain [dot] fr``, ``x arobase domain point fr``), any remaining run
of eight digits or more, and names introduced by "je m'appelle", "my name is", a title
("M.", "Mme", "Mr") or a signature ("Cordialement, Jean Dupont").

Usage::

    scrub("Je m'appelle Jean Dupont, jean(at)exemple.fr, 06/12/34/56/78")
    # -> "Je m'appelle [nom], [e-mail], [tél.]"
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

__all__ = ["MAX_STORED_CHARS", "scrub"]

MAX_STORED_CHARS = 500
_MAX_SCANNED_CHARS = 4000
EMAIL, PHONE, SIREN, NUMBER, NAME = "[e-mail]", "[tél.]", "[siren]", "[…]", "[nom]"

_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_AT = (rf"(?:\s*[@＠]\s*|\s*{_OPEN}\s*(?:at|arobase|a|@)\s*{_CLOSE}\s*"
       r"|\s+(?:at|arobase|chez)\s+)")
_DOT = rf"(?:\s*\.\s*|\s*{_OPEN}\s*(?:dot|point|\.)\s*{_CLOSE}\s*|\s+(?:dot|point)\s+)"
_LOCAL = r"[\w.+'-]+"
_DOMAIN = r"[\w-]+"
_TLD = r"[a-z]{2,24}\b"
# local AT domain (DOT part)* DOT tld; a bare "x@y" (no dot) is an address too.
_EMAIL = re.compile(rf"{_LOCAL}{_AT}{_DOMAIN}(?:{_DOT}{_DOMAIN})*{_DOT}{_TLD}"
                    rf"|{_LOCAL}\s*[@＠]\s*{_DOMAIN}", re.IGNORECASE)
_SEPARATOR = r"[ \t.\-/\u00a0\u202f]?"
_SIRET_OR_SIREN = re.compile(rf"(?<!\d)\d{{3}}{_SEPARATOR}\d{{3}}{_SEPARATOR}\d{{3}}"
                             rf"(?:{_SEPARATOR}\d{{5}})?(?!\d)")
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s./\-_()\u00a0\u202f]{0,3}\d)+")
_SLASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)[/_|·\\](?=\d)")
_MIN_DIGITS = 8
_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d"
                   r"|(?:19|20)\d\d\s*[-/–]\s*(?:19|20)\d\d")   # dates, year ranges

_WORD = r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’-]*"
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’-]*"
_INTRO = re.compile(
    r"(?P<intro>\b(?:je\s+m['’]\s*appelle|je\s+me\s+(?:pré)?nomme|mon\s+(?:pré)?nom\s+"
    r"(?:est|c['’]est)|moi\s+c['’]est|(?:pré)?nom\s*:|my\s+name\s+is|my\s+name['’]s|"
    r"name\s*:|i\s+am\s+called|call\s+me|c['’]est)\s*)", re.IGNORECASE)
_TITLE = re.compile(r"(?P<intro>\b(?:M\.|MM\.|Mr\.?|Mrs\.?|Ms\.?|Mme\.?|Mlle\.?|Dr\.?|"
                    r"Monsieur|Madame|Mademoiselle)\s+)")
_SIGNATURE = re.compile(r"(?P<intro>\b(?:cordialement|bien\s+à\s+vous|salutations|merci|"
                        r"regards|best|thanks|sincerely)\s*[,.:;!-]?\s+)(?=[A-ZÀ-ÖØ-Þ])",
                        re.IGNORECASE)
_NAME_WORD = re.compile(_WORD)
_PARTICLES = {"de", "du", "des", "d'", "le", "la", "van", "von", "der", "den", "di", "da", "del",
              "ben", "el", "mac", "mc", "saint", "st"}
_STOP = {"et", "and", "je", "j", "i", "de", "from", "à", "a", "of", "the", "pour", "for", "avec",
         "with", "chez", "at", "mais", "but", "qui", "who", "notre", "our", "mon", "my", "ma",
         "la", "le", "les", "un", "une", "is", "suis", "am", "votre", "your", "nous", "we",
         "dans", "in", "en", "sur", "on", "au", "aux", "est", "sommes", "are", "pme", "sas",
         "sarl", "société", "entreprise", "company", "directeur", "directrice", "gérant",
         "gérante", "responsable", "ceo", "manager", "pas", "plus", "not", "ne", "bien"}


def _phones(text: str) -> str:
    probe = _SLASH_BETWEEN_DIGITS.sub(" ", text)   # same length: offsets stay valid
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
        probe, "FR", leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def _company_numbers(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    valid = stdnum_siren.is_valid(digits) if len(digits) == 9 else stdnum_siret.is_valid(digits)
    return SIREN if valid else match.group(0)


def _long_numbers(match: re.Match[str]) -> str:
    if _DATE.fullmatch(match.group(0).strip()):
        return match.group(0)
    digits = sum(ch.isdigit() for ch in match.group(0))
    return NUMBER if digits >= _MIN_DIGITS else match.group(0)


def _next_word(text: str, position: int) -> re.Match[str] | None:
    while position < len(text) and text[position] in " \t":
        position += 1
    return _NAME_WORD.match(text, position)


def _particle_leads_to_a_name(text: str, word: re.Match[str]) -> bool:
    """ "de La Tour", "van der Berg": particles followed, at last, by a capitalised word."""
    following = _next_word(text, word.end())
    while following is not None and following.group(0).lower() in _PARTICLES:
        following = _next_word(text, following.end())
    return following is not None and following.group(0)[:1].isupper()


def _name_after(match: re.Match[str], text: str, *, capitalised: bool) -> tuple[int, int] | None:
    """The span of the (one to four word) name right after ``match``, if there is one; after
    a title or a signature the name must be capitalised."""
    position, words, end = match.end(), 0, None
    while words < 4:
        word = _next_word(text, position)
        if word is None:
            break
        token, lowered = word.group(0), word.group(0).lower()
        if lowered in _PARTICLES and _particle_leads_to_a_name(text, word):
            pass
        elif lowered in _STOP or ((words or capitalised) and not token[:1].isupper()):
            break
        words, end, position = words + 1, word.end(), word.end()
    return (match.end(), end) if end is not None else None


def _names(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for pattern in (_INTRO, _TITLE, _SIGNATURE):
        for match in pattern.finditer(text):
            if pattern is _INTRO and match.group("intro").strip().lower() == "c'est" \
                    and not re.match(rf"\s*{_CAPITALISED}\s+(?:à\s+l['’]appareil|ici)\b",
                                     text[match.end():]):
                continue   # "c'est" alone is too common: only "c'est Jean à l'appareil"
            span = _name_after(match, text, capitalised=pattern is not _INTRO)
            if span is not None:
                spans.append(span)
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + NAME + text[end:]
    return text


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, phone numbers, SIREN/SIRET, long digit runs and
    introduced names; at most ``MAX_STORED_CHARS`` characters."""
    text = text[:_MAX_SCANNED_CHARS]
    text = _EMAIL.sub(EMAIL, text)
    text = _SIRET_OR_SIREN.sub(_company_numbers, text)
    text = _phones(text)
    text = _DIGIT_RUN.sub(_long_numbers, text)
    text = _names(text)
    return text[:MAX_STORED_CHARS]
