"""How ``relocbot serve`` gets its console (``ops.console_app``): only with both settings; the
sign-in e-mail by SMTP, or as a private file without an SMTP server; a short secret refused;
the CSV export neutralises formulas; the SVG charts escape what they draw."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from adapters.console import FileLinkSender, SmtpLinkSender
from adapters.console.charts import bar_chart, column_chart
from adapters.console.stats_page import csv_text
from bot.i18n import Catalog
from bot.leads.desks import Desks
from bot.leads.service import LeadService
from bot.leads.signin import SignIn
from bot.settings import Settings
from bot.storage import Database
from ops.console_app import console_app, link_sender


def _service(db: Database, settings: Settings, catalog: Catalog) -> LeadService:
    return LeadService(db=db, settings=settings, desks=Desks(), catalog=catalog, desk_names={})


async def test_the_console_is_mounted_only_when_configured(db: Database, tmp_path: Path,
                                                           catalog: Catalog) -> None:
    bare = Settings(_env_file=None, data_dir=tmp_path)
    half = Settings(_env_file=None, data_dir=tmp_path, console_secret="s" * 32)
    full = Settings(_env_file=None, data_dir=tmp_path, console_secret="s" * 32,
                    console_url="https://relocbot.example/console")
    for settings, mounted in ((bare, False), (half, False), (full, True)):
        app = console_app(settings=settings, leads=_service(db, settings, catalog),
                          catalog=catalog)
        assert (app is not None) is mounted
    assert isinstance(link_sender(bare, catalog=catalog), FileLinkSender)
    with_smtp = Settings(_env_file=None, data_dir=tmp_path, smtp_host="smtp.example")
    assert isinstance(link_sender(with_smtp, catalog=catalog), SmtpLinkSender)


async def test_without_smtp_the_link_is_a_private_file(tmp_path: Path) -> None:
    sender = FileLinkSender(folder=tmp_path / "links", sender="relocbot@cci.example")
    await sender.send_link(to="camille@cci.example", subject="Lien", text="https://x/auth?t=1")
    [mail] = list((tmp_path / "links").iterdir())
    assert stat.S_IMODE(mail.stat().st_mode) == 0o600
    assert "https://x/auth?t=1" in mail.read_text()


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16 characters"):
        SignIn(db=Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), desks=Desks(),
               secret="short")


def test_csv_cells_never_start_a_formula_and_charts_escape() -> None:
    assert csv_text([("=HYPERLINK(1)", "+1", "ok")]) == "'=HYPERLINK(1),'+1,ok\r\n"
    svg = column_chart([("<b>", 3)], title="<script>") + bar_chart([("a&b", 1)], title="t")
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "a&amp;b" in svg
