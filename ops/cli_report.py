"""``relocbot report gaps|stats|stale``: terminal tables, CSV (``--csv``) or JSON lines
(``stale --json``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ops import process
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
    from bot.reports import gaps as gaps_report

    rows = with_db(lambda db: gaps_report(db, limit=limit))
    _print("gaps", [{"question": q, "total": t, "declined": d, "thumbs_down": n}
                    for q, t, d, n in rows], as_csv=as_csv)


@report_app.command()
def stats(as_csv: Annotated[bool, typer.Option("--csv")] = False) -> None:
    """Questions per channel and day, decline rate, leads per desk and tier, time to claim."""
    from bot.reports import stats as stats_report

    tables = with_db(stats_report)
    for name, rows in tables.items():
        _print(name, rows, as_csv=as_csv)


@report_app.command()
def stale(
    months: Annotated[int | None, typer.Option(
        help="flag records verified more than this many months ago "
             "(default: RELOCBOT_AID_STALE_MONTHS)")] = None,
    today: Annotated[str | None, typer.Option(help="as of this date (YYYY-MM-DD)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Aid schemes, partners and CCIs of the corpus not verified for too long, oldest first."""
    from knowledge import CORPUS_DIR
    from knowledge.catalog.freshness import stale_records
    from knowledge.loader import load_corpus

    limit = months if months is not None else process.settings().aid_stale_months
    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError as exc:
        raise typer.BadParameter("--today: a date, YYYY-MM-DD") from exc
    corpus = load_corpus(CORPUS_DIR)
    records = [*(("aid", a) for a in corpus.aids), *(("partner", p) for p in corpus.partners),
               *(("cci", c) for c in corpus.ccis)]
    rows: list[dict[str, Any]] = [
        {"kind": s.kind, "id": s.id, "name": s.name,
         "last_verified": s.last_verified.isoformat(), "months": s.months}
        for s in stale_records(records, today=day, max_months=limit)]
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    _print(f"stale (> {limit} months, {day.isoformat()})", rows, as_csv=False)
