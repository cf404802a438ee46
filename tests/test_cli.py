"""The CLI, in process, against the session's index (no rebuild)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.settings import Settings
from knowledge.base import KnowledgeBase
from ops.cli import app

runner = CliRunner()


@pytest.fixture
def env(kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {"RELOCBOT_DATA_DIR": str(kb_settings.data_dir),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_ask_json_reads_stdin_and_prints_one_object_per_line(env: dict[str, str]) -> None:
    questions = "Quelle CCI couvre Valenciennes ?\nWhat is the weather in Lille tomorrow?\n\n"
    result = runner.invoke(app, ["ask", "--json"], input=questions, env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["question"] for line in lines] == [q for q in questions.split("\n") if q]
    first, second = lines
    assert set(first) == {"question", "answer", "declined", "lang", "sources"}
    assert first["lang"] == "fr"
    assert not first["declined"]
    assert first["answer"]
    assert len(first["sources"]) >= 5
    for source in first["sources"]:
        assert set(source) == {"id", "title", "url", "kind", "score", "text"}
        assert source["text"]
    scores = [s["score"] for s in first["sources"]]
    assert scores == sorted(scores, reverse=True)
    assert "cci-grand-hainaut" in [s["id"] for s in first["sources"][:3]]
    assert second["declined"] is True
    assert second["lang"] == "en"
    assert second["answer"] == ""


def test_ask_prints_answer_and_sources_for_a_person(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "Quelle CCI couvre Valenciennes ?"], env=env)
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("Sources")
    assert "Valenciennes" in answer
    assert "[1]" in answer        # the answer comes first
    assert "[1] CCI Grand Hainaut" in sources
    assert "http" in sources


def test_chat_reads_lines_and_numbered_choices_press_buttons(env: dict[str, str]) -> None:
    script = "/start\n1\nQuelle CCI couvre Valenciennes ?\n/quit\nnot reached\n"
    result = runner.invoke(app, ["chat"], input=script, env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(1) Poser une question" in out
    assert "(4) Parler à un conseiller CCI" in out
    assert "Je vous écoute" in out
    assert "[1] CCI Grand Hainaut" in out
    assert "not reached" not in out


def test_chat_understands_typed_requests_and_follow_ups(env: dict[str, str]) -> None:
    script = ("Bonjour\nJe voudrais parler à un conseiller\noui\nc'est quoi un SIREN ?\n"
              "stop\nQuelles aides pour une PME de 40 salariés à Lens ?\n"
              "Et si on a 300 salariés ?\n/quit\n")
    result = runner.invoke(app, ["chat"], input=script, env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Bonjour ! Je peux vous dire" in out                # greeted, not declined
    assert "Acceptez-vous" in out
    assert "Quel est le nom de votre entreprise" in out
    assert "9 chiffres" in out
    assert "Pour reprendre" in out    # digression, then the form
    assert "Demande annulée" in out
    assert "Lens, département 62, ETI, 300 salariés" in out    # the follow-up kept the place


def test_eval_prints_metrics_on_a_tiny_set(env: dict[str, str], tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(
        "items:\n"
        "  - q: Quelle CCI couvre Valenciennes ?\n    expect: [Grand Hainaut]\n"
        "  - q: Quel est le cours de l'action Decathlon aujourd'hui ?\n    answerable: false\n"
        "  - q: Où se trouve le siège de la CCI Artois ?\n    expect: [Arras]\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(tiny), "--misses"], env=env)
    assert result.exit_code == 0, result.output
    rows = dict(line.split("│")[1:3] for line in result.stdout.splitlines() if "│" in line
                and "metric" not in line)
    metrics = {k.strip(): float(v) for k, v in rows.items()}
    assert metrics["hit@5"] == 1.0
    assert metrics["decline_recall"] == 1.0
    assert metrics["decline_precision"] == 1.0
    assert metrics["items"] == 3


def test_ask_without_question_or_json_is_a_usage_error(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask"], env=env)
    assert result.exit_code != 0


def test_slack_manifest_has_scopes_events_command_and_the_url() -> None:
    import yaml

    result = runner.invoke(app, ["slack", "manifest", "--url", "https://bot.example.fr/",
                                 "--http"])
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load(result.stdout)
    assert {"chat:write", "commands", "app_mentions:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
    assert "app_mention" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert manifest["settings"]["event_subscriptions"]["request_url"] == (
        "https://bot.example.fr/slack/events")
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["slash_commands"][0]["command"] == "/reloc"


def test_leads_route_json(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["leads", "route", "Valenciennes", "--json"], env=env)
    assert json.loads(result.stdout) == {
        "desk_ids": ["cci-grand-hainaut"], "ambiguous": False,
        "rule": "commune Valenciennes (Valenciennes) -> cci-grand-hainaut"}
    ambiguous = json.loads(runner.invoke(app, ["leads", "route", "62500", "--json"],
                                         env=env).stdout)
    assert ambiguous["ambiguous"] is True
    assert len(ambiguous["desk_ids"]) == 3


def test_aids_json_gives_reasons_and_warnings(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["aids", "--departement", "62", "--effectif", "40", "--projet",
                                 "relocalisation", "--json"], env=env)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    assert {"id", "name", "score", "reasons", "warnings", "status", "url"} <= set(rows[0])
    assert "✔ PME" in rows[0]["reasons"]
    assert "hdf-adge-grandes-entreprises" not in [r["id"] for r in rows]


def test_partners_json_nearest_first(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["partners", "--besoin", "confection textile", "--ville",
                                 "Roubaix", "--json"], env=env)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    assert all(r["distance_km"] is not None for r in rows[:3])
    assert "resilience" in [r["id"] for r in rows]
