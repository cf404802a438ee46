"""``relocbot config check``, ``relocbot slack manifest``, ``relocbot telegram
set-webhook|delete-webhook``: operator commands that need no index."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowledge.yamlfile import load_yaml
from ops import process

__all__ = ["register"]

console = Console(stderr=True)

config_app = typer.Typer(no_args_is_help=True, help="Configuration.")


@config_app.command("check")
def config_check() -> None:
    """Validate settings and tell what is missing (secrets are never printed)."""
    from ops.config_check import check_config

    results = asyncio.run(check_config(process.settings()))
    table = Table("check", "status", "detail")
    for result in results:
        table.add_row(result.name, result.status, result.detail)
    Console(emoji=False).print(table)
    raise typer.Exit(1 if any(r.status == "error" for r in results) else 0)


slack_app = typer.Typer(no_args_is_help=True, help="Slack app administration.")


@slack_app.command("manifest")
def slack_manifest(
    url: Annotated[str | None, typer.Option(help="public base URL of `relocbot serve`")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode/--http")] = True,
) -> None:
    """Print the Slack app manifest (scopes, events, /reloc, interactivity, App Home)."""
    from importlib.resources import files

    import yaml

    manifest = load_yaml(files("adapters.slack").joinpath("manifest.yaml").read_text(
        encoding="utf-8"))
    settings = manifest.setdefault("settings", {})
    settings["socket_mode_enabled"] = socket_mode
    if url:
        base = url.rstrip("/")
        text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
        print(text.replace("https://relocbot.example.org", base), end="")
        return
    print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")


telegram_app = typer.Typer(no_args_is_help=True, help="Telegram webhook administration.")


@telegram_app.command("set-webhook")
def telegram_set_webhook(url: str) -> None:
    """Point Telegram at URL (https) with TELEGRAM_WEBHOOK_SECRET as its secret token."""
    from adapters.telegram.admin import set_webhook

    ok = asyncio.run(set_webhook(process.settings(), url))
    console.print("webhook set" if ok else "Telegram refused the webhook")
    raise typer.Exit(0 if ok else 1)


@telegram_app.command("delete-webhook")
def telegram_delete_webhook() -> None:
    """Remove the webhook (back to polling with `relocbot run`)."""
    from adapters.telegram.admin import delete_webhook

    ok = asyncio.run(delete_webhook(process.settings()))
    console.print("webhook deleted" if ok else "Telegram refused")
    raise typer.Exit(0 if ok else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
    app.add_typer(slack_app, name="slack")
    app.add_typer(telegram_app, name="telegram")
