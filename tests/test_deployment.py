"""The deployment files, checked without a Docker engine (none runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(compose, dict)
    return compose


def test_compose_services_commands_and_dependencies() -> None:
    services = _compose()["services"]
    assert set(services) == {"ingest", "bot", "worker", "chroma", "postgres"}
    assert services["bot"]["command"][:2] == ["relocbot", "serve"]
    assert services["worker"]["command"] == ["relocbot", "worker"]
    assert services["ingest"]["command"] == ["relocbot", "ingest"]
    assert services["bot"]["depends_on"]["ingest"]["condition"] == \
        "service_completed_successfully"
    assert services["bot"]["environment"]["RELOCBOT_EMBEDDED_WORKER"] == "false"
    for name in ("bot", "chroma", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["bot"]["healthcheck"]["test"])


def test_compose_env_volumes_and_telemetry() -> None:
    compose = _compose()
    for name in ("ingest", "bot", "worker"):
        service = compose["services"][name]
        env = service["environment"]
        assert env["ORT_DISABLE_TELEMETRY"] == "1"
        assert env["CHROMA_URL"] == "http://chroma:8000"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert service["env_file"] == ".env"
        assert "botdata:/data" in service["volumes"]
    assert set(compose["volumes"]) == {"botdata", "chromadata", "pgdata"}
    assert compose["services"]["bot"]["ports"] == ["127.0.0.1:8080:8080"]


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2
    assert "slim" in text
    assert "USER relocbot" in text
    assert "ORT_DISABLE_TELEMETRY=1" in text
    final = text.split("FROM python:3.11-slim\n", 1)[1]
    assert "gcc" not in final
    assert "build-essential" not in final


def test_env_example_documents_every_setting() -> None:
    from pydantic import AliasChoices

    from bot.settings import Settings

    example = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        assert alias is None or isinstance(alias, AliasChoices), name
        env_name = str(alias.choices[0]) if alias else name
        assert env_name in example, env_name


def test_docker_compose_config_when_the_tool_exists(tmp_path: Path) -> None:
    """`docker-compose config` (Debian's package) parses and resolves the file when present."""
    import shutil
    import subprocess

    import pytest

    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed here (apt-get install docker-compose)")
    project = tmp_path / "p"
    project.mkdir()
    (project / "docker-compose.yml").write_text((ROOT / "docker-compose.yml").read_text())
    (project / ".env").write_text((ROOT / ".env.example").read_text())
    result = subprocess.run([tool, "config", "-q"], cwd=project, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
