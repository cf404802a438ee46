"""What the aides-territoires API says that the corpus does not: new, changed and ended schemes.

The importer never writes the corpus. It compares the API's schemes with the records (matched
by URL, then by normalised name or alias) and proposes changes for a person to review: a
diff on the terminal (``--dry-run``), or one YAML proposal per scheme in a review folder. A new
scheme's proposal holds the API's facts only (name, financers, dates, rates, links) and
``review: required``; summaries and conditions are written by the reviewer.

Usage::

    diff = compare(remote, corpus.aids, today=dt.date.today())
    diff.new, diff.changed, diff.ended              # lists of Proposal
    write_proposals(diff, data_dir / "aids-review")  # paths written
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from knowledge.models import AidScheme
from ops.aides_territoires import RemoteAid

__all__ = ["AidsDiff", "Change", "Proposal", "compare", "normalise", "write_proposals"]

_RATES = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:à|-|–|to)\s*(\d+(?:[.,]\d+)?)\s*%")
_STOP = frozenset({"de", "des", "du", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en",
                   "pour", "the", "of", "and"})
AID_FORMS = {"subvention": "subvention", "pret": "pret", "avance recuperable":
             "avance-remboursable", "ingenierie technique": "accompagnement",
             "ingenierie financiere": "accompagnement",
             "ingenierie juridique administrative": "accompagnement"}


def normalise(name: str) -> str:
    """Lower case, no accents, no punctuation nor small words: what two spellings share."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(w for w in re.split(r"[^a-z0-9+]+", plain) if w and w not in _STOP)


def _url_key(url: str | None) -> str:
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/").lower()


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    current: str
    proposed: str


@dataclass(slots=True)
class Proposal:
    action: Literal["new", "changed", "ended"]
    remote: RemoteAid
    record_id: str | None = None
    changes: list[Change] = field(default_factory=list)


@dataclass(slots=True)
class AidsDiff:
    new: list[Proposal] = field(default_factory=list)
    changed: list[Proposal] = field(default_factory=list)
    ended: list[Proposal] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0   # not live, and matching no record: nothing to propose

    def proposals(self) -> list[Proposal]:
        return [*self.new, *self.changed, *self.ended]


def _match(remote: RemoteAid, aids: Sequence[AidScheme]) -> AidScheme | None:
    keys = {_url_key(remote.url), _url_key(remote.origin_url)} - {""}
    for aid in aids:
        if keys & {_url_key(u) for u in (aid.url, *aid.sources)}:
            return aid
    name = normalise(remote.name)
    for aid in aids:
        if name in {normalise(n) for n in (aid.name, aid.name_en, *aid.aliases)}:
            return aid
    return None


def _rates(remote: RemoteAid) -> str:
    if remote.rate_low is None and remote.rate_high is None:
        return ""
    low, high = (f"{x:g}" if x is not None else "?" for x in (remote.rate_low, remote.rate_high))
    return f"{low}–{high} %"


def _local_rates(aid: AidScheme) -> str:
    found = _RATES.search(aid.amounts)
    return f"{found.group(1)}–{found.group(2)} %".replace(",", ".") if found else ""


def _changes(aid: AidScheme, remote: RemoteAid) -> list[Change]:
    out = []
    if remote.deadline != aid.deadline and remote.deadline is not None:
        out.append(Change("deadline", str(aid.deadline or "—"), remote.deadline.isoformat()))
    rates = _rates(remote)
    if rates and rates != _local_rates(aid):
        out.append(Change("rates", _local_rates(aid) or "—", rates))
    link = remote.origin_url
    if link and _url_key(link) not in {_url_key(u) for u in (aid.url, *aid.sources)}:
        out.append(Change("url", aid.url or "—", link))
    return out


def compare(remote: Iterable[RemoteAid], aids: Sequence[AidScheme], *,
            today: dt.date) -> AidsDiff:
    """New (live, unknown), changed (deadline, rates, link) and ended (not live, or deadline
    passed, while the record still says open) schemes."""
    diff = AidsDiff()
    for item in remote:
        aid = _match(item, aids)
        if aid is None:
            if item.ended(today):
                diff.skipped += 1
            else:
                diff.new.append(Proposal("new", item))
            continue
        if item.ended(today) and not aid.is_closed(today):
            why = "is_live: false" if item.is_live is False else \
                f"submission_deadline {item.deadline}"
            diff.ended.append(Proposal("ended", item, aid.id,
                                       [Change("status", aid.status, f"closed ({why})")]))
        elif changes := _changes(aid, item):
            diff.changed.append(Proposal("changed", item, aid.id, changes))
        else:
            diff.unchanged += 1
    return diff


def _draft(remote: RemoteAid) -> dict[str, Any]:
    """The API's facts for a new record; everything a person must write is left out."""
    forms = sorted({f for t in remote.aid_types if (f := AID_FORMS.get(normalise(t)))})
    return {"name": remote.name, "funder": ", ".join(remote.financers) or None,
            "perimeter": remote.perimeter, "aid_types": list(remote.aid_types),
            "aid_forms": forms, "start_date": remote.start_date, "deadline": remote.deadline,
            "subvention_rate": _rates(remote) or None, "url": remote.origin_url or remote.url,
            "sources": sorted({remote.url, *([remote.origin_url] if remote.origin_url else [])})}


def _document(p: Proposal, today: dt.date) -> dict[str, Any]:
    doc: dict[str, Any] = {"action": p.action, "review": "required", "record": p.record_id,
                           "source": p.remote.url, "api_date_updated": p.remote.date_updated,
                           "proposed_on": today}
    if p.action == "new":
        doc["draft"] = _draft(p.remote)
    else:
        doc["changes"] = {c.field: {"current": c.current, "proposed": c.proposed}
                          for c in p.changes}
    return doc


def write_proposals(diff: AidsDiff, folder: Path, *, today: dt.date) -> list[Path]:
    """One ``<action>-<id>.yaml`` per proposal in ``folder`` (replaced when run again)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in diff.proposals():
        slug = re.sub(r"[^a-z0-9-]+", "-", (p.record_id or p.remote.id).lower()).strip("-")
        path = folder / f"{p.action}-{slug[:80]}.yaml"
        path.write_text(yaml.safe_dump(_document(p, today), allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        paths.append(path)
    return paths
