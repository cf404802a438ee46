"""Dependencies (issue #13, item 15): floors above the versions with known advisories, and a
lock file with hashes that covers every dependency and is what the Docker image installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# The first release fixing the advisories that concern us (see pyproject.toml's comments).
FIXED_IN = {"pypdf": "6.4", "langchain-core": "1.2.5", "starlette": "0.49.1",
            "aiohttp": "3.13.3"}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for name in ("openai", "mistral", "ollama")
              for r in project["optional-dependencies"][name]]
    return {(req := Requirement(r)).name.lower(): req for r in
            [*project["dependencies"], *extras]}


def _locked() -> dict[str, tuple[Version, list[str]]]:
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, tuple[Version, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", block)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = (Version(match.group(2)), re.findall(r"--hash=sha256:[0-9a-f]{64}",
                                                               block))
    return pins


def test_floors_exclude_the_versions_with_known_advisories() -> None:
    requirements = _requirements()
    for name, fixed in FIXED_IN.items():
        floors = [Version(s.version) for s in requirements[name].specifier
                  if s.operator == ">="]
        assert floors, name
        assert min(floors) >= Version(fixed), (name, floors)


def test_the_lock_pins_every_dependency_within_its_range_with_hashes() -> None:
    locked = _locked()
    assert len(locked) > 50
    for name, (_version, hashes) in locked.items():
        assert hashes, f"{name} has no hash"
    for name, requirement in _requirements().items():
        key = re.sub(r"[-_.]+", "-", name)
        assert key in locked, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[key][0], prereleases=True), (
            name, str(requirement.specifier), str(locked[key][0]))


def test_the_image_installs_the_lock_with_hashes_and_nothing_else() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "COPY requirements.lock" in text
    assert "pip install --require-hashes --no-deps -r requirements.lock" in text
    installs = re.findall(r"pip install [^\n&]*", text)
    assert all("--no-deps" in line for line in installs), installs
