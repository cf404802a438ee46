"""``relocbot aids import``: propose new, changed and ended schemes from aides-territoires.

``relocbot aids`` stays the finder (``relocbot aids --departement 62 ...``, also spelt
``relocbot aids find ...``); ``import`` is its second subcommand. The import never writes the
corpus: ``--dry-run`` prints the diff, otherwise each proposal goes to
``<data dir>/aids-review/`` for a person to review and copy into ``knowledge/corpus/aids/``.

Usage::

    relocbot aids import --dry-run --perimeter 70955
    relocbot aids import --json                       # proposals written, diff as JSON lines
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ops import process

__all__ = ["DefaultCommandGroup", "register"]

DEFAULT_COMMAND = "find"


class DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when it names no subcommand, goes to ``find``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


def _row(p: Any) -> dict[str, Any]:
    return {"action": p.action, "record": p.record_id, "name": p.remote.name,
            "source": p.remote.url,
            "changes": [{"field": c.field, "current": c.current, "proposed": c.proposed}
                        for c in p.changes]}


def _print(diff: Any, *, as_json: bool) -> None:
    if as_json:
        for p in diff.proposals():
            print(json.dumps(_row(p), ensure_ascii=False))
        return
    out = Console(emoji=False, highlight=False, soft_wrap=True)
    marks = {"new": "+", "changed": "~", "ended": "-"}
    for p in diff.proposals():
        who = f" [{p.record_id}]" if p.record_id else ""
        out.print(f"{marks[p.action]} {p.action:<8}{p.remote.name}{who}", markup=False)
        for c in p.changes:
            out.print(f"    {c.field}: {c.current} -> {c.proposed}", markup=False)
        out.print(f"    {p.remote.url}", markup=False)
    out.print(f"{len(diff.new)} new, {len(diff.changed)} changed, {len(diff.ended)} ended, "
              f"{diff.unchanged} unchanged, {diff.skipped} skipped (ended, unknown)",
              markup=False)


def import_aids(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the diff, write nothing")]
    = False,
    perimeter: Annotated[str | None, typer.Option(
        help="the région's perimeter id (default: RELOCBOT_AIDES_TERRITOIRES_PERIMETER)")] = None,
    base_url: Annotated[str | None, typer.Option(
        help="API base URL (default: RELOCBOT_AIDES_TERRITOIRES_URL)")] = None,
    review_dir: Annotated[Path | None, typer.Option(
        help="where proposals go (default: <data dir>/aids-review)")] = None,
    today: Annotated[str | None, typer.Option(help="as of this date (YYYY-MM-DD)")] = None,
    timeout: Annotated[float, typer.Option(help="seconds per request")] = 15.0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per proposal")]
    = False,
) -> None:
    """Compare aides-territoires with the corpus: new, changed and ended schemes, for review."""
    from knowledge import CORPUS_DIR
    from knowledge.loader import load_corpus
    from ops.aides_territoires import AidesTerritoiresClient, ImportFailed
    from ops.aids_review import compare, write_proposals

    settings = process.settings()
    where = perimeter or settings.aides_territoires_perimeter
    if not where:
        raise typer.BadParameter("give --perimeter or set RELOCBOT_AIDES_TERRITOIRES_PERIMETER "
                                 "(the région's id: GET /api/perimeters/?q=Hauts-de-France)")
    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError as exc:
        raise typer.BadParameter("--today: a date, YYYY-MM-DD") from exc
    token = settings.aides_territoires_token
    client = AidesTerritoiresClient(base_url=base_url or settings.aides_territoires_url,
                                    token=token.get_secret_value() if token else None,
                                    timeout=timeout)
    try:
        remote = client.aids(perimeter=where)
    except ImportFailed as exc:
        Console(stderr=True).print(f"aides-territoires: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        client.close()
    diff = compare(remote, load_corpus(CORPUS_DIR).aids, today=day)
    _print(diff, as_json=as_json)
    if not dry_run:
        folder = review_dir or settings.data_dir / "aids-review"
        paths = write_proposals(diff, folder, today=day)
        Console(stderr=True).print(f"{len(paths)} proposals in {folder} (the corpus is "
                                   "unchanged: review them, then edit knowledge/corpus/aids/)",
                                   markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Turn the ``aids`` command (registered by ``ops.cli_catalog``) into a group: ``find``
    (the default, so ``relocbot aids --departement 62`` still works) and ``import``."""
    finder = next(c for c in app.registered_commands
                  if (c.name or getattr(c.callback, "__name__", "")) == "aids")
    if finder.callback is None:
        raise RuntimeError("ops.cli_catalog registers `aids` before this module")
    app.registered_commands.remove(finder)
    group = typer.Typer(cls=DefaultCommandGroup, no_args_is_help=False,
                        help="Aid schemes: the finder (default) and the catalogue import.")
    group.command(DEFAULT_COMMAND)(finder.callback)
    group.command("import")(import_aids)
    app.add_typer(group, name="aids")
