"""Advisor desks: where each desk's leads are delivered and who may act on them.

Configured in a YAML file (``RELOCBOT_DESKS_FILE``); a desk without any target gets the local
inbox folder, so a fresh install delivers somewhere visible.

Example::

    desks:
      cci-grand-lille:
        slack_channel: C0123456        # Block Kit notification with claim buttons
        slack_channel_private: true    # declared private and unshared (`relocbot desks coverage`)
        emails: [relocalisation@grand-lille.example]
        webhooks: [https://crm.example/hooks/relocbot]
        advisors: [U01ADVISOR, U02ADVISOR]   # Slack user ids allowed to act; round-robin owners
        advisor_profiles:                    # optional, per advisor
          U01ADVISOR: {first_name: Camille, share_first_name: true,
                       email: camille@grand-lille.example}   # signs in to the web console
        inbox: false

The company is told who took its request: the desk, and the advisor's first name only when
that advisor's profile says ``share_first_name: true`` (off by default: the desk alone).

Usage::

    desks = Desks.load(settings.desks_file)
    desks.desk("cci-grand-lille").targets(settings.inbox_dir)     # [DeskTarget(...), ...]
    desks.first_name("U01ADVISOR")                                 # "Camille" or None
    desks.advisor_by_email("Camille@grand-lille.example")          # "U01ADVISOR" or None
    desks.desks_of("U01ADVISOR")                                   # ("cci-grand-lille",)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ConfigError
from knowledge.yamlfile import load_yaml

__all__ = ["AdvisorProfile", "Desk", "DeskTarget", "Desks"]


class DeskTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    notifier: str   # inbox | slack | email | webhook
    address: str    # folder, channel id, e-mail address, URL


class AdvisorProfile(BaseModel):
    """What an advisor agrees to show the companies: their first name, only when
    ``share_first_name`` is true (default: the company is told the desk alone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_name: str | None = Field(None, max_length=64)
    share_first_name: bool = False
    email: str | None = Field(None, max_length=254)   # own address: console sign-in, digest
    digest: Literal["slack", "email", "off"] = "slack"   # the weekly digest (bot.leads.digest)


class Desk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slack_channel: str | None = None
    slack_channel_private: bool | None = None   # as declared; None: not said
    emails: list[str] = Field(default_factory=list)
    webhooks: list[str] = Field(default_factory=list)
    advisors: list[str] = Field(default_factory=list)
    advisor_profiles: dict[str, AdvisorProfile] = Field(default_factory=dict)
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

    def display_name(self, advisor: str) -> str:
        """How the advisor is named to themselves (the console's header): their first name
        when their profile has one (shared with companies or not), else their address, else
        their id."""
        for desk in self.desks.values():
            profile = desk.advisor_profiles.get(advisor)
            if profile is not None and (profile.first_name or profile.email):
                return (profile.first_name or profile.email or advisor).strip()
        return advisor

    def first_name(self, advisor: str | None) -> str | None:
        """The first name ``advisor`` (a Slack user id) lets the companies see, or ``None``
        (no profile, no first name, or ``share_first_name`` not set)."""
        for desk in self.desks.values():
            profile = desk.advisor_profiles.get(advisor or "")
            if profile is not None and profile.share_first_name and profile.first_name:
                return profile.first_name.strip() or None
        return None

    def advisor_by_email(self, email: str) -> str | None:
        """The advisor id whose profile has this e-mail (case-insensitive), or an advisor
        listed by the e-mail itself; ``None`` when nobody is."""
        wanted = email.strip().lower()
        if not wanted:
            return None
        for desk in self.desks.values():
            for advisor in desk.advisors:
                profile = desk.advisor_profiles.get(advisor)
                own = (profile.email if profile is not None and profile.email else advisor)
                if own.strip().lower() == wanted:
                    return advisor
        return None

    def desks_of(self, advisor: str) -> tuple[str, ...]:
        """The desks listing ``advisor``, sorted."""
        return tuple(sorted(d for d, desk in self.desks.items() if advisor in desk.advisors))

    def slack_channels(self) -> frozenset[str]:
        """The desks' Slack channels (where a reply in a lead card's thread is relayed)."""
        return frozenset(d.slack_channel for d in self.desks.values() if d.slack_channel)
