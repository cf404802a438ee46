"""Validation of lead answers with well-kept libraries (no network).

SIREN: python-stdnum (Luhn); phone: phonenumbers (France by default); e-mail: email-validator
(syntax only). Each validator returns the normalised value or raises ``InputError`` with the
catalog key that explains the problem.

Usage::

    validate_siren("732 829 320")        # "732829320"
    validate_phone("06 12 34 56 78")     # "+33612345678"
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren

from bot.errors import InputError
from bot.storage.limits import LEAD_COLUMN_CHARS, form_max_chars

__all__ = ["validate_answer", "validate_email_address", "validate_headcount", "validate_phone",
           "validate_siren", "validate_text"]

_NUMBER = re.compile(r"\d[\d \u202f.]*")
# "62310 Fruges" typed at the headcount question is a place (a postal code and a name), unless
# it says it counts people ("12000 salariés").
_PLACE = re.compile(r"^\s*\d{5}\s+[^\W\d_]")
_PEOPLE = re.compile(r"salari|employ|personn|people|staff|\betp\b|\bfte\b", re.IGNORECASE)


def validate_siren(value: str) -> str:
    try:
        return str(stdnum_siren.validate(value))
    except StdnumError as exc:
        raise InputError("lead_invalid_siren") from exc


def validate_email_address(value: str) -> str:
    try:
        address = str(validate_email(value.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InputError("lead_invalid_email") from exc
    if len(address) > LEAD_COLUMN_CHARS["email"]:
        raise InputError("lead_invalid_email")
    return address


def validate_phone(value: str, *, region: str = "FR") -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InputError("lead_invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InputError("lead_invalid_phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def validate_headcount(value: str) -> int:
    if _PLACE.match(value) and not _PEOPLE.search(value):
        raise InputError("lead_invalid_headcount")
    match = _NUMBER.search(value)
    if not match:
        raise InputError("lead_invalid_headcount")
    number = int(re.sub(r"[ \u202f.]", "", match.group(0)))
    if number > 1_000_000:
        raise InputError("lead_invalid_headcount")
    return number


def validate_answer(field: str, value: str) -> str:
    """A free-text answer to the form's question ``field``, no longer than its column allows
    (``bot.storage.limits``): what the form accepts is always stored."""
    return validate_text(value, max_chars=form_max_chars(field))


def validate_text(value: str, *, max_chars: int = 300) -> str:
    text = " ".join(value.split())
    if not text:
        raise InputError("lead_invalid_text")
    if len(text) > max_chars:
        raise InputError("lead_text_too_long")
    return text
