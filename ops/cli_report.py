"""``relocbot report gaps|stats``: terminal tables or CSV (``--csv``)."""

from __future__ import annotations

import csv
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.reports import gaps as gaps_report
from bot.reports import stats as stats_report
from ops.cli_leads import spreadsheet_safe, with_db

__all__ = ["report_app"]

report_app = typer.Typer(no_args_is_help=True, help="Operator reports (anonymised).")


def _print(title: str, rows: list[dict[str, Any]], *, as_csv: bool) -> None:
    if as_csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
        return
    table = Table(*(rows[0].keys() if rows else ["(empty)"]), title=title)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console(emoji=False).print(table)


@report_app.command()
def gaps(limit: Annotated[int, typer.Option()] = 20,
         as_csv: Annotated[bool, typer.Option("--csv")] = False) -> None:
    """The most frequent declined or 👎 questions: what the corpus is missing."""
    rows = with_db(lambda db: gaps_report(db, limit=limit))
    _print("gaps", [{"question": q, "total": t, "declined": d, "thumbs_down": n}
                    for q, t, d, n in rows], as_csv=as_csv)


@report_app.command()
def stats(as_csv: Annotated[bool, typer.Option("--csv")] = False) -> None:
    """Questions per channel and day, decline rate, leads per desk and tier, time to claim."""
    tables = with_db(stats_report)
    for name, rows in tables.items():
        _print(name, rows, as_csv=as_csv)
