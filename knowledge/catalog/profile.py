"""A company's profile as the finder knows it; unknown fields stay ``None`` (never guessed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from knowledge.models import ProjectType, Size

__all__ = ["Profile", "size_from_headcount"]

Field_ = Literal["department", "size", "projects"]


def size_from_headcount(headcount: int) -> Size:
    """EU size classes: TPE < 10, PME < 250, ETI < 5,000, GE otherwise."""
    if headcount < 10:
        return "TPE"
    if headcount < 250:
        return "PME"
    if headcount < 5000:
        return "ETI"
    return "GE"


class Profile(BaseModel):
    department: str | None = None
    postal_code: str | None = None
    city: str | None = None
    size: Size | None = None
    headcount: int | None = None
    project_types: list[ProjectType] = Field(default_factory=list)
    sector: str | None = None
    jobs: int | None = None
    investment_eur: int | None = None

    def missing(self) -> list[Field_]:
        """What the finder still has to ask, in asking order."""
        out: list[Field_] = []
        if self.department is None:
            out.append("department")
        if self.size is None:
            out.append("size")
        if not self.project_types:
            out.append("projects")
        return out

    def overridden(self, other: Profile) -> Profile:
        """This profile with what ``other`` says replacing it (a follow-up's changes): a new
        place replaces the whole place, a new headcount the size."""
        data = self.model_dump()
        new = {k: v for k, v in other.model_dump().items() if v not in (None, [])}
        if {"department", "city", "postal_code"} & set(new):
            data.update(department=None, city=None, postal_code=None)
        if "headcount" in new and "size" not in new:
            data["size"] = None
        data.update(new)
        if data.get("headcount") is not None and "size" not in new:
            data["size"] = size_from_headcount(int(data["headcount"]))
        return Profile.model_validate(data)

    def merged(self, other: Profile) -> Profile:
        """This profile completed (not overwritten) by what ``other`` knows."""
        data = self.model_dump()
        for key, value in other.model_dump().items():
            if value not in (None, []) and data.get(key) in (None, []):
                data[key] = value
        return Profile.model_validate(data)
