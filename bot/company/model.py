"""A company as the public register describes it, and the seam the core looks it up through.

Usage::

    company = await lookup.lookup(siren="732829320")     # any CompanyLookup
    if company is not None:
        company.name, company.commune, company.headcount_band   # "ATELIERS DUPONT", ...
        company.closed, company.intermediary, company.size      # False, False, "PME"
    Company.from_api(result)     # one element of the API's ``results``
    Company.from_dict(company.to_dict())   # kept in a conversation's state
    siren_in("SIRET 732 829 320 00074")    # "732829320"
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from bot.company.naf import is_intermediary, size_of_band
from knowledge.models import Size

__all__ = ["Company", "CompanyLookup", "display_commune", "siren_in"]

_SEP = r"[ .\-\u00a0\u202f]?"
_NUMBER = re.compile(rf"(?<!\d)\d{{3}}(?:{_SEP}\d{{3}}){{2}}(?:{_SEP}\d{{5}})?(?!\d)")

_SMALL_WORDS = frozenset({"le", "la", "les", "de", "du", "des", "d", "l", "sur", "sous", "en",
                          "et", "aux", "au", "lès", "lez", "à"})


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def siren_in(text: str) -> str | None:
    """The SIREN of the first valid SIREN or SIRET written in ``text`` (a SIRET's first nine
    digits are its SIREN): ``"732 829 320"``, ``"SIRET 732 829 320 00074"`` -> ``"732829320"``.
    """
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) == 14 and stdnum_siret.is_valid(digits):
            return digits[:9]
        if len(digits) == 9 and stdnum_siren.is_valid(digits):
            return digits
    return None


def display_commune(name: str | None) -> str | None:
    """``"SAINT-AMAND-LES-EAUX"`` -> ``"Saint-Amand-les-Eaux"`` (the register writes capitals)."""
    if not name:
        return None
    if not name.isupper():
        return name
    parts = re.split(r"([ \-'’])", name.lower())
    out = []
    for index, part in enumerate(parts):
        small = index > 0 and part in _SMALL_WORDS
        out.append(part if small or not part else part[0].upper() + part[1:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Company:
    """One legal unit (SIREN) with its head office; fields the register leaves out are None."""

    siren: str
    name: str
    naf: str | None = None             # activite_principale (NAF rév. 2), e.g. "25.62A"
    naf25: str | None = None           # activite_principale_naf25, when published
    headcount_band: str | None = None  # tranche_effectif_salarie, e.g. "12" (20 à 49)
    commune_code: str | None = None    # siege.commune (INSEE code), e.g. "59392"
    commune: str | None = None         # siege.libelle_commune, e.g. "MAUBEUGE"
    postal_code: str | None = None     # siege.code_postal
    epci: str | None = None            # siege.epci (SIREN of the intercommunality)
    state: str = "A"                   # etat_administratif: "A" active, "C" closed

    @property
    def closed(self) -> bool:
        return self.state == "C"

    @property
    def intermediary(self) -> bool:
        """A consultancy or an accountant (NAF 70.22Z, 69.20Z...), not the company itself."""
        return is_intermediary(self.naf, self.naf25)

    @property
    def size(self) -> Size | None:
        return size_of_band(self.headcount_band)

    @property
    def flags(self) -> tuple[str, ...]:
        """What the advisor must be told: ``"closed"``, ``"intermediary"``."""
        return tuple(f for f, on in (("closed", self.closed),
                                     ("intermediary", self.intermediary)) if on)

    @property
    def department(self) -> str | None:
        """The head office's département, from its INSEE commune code (or postal code)."""
        code = self.commune_code or self.postal_code
        if not code:
            return None
        return code[:3] if code.startswith("97") else code[:2]

    @property
    def place(self) -> str | None:
        """``"59600 Maubeuge"``: what the routing reads."""
        parts = [p for p in (self.postal_code, display_commune(self.commune)) if p]
        return " ".join(parts) or None

    @classmethod
    def from_api(cls, result: Mapping[str, Any]) -> Company:
        """One element of ``results`` of the API Recherche d'entreprises."""
        siege = result.get("siege")
        siege = siege if isinstance(siege, Mapping) else {}
        band = _text(result.get("tranche_effectif_salarie"))
        return cls(
            siren=str(result.get("siren") or ""),
            name=_text(result.get("nom_complet")) or _text(result.get("nom_raison_sociale"))
            or "",
            naf=_text(result.get("activite_principale")),
            naf25=_text(result.get("activite_principale_naf25")),
            headcount_band=band,
            commune_code=_text(siege.get("commune")),
            commune=_text(siege.get("libelle_commune")),
            postal_code=_text(siege.get("code_postal")),
            epci=_text(siege.get("epci")),
            state="C" if result.get("etat_administratif") == "C" else "A",
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Company | None:
        """Back from a conversation's state; ``None`` for anything malformed."""
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError:
            return None


class CompanyLookup(Protocol):
    """The companies register as the core sees it (the HTTP client, or a test's fake).

    ``lookup`` answers the company with this SIREN, or ``None`` when the register does not
    know it *or cannot be reached*: an implementation never raises for a network failure and
    answers within its own timeout, so a form can always go on asking its questions.

    Usage::

        class Fixed:
            async def lookup(self, *, siren: str) -> Company | None:
                return Company(siren=siren, name="ATELIERS DUPONT", commune="MAUBEUGE")

        company = await Fixed().lookup(siren="732829320")
    """

    async def lookup(self, *, siren: str) -> Company | None: ...
