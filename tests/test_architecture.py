"""House rules that a test can enforce."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("telegram", "slack_bolt", "slack_sdk")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_a_channel_sdk() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("bot", "knowledge")
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & set(SDKS)
    ]
    assert offenders == []


def test_every_module_uses_future_annotations() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for package in ("bot", "knowledge", "adapters")
        for p in (ROOT / package).rglob("*.py")
        if p.stat().st_size and "from __future__ import annotations" not in p.read_text()
        and "versions" not in p.parts
    ]
    assert missing == []


def test_catalogs_have_the_same_keys_in_both_languages() -> None:
    from bot.i18n import Catalog

    catalog = Catalog.load()
    assert catalog.keys("fr") == catalog.keys("en")
