"""House rules that a test can enforce."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("telegram", "slack_bolt", "slack_sdk")
# Each layer imports only itself and the layers below it: ops -> adapters -> bot -> knowledge.
LAYERS = ("ops", "adapters", "bot", "knowledge")


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


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_layers_import_only_downward() -> None:
    """``ops`` (CLI, benches, fakes) -> ``adapters`` -> ``bot`` -> ``knowledge``; ``prompts`` is
    data every layer may read; nothing imports ``tests``."""
    offenders = []
    for depth, package in enumerate(LAYERS):
        above = set(LAYERS[:depth]) | {"tests"}
        for path in _modules(package):
            wrong = _imports(path) & above
            if wrong:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert offenders == []


def test_the_installed_package_needs_no_checkout() -> None:
    """Benches and evaluation read their data from the package, not from ``tests/``, and no
    module edits ``sys.path`` to reach the repository."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in LAYERS
        for path in _modules(package)
        if "sys.path" in (text := path.read_text(encoding="utf-8"))
        or '"tests"' in text or "tests/eval" in text
    ]
    assert offenders == []


def _writes_environ(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and ast.unparse(sub.func) in (
                "os.environ.setdefault", "os.environ.update", "os.putenv"):
            return True
        if isinstance(sub, ast.Assign) and any(
                ast.unparse(t).startswith("os.environ") for t in sub.targets):
            return True
    return False


def test_nothing_writes_the_environment_at_import_time() -> None:
    """Module-level statements never set environment variables (``ops.process`` does it once,
    in ``main()``)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in LAYERS
        for path in _modules(package)
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and _writes_environ(node)
    ]
    assert offenders == []


def test_only_storage_imports_sqlalchemy() -> None:
    """SQLAlchemy and Alembic stay behind ``bot/storage/`` (its repositories, records and
    migrations); every other module goes through ``Database`` and sees ``StorageError``."""
    storage = ROOT / "bot" / "storage"
    offenders = [
        str(path.relative_to(ROOT))
        for package in LAYERS
        for path in _modules(package)
        if storage not in path.parents and _imports(path) & {"sqlalchemy", "alembic"}
    ]
    assert offenders == []


def _modules_imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_adapters_see_the_core_through_its_port() -> None:
    """Channels get ``bot.port.Core`` and their own config: they never build or reach into
    the Assistant (``bot.assistant``, ``bot.wiring``); composition happens in ``ops``."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
        for path in _modules("adapters")
        if (wrong := _modules_imported(path) & {"bot.assistant", "bot.wiring"})
    ]
    assert offenders == []


def test_only_storage_knows_the_tables() -> None:
    """The ORM tables stay inside ``bot/storage``: the rest of the code gets records."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in LAYERS
        for path in _modules(package)
        if "storage" not in path.parts
        and _modules_imported(path) & {"bot.storage.tables", "bot.storage.lead_tables"}
    ]
    assert offenders == []


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    script = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_the_command_line_imports_heavy_libraries_only_in_the_commands_using_them() -> None:
    """Every `relocbot` command imports ``ops.cli`` and its sub-command modules: none of them
    may pull the vector store, the SQL layer, the flows or a channel SDK at import time."""
    loaded = _modules_after("import ops.cli")
    heavy = {"chromadb", "sqlalchemy", "alembic", "bot.flows", "bot.storage", "ops.runtime",
             *SDKS}
    assert sorted(heavy & loaded) == []


def test_relocbot_ask_needs_no_database_and_no_flows() -> None:
    loaded = _modules_after("import ops.asking")
    assert "knowledge.retriever" in loaded         # the index, and nothing more: not even
    assert sorted({"chromadb", "sqlalchemy", "alembic", "bot.flows", "bot.storage",   # Chroma
                   *SDKS} & loaded) == []
