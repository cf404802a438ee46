"""Advisor desks: where each desk's leads are delivered and who may act on them.

Configured in a YAML file (``RELOCBOT_DESKS_FILE``); a desk without any target gets the local
inbox folder, so a fresh install delivers somewhere visible.

Example::

    desks:
      cci-grand-lille:
        slack_channel: C0123456        # Block Kit notification with claim buttons
        emails: [relocalisation@grand-lille.example]
        webhooks: [https://crm.example/hooks/relocbot]
        advisors: [U01ADVISOR, U02ADVISOR]   # Slack user ids allowed to act; round-robin owners
        inbox: false
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ConfigError
from knowledge.yamlfile import load_yaml

__all__ = ["Desk", "DeskTarget", "Desks"]


class DeskTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    notifier: str   # inbox | slack | email | webhook
    address: str    # folder, channel id, e-mail address, URL


class Desk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slack_channel: str | None = None
    emails: list[str] = Field(default_factory=list)
    webhooks: list[str] = Field(default_factory=list)
    advisors: list[str] = Field(default_factory=list)
    inbox: bool | None = None

    def targets(self, inbox_dir: Path) -> list[DeskTarget]:
        out = []
        if self.slack_channel:
            out.append(DeskTarget(notifier="slack", address=self.slack_channel))
        out += [DeskTarget(notifier="email", address=e) for e in self.emails]
        out += [DeskTarget(notifier="webhook", address=u) for u in self.webhooks]
        if self.inbox or (self.inbox is None and not out):
            out.append(DeskTarget(notifier="inbox", address=str(inbox_dir)))
        return out


class Desks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    desks: dict[str, Desk] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> Desks:
        if path is None:
            return cls()
        try:
            with path.open(encoding="utf-8") as fh:
                return cls.model_validate(load_yaml(fh) or {})
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise ConfigError(f"cannot read the desks file {path}: {exc}") from exc

    def desk(self, desk_id: str) -> Desk:
        return self.desks.get(desk_id) or Desk()

    def advisors(self) -> set[str]:
        return {a for d in self.desks.values() for a in d.advisors}
