"""The advisors' weekly digest: on ``settings.digest_weekday`` (Monday by default, ``off``
for never), each advisor of the desks file gets the list of their desks' open leads (new,
taken, refused and waiting for the next desk), by Slack direct message (``chat.postMessage`` to
their Slack user id) or, with ``digest: email`` in their profile, by e-mail to their profile's
``email`` (``digest: off``: none).

One outbox row of kind ``digest`` per advisor and ISO week (idempotency key
``digest:<advisor>:<year>-W<week>``: queued once whoever runs the worker), about no single lead
(``lead_id`` None). The payload holds what an advisor may already see, without personal data
(reference, status, tier, département, sector, days open, whether the advisor owns it), so an
erasure has nothing to scrub in it. An advisor with no open lead gets nothing that week.

Usage::

    queued = await run_digests(db, desks=desks, settings=settings, now=utcnow())
    text = digest_text(delivery.payload, catalog=catalog)
    text.subject, text.lines          # plain text; each medium escapes it
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import ConfigError
from bot.i18n import Catalog, normalise_lang
from bot.leads.desks import Desks, DeskTarget
from bot.leads.states import NEW, REFUSED, TAKEN
from bot.settings import Settings
from bot.storage import ConstraintError, Database, LeadRecord, NewOutboxItem

__all__ = ["DIGEST", "OPEN", "WEEKDAYS", "DigestText", "digest_key", "digest_target",
           "digest_text", "digest_weekday", "run_digests"]

log = logging.getLogger(__name__)
DIGEST = "digest"
OPEN = (NEW, TAKEN, REFUSED)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def digest_weekday(settings: Settings) -> int | None:
    """The digest's weekday (0 = Monday), ``None`` when off; ``ConfigError`` for a typo."""
    value = settings.digest_weekday.strip().lower()
    if value == "off":
        return None
    if value not in WEEKDAYS:
        raise ConfigError(f"RELOCBOT_DIGEST_WEEKDAY: one of {', '.join(WEEKDAYS)} or off")
    return WEEKDAYS.index(value)


def digest_key(advisor: str, now: dt.datetime) -> str:
    """One digest per advisor and ISO week."""
    year, week, _ = now.isocalendar()
    return f"{DIGEST}:{advisor}:{year}-W{week:02d}"


def digest_target(desks: Desks, advisor: str) -> DeskTarget | None:
    """Where ``advisor``'s digest goes: their Slack direct message, or their e-mail."""
    profile = next((d.advisor_profiles[advisor] for d in desks.desks.values()
                    if advisor in d.advisor_profiles), None)
    if profile is None or profile.digest == "slack":
        return DeskTarget(notifier="slack", address=advisor)
    if profile.digest == "email" and profile.email:
        return DeskTarget(notifier="email", address=profile.email)
    return None


def _row(lead: LeadRecord, advisor: str, now: dt.datetime) -> dict[str, Any]:
    created = lead.created_at if lead.created_at.tzinfo else lead.created_at.replace(
        tzinfo=dt.UTC)
    return {"ref": lead.ref, "desk_id": lead.desk_id, "status": lead.status, "tier": lead.tier,
            "department": lead.department, "sector": lead.sector,
            "days": max(0, (now - created).days), "yours": lead.owner == advisor}


async def run_digests(db: Database, *, desks: Desks, settings: Settings, now: dt.datetime,
                      seen: set[str] | None = None) -> int:
    """Queue this week's digests on the digest's weekday; how many were queued. ``seen``
    (kept by the caller between runs) spares the queries once a week's digests are queued."""
    weekday = digest_weekday(settings)
    if weekday is None or now.weekday() != weekday:
        return 0
    advisors = sorted(desks.advisors())
    seen = seen if seen is not None else set()
    if all(digest_key(a, now) in seen for a in advisors):
        return 0
    leads = [lead for status in OPEN for lead in await db.leads.all(status=status)
             if lead.anonymised_at is None]
    queued = 0
    for advisor in advisors:
        key = digest_key(advisor, now)
        target = digest_target(desks, advisor)
        own = sorted(d for d, desk in desks.desks.items() if advisor in desk.advisors)
        rows = sorted((_row(lead, advisor, now) for lead in leads if lead.desk_id in own),
                      key=lambda r: (-r["days"], r["ref"]))
        seen.add(key)
        if target is None or not rows:
            continue
        year, week, _ = now.isocalendar()
        payload = {"kind": DIGEST, "lang": "fr", "week": f"{year}-W{week:02d}", "desks": own,
                   "leads": rows}
        try:
            await db.outbox.add(item=NewOutboxItem(
                lead_id=None, kind=DIGEST, notifier=target.notifier, target=target.address,
                payload=payload, idempotency_key=key, next_attempt_at=now, created_at=now))
        except ConstraintError:      # queued already (another worker, an earlier run)
            continue
        queued += 1
    if queued:
        log.info("weekly digest: %d advisor(s)", queued)
    return queued


@dataclass(frozen=True)
class DigestText:
    subject: str
    lines: tuple[str, ...]     # the introduction, one line per lead, the footer

    def plain(self) -> str:
        return "\n".join((self.lines[0], "", *self.lines[1:-1], "", self.lines[-1]))


def digest_text(payload: Mapping[str, Any], *, catalog: Catalog) -> DigestText:
    """The digest in the advisor's language (French unless the payload says otherwise)."""
    lang = normalise_lang(str(payload.get("lang") or "")) or "fr"
    t = catalog.t
    rows = [r for r in payload.get("leads") or [] if isinstance(r, dict)]
    week, unknown = str(payload.get("week") or ""), t("digest_unknown", lang)
    lines = [t("digest_intro", lang, desks=", ".join(payload.get("desks") or []), week=week,
               count=len(rows))]
    for row in rows:
        lines.append(t("digest_line_yours" if row.get("yours") else "digest_line", lang,
                       ref=row.get("ref") or unknown,
                       status=catalog.label("notify_status", str(row.get("status")), lang),
                       tier=catalog.label("notify_tier", str(row.get("tier")), lang),
                       place=row.get("department") or unknown,
                       sector=row.get("sector") or unknown, days=row.get("days", 0)))
    lines.append(t("digest_footer", lang))
    return DigestText(subject=t("digest_subject", lang, week=week, count=len(rows)),
                      lines=tuple(lines))
