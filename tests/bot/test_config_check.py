from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from ops.config_check import check_config

SECRETS = ("xoxb-very-secret", "123:TOKEN-secret", "smtp-pass-secret", "hook-secret")


async def test_config_check_names_what_is_missing_without_secrets(tmp_path: Path) -> None:
    desks = tmp_path / "desks.yaml"
    desks.write_text("desks:\n  cci-aisne:\n    emails: [a@b.fr]\n    slack_channel: C1\n"
                     "    webhooks: [https://crm.example.org/hook]\n")
    settings = Settings(_env_file=None, data_dir=tmp_path, telegram_bot_token=SECRETS[1],
                        desks_file=desks, webhook_allowed_hosts=["other.example.org"])
    results = {r.name: r for r in await check_config(settings)}
    assert results["database"].status == "ok"
    assert results["telegram"].status == "ok"
    assert "polling only" in results["telegram"].detail
    assert results["slack"].status == "off"
    assert results["desks: slack"].status == "error"
    assert results["desks: e-mail"].status == "error"
    assert "crm.example.org" in results["desks: webhooks"].detail
    everything = " ".join(f"{r.name} {r.status} {r.detail}" for r in results.values())
    assert not any(secret in everything for secret in SECRETS)


async def test_a_complete_configuration_has_no_error(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, slack_bot_token=SECRETS[0],
                        slack_signing_secret="s", smtp_password=SECRETS[2])
    assert all(r.status != "error" for r in await check_config(settings))


async def test_broken_desks_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "desks.yaml"
    bad.write_text("desks:\n  cci-aisne:\n    unknown_key: 1\n")
    settings = Settings(_env_file=None, data_dir=tmp_path, desks_file=bad)
    results = {r.name: r for r in await check_config(settings)}
    assert results["desks"].status == "error"


async def test_the_digest_weekday_is_checked(tmp_path: Path) -> None:
    for value, status in (("monday", "ok"), ("off", "off"), ("lundi", "error")):
        settings = Settings(_env_file=None, data_dir=tmp_path, digest_weekday=value)
        results = {r.name: r for r in await check_config(settings)}
        assert results["weekly digest"].status == status, value


async def test_the_console_settings_are_checked_without_showing_the_secret(
    tmp_path: Path
) -> None:
    secret = "console-secret-0123456789"
    https, http = "https://bot.example.org", "http://bot.example.org"
    cases: list[tuple[str | None, str | None, str]] = [
        (None, None, "off"), (secret, None, "error"), ("short", https, "error"),
        (secret, http, "warning"), (secret, https, "ok")]
    for key, url, status in cases:
        settings = Settings(_env_file=None, data_dir=tmp_path, console_secret=key,
                            console_url=url)
        results = {r.name: r for r in await check_config(settings)}
        assert results["console"].status == status, (key, url)
        assert secret not in results["console"].detail
