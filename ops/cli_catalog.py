"""``relocbot aids`` and ``relocbot partners``: the finder's results and reasons, as in the chat.

The finder's modules are imported by the commands, not here: every `relocbot` command imports
this module, and `relocbot ask` should not pay for them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.i18n import Catalog
from ops import process

__all__ = ["register"]


def _reasons(items: list[Any], lang: str, catalog: Catalog) -> list[str]:
    from bot.flows.render import reason_text

    return [reason_text(r, lang=lang, catalog=catalog) for r in items]


def _emit(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    out = Console()
    for row in rows:
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
            continue
        out.print(f"[bold]{row['name']}[/bold]  ({row['score']:.1f}, {row['status']})",
                  highlight=False)
        for line in [*row["reasons"], *row["warnings"]]:
            out.print(f"  {line}", highlight=False, markup=False)
        if row.get("url"):
            out.print(f"  {row['url']}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def aids(
        departement: Annotated[str | None, typer.Option(help="59, 62, 80, 60, 02...")] = None,
        taille: Annotated[str | None, typer.Option(help="TPE, PME, ETI or GE")] = None,
        effectif: Annotated[int | None, typer.Option(help="headcount")] = None,
        projet: Annotated[list[str] | None, typer.Option(help="relocalisation, rd...")] = None,
        emplois: Annotated[int | None, typer.Option(help="jobs to create")] = None,
        investissement: Annotated[int | None, typer.Option(help="investment, EUR")] = None,
        texte: Annotated[str | None, typer.Option(help="a sentence describing the company")]
        = None,
        lang: Annotated[str, typer.Option()] = "fr",
        limit: Annotated[int, typer.Option()] = 5,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Aid schemes that fit a company, with why they fit and what to check."""
        from knowledge import CORPUS_DIR
        from knowledge.catalog import AidIndex, Profile, ProfileExtractor
        from knowledge.catalog.profile import size_from_headcount
        from knowledge.loader import load_corpus

        size = taille.upper() if taille else (size_from_headcount(effectif) if effectif
                                              is not None else None)
        if size not in (None, "TPE", "PME", "ETI", "GE"):
            raise typer.BadParameter("taille: TPE, PME, ETI or GE")
        given = Profile.model_validate({
            "department": departement.zfill(2) if departement else None, "size": size,
            "headcount": effectif, "project_types": projet or [], "jobs": emplois,
            "investment_eur": investissement,
        })
        profile = given.merged(ProfileExtractor.load().extract(texte)) if texte else given
        catalog = Catalog.load()
        rows = [{
            "id": m.aid.id, "name": m.aid.name, "score": round(m.score, 2),
            "reasons": _reasons(m.reasons, lang, catalog),
            "warnings": _reasons(m.warnings, lang, catalog),
            "status": m.aid.status, "url": m.aid.url or m.aid.sources[0],
        } for m in AidIndex(load_corpus(CORPUS_DIR).aids).match(profile, today=dt.date.today(),
                                                                limit=limit)]
        _emit(rows, as_json=as_json)

    @app.command()
    def partners(
        besoin: Annotated[str, typer.Option(help="the need, e.g. 'confection textile'")] = "",
        departement: Annotated[str | None, typer.Option()] = None,
        ville: Annotated[str | None, typer.Option(help="town, to list the nearest first")]
        = None,
        lang: Annotated[str, typer.Option()] = "fr",
        limit: Annotated[int, typer.Option()] = 5,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Partners of the catalogue for a need, nearest first when a place is given."""
        from knowledge.base import KnowledgeBase
        from knowledge.catalog import Geo, ProfileExtractor, match_partners

        settings = process.settings()
        kb = KnowledgeBase.open(settings.knowledge)
        profile = ProfileExtractor.load().extract(f"{besoin} {ville or ''}")
        if departement:
            profile = profile.model_copy(update={"department": departement.zfill(2)})
        if ville:
            profile = profile.model_copy(update={"city": ville})
        found = kb.search(besoin, lang=lang, k=15, kind="partner") if besoin else None
        ranked = [h.chunk.source_id for h in found.hits] if found and not found.declined else []
        catalog = Catalog.load()
        rows = [{
            "id": m.partner.id, "name": m.partner.name, "score": round(m.score, 2),
            "reasons": _reasons(m.reasons, lang, catalog),
            "warnings": _reasons(m.warnings, lang, catalog),
            "status": "caveat" if m.partner.caveat else "ok",
            "url": m.partner.url or m.partner.sources[0], "distance_km": m.distance_km,
        } for m in match_partners(besoin, profile, kb.partners.values(), geo=Geo.load(),
                                  ranked_ids=ranked, limit=limit)]
        _emit(rows, as_json=as_json)
