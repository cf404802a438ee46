"""``relocbot leads ...``: list, show, export, retry dead deliveries, purge, check routing."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ops import process

if TYPE_CHECKING:  # the SQL layer is imported by the commands that use it
    from bot.storage import Database, LeadHistory, LeadRecord

__all__ = ["leads_app", "spreadsheet_safe", "with_db"]

leads_app = typer.Typer(no_args_is_help=True, help="Leads routed to the CCI advisors.")
T = TypeVar("T")
LIST_FIELDS = ("id", "ref", "status", "desk_id", "score", "tier", "company", "postal_code",
               "created_at")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula (``=HYPERLINK(...)``,
    ``+``, ``-``, ``@``, tab, carriage return) gets a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    settings = process.settings()

    from bot.storage import Database

    async def main() -> T:
        db = Database(settings.sqlalchemy_url)
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


def _row(lead: LeadRecord) -> dict[str, Any]:
    return {f: (getattr(lead, f).isoformat() if f == "created_at" else getattr(lead, f))
            for f in LIST_FIELDS}


@leads_app.command("list")
def list_(
    status: Annotated[str | None, typer.Option()] = None,
    desk: Annotated[str | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Leads, newest first (JSON: one object per line)."""
    async def work(db: Database) -> list[LeadRecord]:
        return await db.leads.all(status=status, desk_id=desk, newest_first=True)

    leads = with_db(work)
    if as_json:
        for lead in leads:
            print(json.dumps(_row(lead), ensure_ascii=False))
        return
    table = Table(*LIST_FIELDS)
    for lead in leads:
        table.add_row(*(str(v if v is not None else "") for v in _row(lead).values()))
    Console(emoji=False).print(table)


@leads_app.command()
def show(ref: str) -> None:
    """One lead (by ref or id) with its audit trail and deliveries."""
    async def work(db: Database) -> LeadHistory | None:
        if ref.isdigit():
            return await db.leads.history(lead_id=int(ref))
        return await db.leads.history(ref=ref)

    history = with_db(work)
    if history is None:
        Console(stderr=True).print(f"no lead {ref}")
        raise typer.Exit(1)
    from bot.storage import LeadRecord

    out = Console(emoji=False)
    for column in (f.name for f in fields(LeadRecord)):
        out.print(f"{column}: {getattr(history.lead, column)}", highlight=False, markup=False)
    for event in history.events:
        out.print(f"event {event.at.isoformat()} {event.action} by {event.actor} {event.detail}",
                  highlight=False, markup=False)
    for item in history.deliveries:
        out.print(f"delivery {item.notifier} {item.status} attempts={item.attempts} "
                  f"key={item.idempotency_key}", highlight=False, markup=False)


@leads_app.command()
def export(as_csv: Annotated[bool, typer.Option("--csv")] = True) -> None:
    """All leads as CSV on stdout."""
    async def work(db: Database) -> list[LeadRecord]:
        return await db.leads.all()

    from bot.storage import LeadRecord

    leads = with_db(work)
    columns = [f.name for f in fields(LeadRecord) if f.name != "details"]
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    for lead in leads:
        writer.writerow([spreadsheet_safe(getattr(lead, c)) for c in columns])


@leads_app.command("retry-dead")
def retry_dead() -> None:
    """Put dead-letter deliveries back in the queue."""
    from bot.leads import dispatcher

    count = with_db(dispatcher.retry_dead)
    Console().print(f"{count} delivery(ies) queued again")


@leads_app.command()
def purge(older_than: Annotated[str, typer.Option(help="e.g. 36m (months) or 90d")] = "36m"
          ) -> None:
    """Erase the personal data of leads older than the given age."""
    match = re.fullmatch(r"(\d+)([md])", older_than)
    if not match:
        raise typer.BadParameter("use N followed by m (months) or d (days), e.g. 36m")
    days = int(match.group(1)) * (30 if match.group(2) == "m" else 1)

    async def work(db: Database) -> int:
        from bot.leads.desks import Desks
        from bot.leads.service import LeadService

        settings = process.settings()
        service = LeadService(db=db, settings=settings, desks=Desks(), catalog=_catalog(),
                              desk_names={})
        return await service.purge(older_than=timedelta(days=days), actor="cli:purge")

    Console().print(f"{with_db(work)} lead(s) anonymised")


def _catalog() -> Any:
    from bot.i18n import Catalog

    return Catalog.load()


@leads_app.command()
def route(place: str, sector: Annotated[str | None, typer.Option()] = None,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The desk(s) a lead from PLACE (postal code or commune) would go to, and the rule."""
    from bot.leads.routing import Router

    decision = Router.load().route(place, sector=sector)
    if as_json:
        print(json.dumps({"desk_ids": decision.desk_ids, "ambiguous": decision.ambiguous,
                          "rule": decision.rule}, ensure_ascii=False))
        return
    choose = " (to choose)" if decision.ambiguous else ""
    Console(emoji=False).print(f"{', '.join(decision.desk_ids)}{choose} — {decision.rule}",
                               highlight=False, markup=False)
