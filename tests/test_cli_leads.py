"""``relocbot leads list`` and ``leads show``: read through the lead repository."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from ops.cli import app


async def _seed(settings: Settings) -> list[str]:
    db = Database(settings.sqlalchemy_url)
    await db.migrate()
    service = LeadService(db=db, settings=settings, desks=Desks(), catalog=Catalog.load(),
                          desk_names={})
    refs = []
    for i, desk in enumerate(("cci-aisne", "cci-grand-hainaut")):
        result = await service.submit(
            {"company": f"Ateliers {i}", "desk": desk, "email": f"c{i}@example.fr"},
            channel="telegram", conversation_key=f"telegram:{i}", user_key=f"telegram:{i}",
            consent_at=dt.datetime.now(dt.UTC).isoformat(), consent_version="2026-11")
        refs.append(result.ref)
    await db.close()
    return refs


def test_leads_list_and_show(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    refs = asyncio.run(_seed(Settings(_env_file=None, data_dir=tmp_path,
                                      database_url=url)))
    env = {"RELOCBOT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
    runner = CliRunner()
    listed = runner.invoke(app, ["leads", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["ref"] for r in rows] == refs[::-1]                       # newest first
    assert rows[0]["company"] == "Ateliers 1"
    assert rows[0]["status"] == "new"
    only = runner.invoke(app, ["leads", "list", "--json", "--desk", "cci-aisne"], env=env)
    assert [json.loads(line)["ref"] for line in only.stdout.splitlines()] == refs[:1]

    shown = runner.invoke(app, ["leads", "show", refs[0]], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"ref: {refs[0]}" in shown.stdout
    assert "company: Ateliers 0" in shown.stdout
    assert "event " in shown.stdout
    assert " created by telegram:0 " in shown.stdout
    assert "delivery inbox pending attempts=0" in shown.stdout
    by_id = runner.invoke(app, ["leads", "show", str(rows[-1]["id"])], env=env)
    assert by_id.exit_code == 0
    assert f"ref: {refs[0]}" in by_id.stdout
    missing = runner.invoke(app, ["leads", "show", "REL-1999-00000"], env=env)
    assert missing.exit_code == 1
