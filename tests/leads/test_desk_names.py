"""How an advisor is named: to the companies only with their consent, to themselves always."""

from __future__ import annotations

from bot.leads.desks import Desks

DESKS = Desks.model_validate({"desks": {"cci-grand-lille": {
    "advisors": ["U01", "U02", "U03"],
    "advisor_profiles": {
        "U01": {"first_name": "Camille", "share_first_name": False,
                "email": "camille@grand-lille.example"},
        "U02": {"email": "dominique@grand-lille.example"},
    }}}})


def test_the_console_names_the_advisor_to_themselves() -> None:
    assert DESKS.display_name("U01") == "Camille"
    assert DESKS.display_name("U02") == "dominique@grand-lille.example"
    assert DESKS.display_name("U03") == "U03"


def test_the_companies_see_a_first_name_only_when_it_is_shared() -> None:
    assert DESKS.first_name("U01") is None
