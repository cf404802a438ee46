"""``relocbot desks coverage``: places and desks a lead could fall through (issue #15, part 6)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bot.leads.coverage import audit_coverage
from bot.leads.desks import Desks
from bot.leads.routing import Router
from ops.cli import app
from ops.cli_desks import slack_verdicts
from ops.fakes.slack_api import FakeSlackAPI

COMPLETE = Path(__file__).resolve().parents[1] / "fixtures" / "desks" / "hauts-de-france.yaml"


def _crafted(tmp_path: Path) -> Path:
    """The complete file with gaps: no Aisne desk, an Oise desk with neither advisors nor a
    target, a public Littoral channel, a desk no rule names."""
    data: dict[str, Any] = yaml.safe_load(COMPLETE.read_text(encoding="utf-8"))
    desks = data["desks"]
    del desks["cci-aisne"]
    desks["cci-oise"] = {}
    desks["cci-littoral-hauts-de-france"]["slack_channel_private"] = False
    desks["cci-lile"] = {"emails": ["typo@example.fr"], "advisors": ["U0TYPO"]}
    path = tmp_path / "desks.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run(*args: str, env: dict[str, str]) -> Any:
    return CliRunner().invoke(app, ["desks", "coverage", *args], env=env)


def test_a_complete_desks_file_has_no_gap(tmp_path: Path) -> None:
    env = {"RELOCBOT_DATA_DIR": str(tmp_path), "RELOCBOT_DESKS_FILE": str(COMPLETE)}
    result = _run("--json", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["gaps"] == []
    assert report["warnings"] == []
    assert report["departments"] == 5
    assert report["communes"] > 3700
    assert report["desks"] == 8
    summary = _run(env=env)
    assert summary.exit_code == 0
    assert summary.stdout.strip().endswith("no gaps")


def test_a_desks_file_with_gaps_lists_them_and_fails(tmp_path: Path) -> None:
    env = {"RELOCBOT_DATA_DIR": str(tmp_path), "RELOCBOT_DESKS_FILE": str(_crafted(tmp_path))}
    result = _run("--json", env=env)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    kinds = {(g["kind"], g["subject"]) for g in report["gaps"]}
    assert ("department", "02") in kinds                  # the Aisne's only desk is missing
    assert ("department", "60") not in kinds              # cci-oise is there, though incomplete
    assert ("no_advisors", "cci-oise") in kinds
    assert ("no_channel", "cci-oise") in kinds
    assert ("public_channel", "cci-littoral-hauts-de-france") in kinds
    assert ("unknown_desk", "cci-lile") in kinds
    assert ("regional_desk", "cci-hauts-de-france") not in kinds
    communes = [g for g in report["gaps"] if g["kind"] == "commune"]
    assert {g["department"] for g in communes} == {"02"}
    assert all(g["desks"] == ["cci-aisne"] for g in communes)
    assert {"02691", "02722"} <= {g["subject"] for g in communes}   # Saint-Quentin, Soissons
    text = _run(env=env)
    assert text.exit_code == 1
    assert "gap  communes     02: " in text.stdout
    assert "without cci-aisne" in text.stdout


def test_no_desks_file_uncovers_every_place() -> None:
    report = audit_coverage(desks=Desks(), router=Router.load())
    assert not report.ok
    assert len([g for g in report.gaps if g.kind == "commune"]) == report.communes
    assert [g.subject for g in report.gaps if g.kind == "department"] == [
        "02", "59", "60", "62", "80"]
    assert report.gaps[0].kind == "regional_desk"


def test_a_candidate_desk_missing_leaves_the_choice_communes_uncovered() -> None:
    desks = Desks.load(COMPLETE)
    del desks.desks["cci-grand-lille"]
    report = audit_coverage(desks=desks, router=Router.load())
    partial = [g for g in report.gaps if g.kind == "commune" and len(g.desks) == 1
               and g.department == "62"]
    assert partial                       # Pas-de-Calais communes with a choice incl. Lille
    assert all("candidate" in g.detail for g in partial)


def test_an_undeclared_channel_is_a_warning_offline() -> None:
    desks = Desks.load(COMPLETE)
    desks.desks["cci-aisne"].slack_channel_private = None
    report = audit_coverage(desks=desks, router=Router.load())
    assert report.ok
    assert [(w.kind, w.subject) for w in report.warnings] == [("unchecked_channel", "cci-aisne")]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


async def test_slack_says_which_channels_are_public(fake_slack: FakeSlackAPI) -> None:
    fake_slack.channels.update({
        "C0REGION": {"is_private": True}, "C0LILLE": {"is_private": True},
        "C0HAINAUT": {"is_private": False},                          # public
        "C0LITTORAL": {"is_private": True, "is_ext_shared": True},   # Slack Connect
        "C0AISNE": {"is_private": True, "is_shared": False},
    })                                                               # C0OISE: not found
    verdicts = await slack_verdicts(token="xoxb-test", base_url=fake_slack.base_url,
                                    channels=["C0REGION", "C0HAINAUT", "C0LITTORAL", "C0AISNE",
                                              "C0OISE"])
    assert verdicts == {"C0AISNE": True, "C0HAINAUT": False, "C0LITTORAL": False,
                        "C0OISE": None, "C0REGION": True}
    report = audit_coverage(desks=Desks.load(COMPLETE), router=Router.load(), slack=verdicts)
    assert sorted((g.kind, g.subject) for g in report.gaps) == [
        ("public_channel", "cci-grand-hainaut"),
        ("public_channel", "cci-littoral-hauts-de-france"),
        ("unchecked_channel", "cci-oise"),
    ]
    assert report.warnings == []        # C0LILLE not asked: declared private in the file

    env = {"RELOCBOT_DESKS_FILE": str(COMPLETE), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_API_BASE_URL": fake_slack.base_url}
    result = await asyncio.to_thread(_run, "--json", env=env)   # the command runs its own loop
    assert result.exit_code == 1, result.output
    asked = {c.body["channel"] for c in fake_slack.calls_to("conversations.info")}
    assert "C0LILLE" in asked
    assert {g["subject"] for g in json.loads(result.stdout)["gaps"]} == {
        "cci-grand-hainaut", "cci-littoral-hauts-de-france", "cci-oise"}
    offline = await asyncio.to_thread(_run, "--json", "--no-slack", env=env)
    assert offline.exit_code == 0
