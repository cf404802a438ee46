"""Typed records of the corpus: aid schemes, partners, CCI territories, documents and chunks."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "FRENCH_PHONE",
    "AidForm",
    "AidScheme",
    "Cci",
    "CciNetwork",
    "Chunk",
    "Document",
    "Partner",
    "ProjectType",
    "Size",
    "Status",
]

# A French number as people write it: "03 23 06 02 02", or a special number "0 806 800 059".
FRENCH_PHONE = r"^(0[1-9]( \d{2}){4}|0 [89]\d{2} \d{3} \d{3})$"
Size = Literal["TPE", "PME", "ETI", "GE"]
Status = Literal["open", "permanent", "closed", "uncertain"]
ProjectType = Literal[
    "relocalisation", "implantation", "creation", "extension", "investissement", "modernisation",
    "innovation", "rd", "ecoconception", "transition-ecologique", "recrutement", "formation",
    "export", "reprise", "tresorerie", "prevention-difficultes", "conseil",
]
AidForm = Literal[
    "subvention", "pret", "avance-remboursable", "garantie", "fonds-propres", "credit-impot",
    "accompagnement", "diagnostic",
]
PartnerKind = Literal[
    "public-body", "financier", "consultancy", "brand", "distributor", "label", "manufacturer",
    "network", "school", "workshop-network",
]


def _check_urls(value: list[str]) -> list[str]:
    for url in value:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not a URL: {url!r}")
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2)
    url: str | None = None
    sources: list[str] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None
    last_verified: dt.date
    aliases: list[str] = Field(default_factory=list)  # acronyms and short names people type

    @field_validator("sources")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        return _check_urls(value)


class AidScheme(_Record):
    """One aid scheme (regional, national or European)."""

    name_en: str
    funder: str
    level: Literal["regional", "national", "european"]
    departments: list[str] = Field(default_factory=list)
    sizes: list[Size] = Field(min_length=1)
    beneficiary_conditions: list[str] = Field(default_factory=list)
    project_types: list[ProjectType] = Field(default_factory=list)
    aid_forms: list[AidForm] = Field(default_factory=list)
    amounts: str
    eligibility: list[str] = Field(default_factory=list)
    how_to_apply: str
    status: Status
    status_note: str
    closed_since: dt.date | None = None
    deadline: dt.date | None = None
    apply_before_start: bool = False
    min_jobs: dict[Literal["TPE", "PME", "ETI", "GE", "any"], int] = Field(default_factory=dict)
    min_investment_eur: int | None = None
    summary_fr: str
    summary_en: str
    # English renderings of the French fields (answers in English quote these when present).
    amounts_en: str | None = None
    how_to_apply_en: str | None = None
    eligibility_en: list[str] = Field(default_factory=list)
    beneficiary_conditions_en: list[str] = Field(default_factory=list)

    def is_closed(self, today: dt.date) -> bool:
        """Closed by status, from its ``closed_since`` date, or once its deadline has passed
        (the deadline day itself is still open)."""
        return (self.status == "closed"
                or (self.closed_since is not None and self.closed_since <= today)
                or (self.deadline is not None and self.deadline < today))


class Partner(_Record):
    """One organisation of the partner catalogue."""

    kind: PartnerKind
    description_fr: str
    description_en: str
    capabilities: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    city: str | None = None
    department: str | None = Field(None, pattern=r"^\d[\dAB]$")
    event_role: str | None = None
    caveat: str | None = None


class Cci(_Record):
    """A CCI (regional or local), the territory it covers and how to reach it.

    ``url`` (its website, https), ``address`` and ``phone`` are filled only from the public
    pages of ``contact_sources``, read on ``contact_verified``; ``None`` is "not found"."""

    level: Literal["regional", "local"] = "local"
    url: str | None = Field(None, pattern=r"^https://")
    departments: list[str]
    department_split: str | None = None
    territories: str
    head_office_city: str | None = None
    local_offices: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    territories_en: str | None = None
    phone: str | None = Field(None, pattern=FRENCH_PHONE)
    address: str | None = None
    contact_sources: list[str] = Field(default_factory=list)
    contact_verified: dt.date
    contact_uncertain: bool = False  # read in dated articles: to be confirmed
    contact_note: str | None = None  # what was looked for or set aside (for maintainers)

    @field_validator("contact_sources")
    @classmethod
    def _contact_urls(cls, value: list[str]) -> list[str]:
        return _check_urls(value)

    @model_validator(mode="after")
    def _sourced(self) -> Cci:
        if (self.url or self.address or self.phone) and not self.contact_sources:
            raise ValueError("contact details without contact_sources")
        return self


class CciNetwork(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regional: Cci
    local: list[Cci]

    @model_validator(mode="after")
    def _levels(self) -> CciNetwork:
        if self.regional.level != "regional" or any(c.level != "local" for c in self.local):
            raise ValueError("the regional CCI has level: regional, the local ones level: local")
        return self


class Document(BaseModel):
    """A prose document (Markdown, PDF, HTML or text) with its front matter."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    title: str
    lang: Literal["fr", "en"] = "fr"
    translation_of: str | None = None
    sources: list[str] = Field(default_factory=list)
    date: dt.date | None = None
    last_verified: dt.date | None = None
    body: str
    path: str


class Chunk(BaseModel):
    """One unit of retrieval, with what the index needs to filter and cite it."""

    model_config = ConfigDict(frozen=True)

    id: str
    source_id: str
    kind: Literal["document", "aid", "partner", "cci"]
    title: str
    url: str | None
    lang: str
    text: str
    departments: list[str] = Field(default_factory=list)
    status: str | None = None
    origin: str = ""
