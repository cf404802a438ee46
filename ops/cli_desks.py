"""``relocbot desks coverage``: the places of the region and the desks a lead could fall
through (``bot.leads.coverage``); exits 1 when there is any gap, 2 on an unreadable desks file.

Offline it reads the desks file (``slack_channel_private``); with ``SLACK_BOT_TOKEN`` set (or
``--slack``) each desk channel is also asked of Slack (``conversations.info``).

Usage::

    relocbot desks coverage            # a summary; exit code 1 when there are gaps
    relocbot desks coverage --json     # {"ok": false, "gaps": [{"kind": "commune", ...}], ...}
    relocbot desks coverage --no-slack # the desks file alone, even with a Slack token
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ops import process

if TYPE_CHECKING:
    from bot.leads.coverage import Coverage, Gap

__all__ = ["desks_app", "slack_verdicts"]

desks_app = typer.Typer(no_args_is_help=True, help="The advisors' desks.")
_SHOWN = 8   # communes named per line in the summary


async def slack_verdicts(*, token: str, base_url: str, channels: list[str]
                         ) -> dict[str, bool | None]:
    """Channel id -> True (private, unshared), False (public or shared), None (Slack could
    not tell), one ``conversations.info`` call per channel."""
    from adapters.slack.channel_check import check_channel

    out: dict[str, bool | None] = {}
    for channel in sorted(set(channels)):
        check = await check_channel(token=token, base_url=base_url, channel=channel)
        out[channel] = None if check.error else check.restricted
    return out


def _communes_lines(gaps: list[Gap]) -> list[str]:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for gap in gaps:
        grouped[(gap.department, ", ".join(gap.desks))].append(gap.detail.split(":")[0])
    lines = []
    for (dep, desks), names in sorted(grouped.items()):
        more = f" (+{len(names) - _SHOWN})" if len(names) > _SHOWN else ""
        lines.append(f"gap  communes     {dep}: {len(names)} without {desks or 'a desk'}: "
                     f"{', '.join(names[:_SHOWN])}{more}")
    return lines


def _summary(report: Coverage) -> list[str]:
    lines = [f"{report.communes} communes, {report.departments} départements, "
             f"{report.desks} desk(s) configured"]
    lines += [f"gap  {g.kind:<12} {g.subject}: {g.detail}" for g in report.gaps
              if g.kind != "commune"]
    lines += _communes_lines([g for g in report.gaps if g.kind == "commune"])
    lines += [f"warn {w.kind:<12} {w.subject}: {w.detail}" for w in report.warnings]
    lines.append("no gaps" if report.ok else f"{len(report.gaps)} gap(s)")
    return lines


@desks_app.command("coverage")
def coverage(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
    slack: Annotated[bool | None, typer.Option(
        "--slack/--no-slack", help="ask Slack about the channels (default: with a token)")] = None,
) -> None:
    """Communes and départements with no desk; desks with no advisor, no delivery channel or
    a public Slack channel. Exit code 1 when there is any gap."""
    from bot.errors import ConfigError
    from bot.leads.coverage import audit_coverage
    from bot.leads.desks import Desks
    from bot.leads.routing import Router

    settings = process.settings()
    try:
        desks = Desks.load(settings.desks_file)
    except ConfigError as exc:
        Console(stderr=True).print(str(exc).split(":")[0])
        raise typer.Exit(2) from None
    verdicts = None
    token = settings.slack_bot_token
    if slack and token is None:
        Console(stderr=True).print("--slack needs SLACK_BOT_TOKEN")
        raise typer.Exit(2)
    if token is not None and slack is not False:
        channels = [d.slack_channel for d in desks.desks.values() if d.slack_channel]
        verdicts = asyncio.run(slack_verdicts(token=token.get_secret_value(),
                                              base_url=settings.slack_api_base_url,
                                              channels=channels))
    report = audit_coverage(desks=desks, router=Router.load(), slack=verdicts)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for line in _summary(report):
            typer.echo(line)
    raise typer.Exit(0 if report.ok else 1)
