"""The CCI records' contact details: every value read in a public page, dated, well formed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from pydantic import ValidationError

from knowledge import CORPUS_DIR
from knowledge.chunking import cci_chunk
from knowledge.loader import load_corpus
from knowledge.models import FRENCH_PHONE, Cci, CciNetwork
from knowledge.yamlfile import load_yaml

NETWORK = CORPUS_DIR / "cci" / "network.yaml"


def _ccis() -> list[Cci]:
    corpus = load_corpus(CORPUS_DIR)
    assert corpus.errors == []
    return corpus.ccis


def test_every_cci_has_dated_and_sourced_contact_details() -> None:
    ccis = _ccis()
    assert len(ccis) == 8
    for cci in ccis:
        assert isinstance(cci.contact_verified, dt.date), cci.id
        if cci.url or cci.address or cci.phone:
            assert cci.contact_sources, cci.id
        for source in cci.contact_sources:
            assert source.startswith(("https://", "http://")), (cci.id, source)
        if cci.url is not None:
            assert cci.url.startswith("https://"), cci.id
        if cci.phone is not None:
            assert re.fullmatch(FRENCH_PHONE, cci.phone), (cci.id, cci.phone)


def test_the_regional_cci_is_one_and_has_a_website_every_answer_can_give() -> None:
    regional = [c for c in _ccis() if c.level == "regional"]
    assert [c.id for c in regional] == ["cci-hauts-de-france"]
    assert regional[0].url == "https://hautsdefrance.cci.fr"
    assert regional[0].contact_sources


def test_the_network_file_names_public_references_only() -> None:
    text = NETWORK.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert comments
    paths = [token for line in comments for token in line.split()
             if "/" in token and not token.startswith(("https://", "http://"))]
    assert paths == []                                    # no local file named as a source


def test_contact_details_are_in_the_indexed_text() -> None:
    ccis = {c.id: c for c in _ccis()}
    assert "Site web : https://hautsdefrance.cci.fr" in cci_chunk(ccis["cci-hauts-de-france"]).text
    assert "Téléphone : 03 23 06 02 02." in cci_chunk(ccis["cci-aisne"]).text
    assert "Adresse : Palais de la Bourse" in cci_chunk(ccis["cci-grand-lille"]).text
    assert "Site web" not in cci_chunk(ccis["cci-artois"]).text    # none found: none written


def _record(**changes: Any) -> dict[str, Any]:
    with NETWORK.open(encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml(fh)
    record = dict(data["local"][0])
    record.update(changes)
    return record


@pytest.mark.parametrize("changes", [
    {"phone": "+33 3 23 06 02 02"},                       # not as written in France
    {"phone": "0323060202"},
    {"url": "http://www.example.fr"},                     # a website is https
    {"phone": "03 23 06 02 02", "contact_sources": []},   # a detail without its source
    {"contact_sources": ["/work/shared/facts/cci_network.yaml"]},
    {"contact_verified": None},
])
def test_malformed_contact_details_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Cci.model_validate(_record(**changes))


def test_the_network_needs_its_regional_cci_marked() -> None:
    with NETWORK.open(encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml(fh)
    assert CciNetwork.model_validate(data).regional.level == "regional"
    data["regional"] = {**data["regional"], "level": "local"}
    with pytest.raises(ValidationError):
        CciNetwork.model_validate(data)
