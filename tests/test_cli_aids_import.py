"""``relocbot aids import`` against the local aides-territoires fake, and ``report stale``.
No test reaches the internet: the base URL is the fake's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from ops.aides_territoires import AidesTerritoiresClient, ImportFailed
from ops.cli import app
from ops.fakes.aides_territoires import BEARER, FakeAidesTerritoires

FIXTURES = Path(__file__).parent / "fixtures" / "aides_territoires"
TODAY = "2026-11-26"
TOKEN = "at-secret-0123456789"
runner = CliRunner()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAidesTerritoires]:
    server = FakeAidesTerritoires.load(FIXTURES, token=TOKEN)
    await server.start()
    yield server
    await server.stop()


def _env(fake: FakeAidesTerritoires, tmp_path: Path) -> dict[str, str]:
    return {"RELOCBOT_DATA_DIR": str(tmp_path / "data"),
            "RELOCBOT_AIDES_TERRITOIRES_URL": fake.base_url,
            "RELOCBOT_AIDES_TERRITOIRES_TOKEN": TOKEN,
            "RELOCBOT_AIDES_TERRITOIRES_PERIMETER": "70955"}


async def _invoke(args: list[str], env: dict[str, str]) -> Result:
    """The synchronous command in a thread, so that the fake keeps answering."""
    return await asyncio.to_thread(runner.invoke, app, args, env=env)


async def test_dry_run_shows_one_new_one_changed_one_ended(
    fake: FakeAidesTerritoires, tmp_path: Path
) -> None:
    result = await _invoke(["aids", "import", "--dry-run", "--today", TODAY],
                           _env(fake, tmp_path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "+ new     Aide à l'immobilier d'entreprise" in out
    assert "~ changed Appel à projets France 2030 – Première usine [france2030-premiere-usine]" \
        in out
    assert "deadline: 2026-12-15 -> 2027-03-31" in out
    assert "- ended   PME+ volet 1" in out
    assert "[hdf-pme-plus-saut-technologique]" in out
    assert "1 new, 1 changed, 1 ended, 1 unchanged, 1 skipped" in out
    assert not (tmp_path / "data" / "aids-review").exists()       # a dry run writes nothing
    assert TOKEN not in result.output
    # the token was exchanged for a bearer, both pages read with the région's perimeter
    connexion, *pages = fake.requests
    assert connexion.path == "/api/connexion/"
    assert connexion.headers["X-AUTH-TOKEN"] == TOKEN
    assert [p.query.get("page", "1") for p in pages] == ["1", "2"]
    assert pages[0].query["organization_type_slugs"] == "private-sector"
    assert pages[0].query["perimeter"] == "70955"
    assert all(p.headers["Authorization"] == f"Bearer {BEARER}" for p in pages)


async def test_without_dry_run_proposals_go_to_the_review_folder(
    fake: FakeAidesTerritoires, tmp_path: Path
) -> None:
    result = await _invoke(["aids", "import", "--json", "--today", TODAY], _env(fake, tmp_path))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["action"] for r in rows] == ["new", "changed", "ended"]
    folder = tmp_path / "data" / "aids-review"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["changed-france2030-premiere-usine.yaml",
                     "ended-hdf-pme-plus-saut-technologique.yaml",
                     "new-7f1c-aide-a-limmobilier-dentreprise-douaisis.yaml"]
    new = yaml.safe_load((folder / names[2]).read_text(encoding="utf-8"))
    assert new["review"] == "required"
    assert new["action"] == "new"
    assert new["draft"]["funder"] == "Douaisis Agglo"
    assert new["draft"]["subvention_rate"] == "10–30 %"
    assert new["draft"]["aid_forms"] == ["subvention"]
    assert "summary_fr" not in new["draft"]   # no unreviewed text for users
    changed = yaml.safe_load((folder / names[0]).read_text(encoding="utf-8"))
    assert changed["changes"]["deadline"] == {"current": "2026-12-15", "proposed": "2027-03-31"}


async def test_the_client_retries_429_and_server_errors(fake: FakeAidesTerritoires) -> None:
    fake.fail(status=429, times=1, retry_after="0")
    fake.fail(status=503, times=1)
    pauses: list[float] = []
    client = AidesTerritoiresClient(base_url=fake.base_url, token=TOKEN, timeout=5,
                                    backoff=0.01, sleep=pauses.append)
    aids = await asyncio.to_thread(client.aids, perimeter="70955")
    client.close()
    assert len(aids) == 5
    assert pauses == [0.0, 0.02]
    assert aids[0].url == f"{fake.base_url}/aides/7f1c-aide-a-limmobilier-dentreprise-douaisis/"


async def test_the_client_gives_up_and_a_wrong_token_fails_at_once(
    fake: FakeAidesTerritoires, tmp_path: Path
) -> None:
    fake.fail(status=502, times=3)
    client = AidesTerritoiresClient(base_url=fake.base_url, token=TOKEN, attempts=3,
                                    backoff=0, sleep=lambda _: None)
    with pytest.raises(ImportFailed, match="HTTP 502 after 3 attempts"):
        await asyncio.to_thread(client.aids, perimeter="70955")
    client.close()
    env = {**_env(fake, tmp_path), "RELOCBOT_AIDES_TERRITOIRES_TOKEN": "wrong"}
    result = await _invoke(["aids", "import", "--dry-run"], env)
    assert result.exit_code == 1
    assert "HTTP 401" in result.output
    assert "wrong" not in result.output


def test_the_finder_is_still_relocbot_aids(tmp_path: Path) -> None:
    result = runner.invoke(app, ["aids", "--departement", "62", "--taille", "PME", "--json",
                                 "--limit", "2"], env={"RELOCBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert len([json.loads(line) for line in result.stdout.splitlines()]) == 2


def test_report_stale_lists_old_records(tmp_path: Path) -> None:
    env = {"RELOCBOT_DATA_DIR": str(tmp_path), "RELOCBOT_AID_STALE_MONTHS": "12"}
    fresh = runner.invoke(app, ["report", "stale", "--json", "--today", "2026-11-26"], env=env)
    assert fresh.exit_code == 0, fresh.output
    stale_aids = [r for r in map(json.loads, fresh.stdout.splitlines()) if r["kind"] == "aid"]
    assert stale_aids == []     # every aid record was checked on 2026-02-15
    late = runner.invoke(app, ["report", "stale", "--json", "--today", "2027-04-20"], env=env)
    rows = [json.loads(line) for line in late.stdout.splitlines()]
    usine = next(r for r in rows if r["id"] == "france2030-premiere-usine")
    assert usine == {"kind": "aid", "id": "france2030-premiere-usine", "name": usine["name"],
                     "last_verified": "2026-02-15", "months": 14}
    table = runner.invoke(app, ["report", "stale", "--months", "13", "--today", "2027-04-20"],
                          env={**env, "COLUMNS": "200"})
    assert table.exit_code == 0
    assert "france2030-premiere-usine" in table.stdout
    assert "> 13 months" in table.stdout
