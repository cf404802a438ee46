"""What the register's codes mean for Relocbot: headcount bands (INSEE ``tranche_effectif``)
to EU size classes, NAF codes to intermediaries and to the finder's sectors.

Labels shown to people (a band's "20 à 49 salariés", a NAF division's name) live in the
catalogs (``prompts/<lang>.company.yaml``: ``company_band``, ``naf_division``); this module
holds only codes.

Usage::

    size_of_band("12")                  # "PME"
    is_intermediary("70.22Z", None)      # True: a consultancy
    finder_sector("25.62A", None)        # "metallurgie"
    division("25.62A", None)             # "25"
"""

from __future__ import annotations

from knowledge.models import Size

__all__ = ["BANDS", "INTERMEDIARY_NAF", "division", "finder_sector", "is_intermediary",
           "size_of_band"]

# INSEE "tranche d'effectif salarié" codes, smallest first ("NN": no employee that year).
BANDS = ("NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51",
         "52", "53")
_SIZE_OF_BAND: dict[str, Size] = {
    **dict.fromkeys(("NN", "00", "01", "02", "03"), "TPE"),        # fewer than 10
    **dict.fromkeys(("11", "12", "21", "22", "31"), "PME"),        # 10 to 249
    **dict.fromkeys(("32", "41", "42", "51"), "ETI"),              # 250 to 4,999
    **dict.fromkeys(("52", "53"), "GE"),                           # 5,000 and more
}

# Consultancies, accountants, lawyers, PR and "other business support" (subsidy brokers often
# register there): they apply on behalf of someone else, the advisor should know.
INTERMEDIARY_NAF = frozenset({"69.10Z", "69.20Z", "70.21Z", "70.22Z", "74.90B", "82.99Z"})
# The same activities in NAF 2025 (NACE Rev. 2.1 classes), read when only it is given.
_INTERMEDIARY_NAF25 = ("69.10", "69.20", "70.20", "73.30")

# NAF division or class -> the finder's sector keys (knowledge/data/profile_vocabulary.yaml).
_SECTORS = {
    "10": "agroalimentaire", "11": "agroalimentaire",
    "13": "textile", "14": "textile", "15": "textile",
    "17": "papeterie",
    "20": "chimie", "22": "chimie",
    "24": "metallurgie", "25": "metallurgie", "28": "metallurgie",
    "26": "electronique", "27": "electronique", "27.51": "electromenager",
    "31": "mobilier",
    "32.30": "sport",
}


def size_of_band(band: str | None) -> Size | None:
    """The EU size class of an INSEE headcount band (``None`` when the band is unknown)."""
    return _SIZE_OF_BAND.get(band) if band else None


def division(naf: str | None, naf25: str | None) -> str | None:
    """The two-digit NAF division (the same in both nomenclatures' first digits)."""
    code = naf or naf25
    return code[:2] if code and code[:2].isdigit() else None


def is_intermediary(naf: str | None, naf25: str | None) -> bool:
    """A consultancy, an accountant, a lawyer... rather than the company with the project."""
    if naf:
        return naf in INTERMEDIARY_NAF
    return bool(naf25) and str(naf25)[:5] in _INTERMEDIARY_NAF25


def finder_sector(naf: str | None, naf25: str | None) -> str | None:
    """The finder's sector key for a NAF code, when one fits (the class before the division)."""
    code = naf or naf25
    if not code:
        return None
    return _SECTORS.get(code[:5]) or _SECTORS.get(code[:2])
