from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.leads.scoring import score_lead
from bot.leads.validate import (
    validate_email_address,
    validate_headcount,
    validate_phone,
    validate_siren,
)


def test_siren_luhn() -> None:
    assert validate_siren("732 829 320") == "732829320"
    for bad in ("732829321", "12345", "abcdefghi"):
        with pytest.raises(InputError, match="lead_invalid_siren"):
            validate_siren(bad)


def test_phone_france_by_default() -> None:
    assert validate_phone("06 12 34 56 78") == "+33612345678"
    assert validate_phone("+32 2 555 12 12") == "+3225551212"
    for bad in ("12", "06 12", "not a phone"):
        with pytest.raises(InputError, match="lead_invalid_phone"):
            validate_phone(bad)


def test_email_syntax_only() -> None:
    assert validate_email_address(" Marie@Example.fr ") == "Marie@example.fr"
    for bad in ("marie@", "marie.example.fr", "a b@c.fr"):
        with pytest.raises(InputError, match="lead_invalid_email"):
            validate_email_address(bad)


def test_headcount() -> None:
    assert validate_headcount("40 salariés") == 40
    assert validate_headcount("2 500") == 2500
    assert validate_headcount("12000 salariés") == 12000
    with pytest.raises(InputError, match="lead_invalid_headcount"):
        validate_headcount("62310 Fruges")  # a place typed at the wrong question
    with pytest.raises(InputError):
        validate_headcount("beaucoup")


def test_scoring_is_transparent_and_tiered() -> None:
    hot = score_lead({"stage": "pret", "timeline": "moins-6-mois", "size": "PME",
                      "siren": "732829320", "email": "a@b.fr"}, thresholds=(60, 30))
    assert hot.tier == "chaud"
    assert hot.points == 30 + 25 + 12 + 5 + 5
    assert ("stage", "pret", 30) in hot.reasons
    cold = score_lead({"stage": "idee", "timeline": "inconnu"}, thresholds=(60, 30))
    assert cold.tier == "froid"
    assert cold.points == 5
    warm = score_lead({"stage": "etude", "timeline": "6-12-mois", "size": "TPE"},
                      thresholds=(60, 30))
    assert warm.tier == "tiede"
    assert score_lead({"stage": "etude"}, thresholds=(10, 5)).tier == "chaud"
