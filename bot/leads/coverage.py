"""Coverage audit of the desks file: which places of the region, and which desks, a lead
could fall through.

A gap is a commune or département of Hauts-de-France whose desk (or one of whose candidate
desks) is not in the desks file, a missing regional desk, a desk the routing never names,
a desk with no advisor or no delivery channel (no Slack channel, e-mail or webhook: the local
inbox only), and a desk whose Slack channel is public or shared: declared so in the desks file
(``slack_channel_private: false``) or answered so by Slack (``slack``: channel id -> True when
Slack says private and unshared, False when not, None when Slack could not tell). A channel
neither declared nor checked is a warning, not a gap.

Usage::

    report = audit_coverage(desks=Desks.load(settings.desks_file), router=Router.load())
    report.ok                        # False when anything is uncovered
    report.as_dict()["gaps"][0]      # {"kind": "commune", "subject": "62001", ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.leads.desks import Desk, Desks
from bot.leads.routing import Router

__all__ = ["GAP_KINDS", "Coverage", "Gap", "audit_coverage"]

GAP_KINDS = ("regional_desk", "department", "commune", "unknown_desk", "no_advisors",
             "no_channel", "public_channel", "unchecked_channel")


@dataclass(frozen=True, slots=True)
class Gap:
    """One uncovered place or one incomplete desk; ``desks`` are the desk ids concerned."""

    kind: str
    subject: str
    detail: str
    desks: tuple[str, ...] = ()
    department: str = ""


@dataclass(slots=True)
class Coverage:
    gaps: list[Gap] = field(default_factory=list)
    warnings: list[Gap] = field(default_factory=list)
    communes: int = 0
    departments: int = 0
    desks: int = 0

    @property
    def ok(self) -> bool:
        return not self.gaps

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "communes": self.communes, "departments": self.departments,
                "desks": self.desks, "gaps": [asdict(g) for g in self.gaps],
                "warnings": [asdict(w) for w in self.warnings]}


def _place_gaps(desks: Desks, router: Router, report: Coverage) -> None:
    configured = set(desks.desks)
    region = set(router.departments)
    for dep in sorted(region):
        serving = router.departments[dep]
        missing = [d for d in serving if d not in configured]
        if len(missing) == len(serving):
            report.gaps.append(Gap("department", dep, "no configured desk for its postal codes "
                                   f"of no commune ({', '.join(serving)})",
                                   tuple(serving), dep))
    communes = [c for c in router.geo.communes if c.department in region]
    report.communes, report.departments = len(communes), len(region)
    for commune in sorted(communes, key=lambda c: c.insee):
        own = [commune.cci] if commune.cci else list(commune.cci_candidates)
        missing = [d for d in own if d not in configured]
        if not own or missing:
            what = ("no desk in the territory" if not own
                    else "no configured desk" if len(missing) == len(own)
                    else "a candidate desk is not configured")
            report.gaps.append(Gap("commune", commune.insee, f"{commune.name}: {what}",
                                   tuple(missing), commune.department))


def _channel_gap(desk_id: str, desk: Desk, slack: Mapping[str, bool | None] | None
                 ) -> tuple[Gap | None, Gap | None]:
    """(gap, warning) about the desk's Slack channel."""
    channel = desk.slack_channel
    if not channel:
        return None, None
    if desk.slack_channel_private is False:
        return Gap("public_channel", desk_id, f"channel {channel} declared public or shared",
                   (desk_id,)), None
    if slack is not None and channel in slack:
        verdict = slack[channel]
        if verdict is None:
            return Gap("unchecked_channel", desk_id,
                       f"Slack could not tell whether channel {channel} is private",
                       (desk_id,)), None
        if not verdict:
            return Gap("public_channel", desk_id,
                       f"Slack says channel {channel} is public or shared", (desk_id,)), None
        return None, None
    if desk.slack_channel_private is None:
        return None, Gap("unchecked_channel", desk_id, f"channel {channel}: privacy not "
                         "declared (slack_channel_private) nor checked with Slack", (desk_id,))
    return None, None


def _desk_gaps(desks: Desks, router: Router, slack: Mapping[str, bool | None] | None,
               report: Coverage) -> None:
    known = {router.regional, *(d for ds in router.departments.values() for d in ds),
             *router.sector_desks.values(),
             *(d for c in router.geo.communes for d in ([c.cci] if c.cci else c.cci_candidates))}
    if router.regional not in desks.desks:
        report.gaps.append(Gap("regional_desk", router.regional, "the regional desk (leads "
                               "from outside the region, escalations) is not configured",
                               (router.regional,)))
    report.desks = len(desks.desks)
    for desk_id, desk in sorted(desks.desks.items()):
        if desk_id not in known:
            report.gaps.append(Gap("unknown_desk", desk_id, "no routing rule names this desk",
                                   (desk_id,)))
        if not desk.advisors:
            report.gaps.append(Gap("no_advisors", desk_id, "no advisors listed", (desk_id,)))
        if not (desk.slack_channel or desk.emails or desk.webhooks):
            report.gaps.append(Gap("no_channel", desk_id, "no Slack channel, e-mail or webhook:"
                                   " the local inbox only", (desk_id,)))
        gap, warning = _channel_gap(desk_id, desk, slack)
        if gap is not None:
            report.gaps.append(gap)
        if warning is not None:
            report.warnings.append(warning)


def audit_coverage(*, desks: Desks, router: Router,
                   slack: Mapping[str, bool | None] | None = None) -> Coverage:
    """Every gap of ``desks`` against the routing and territory of ``router``; ``slack`` holds
    what Slack said of the desks' channels (None: not asked)."""
    report = Coverage()
    _desk_gaps(desks, router, slack, report)
    _place_gaps(desks, router, report)
    report.gaps.sort(key=lambda g: (GAP_KINDS.index(g.kind), g.department, g.subject))
    return report
