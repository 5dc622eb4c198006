"""The one typed settings object. Read from RUNSMART_* environment variables (and an optional .env file)."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody configured this yet"; refused outside development.
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "dev", "development", "STRAVA", "xxx"}
DEV_TOKEN_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="  # Fernet key, development and tests only


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNSMART_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"

    database_url: str = "sqlite:///./runsmart.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Defaults to redis_url; the demo points it at kombu's filesystem transport.
    broker_url: str | None = None
    filesystem_broker_dir: str = ".demo/broker"

    strava_client_id: int = 0
    strava_client_secret: SecretStr = SecretStr("")
    strava_verify_token: SecretStr = SecretStr("")
    strava_subscription_id: int | None = None
    strava_base_url: str = "https://www.strava.com"
    strava_http_timeout_s: float = Field(10.0, gt=0, le=60)
    # Refresh an access token when fewer than this many seconds are left (strava.md §5.3: add a margin).
    token_refresh_margin_s: int = Field(600, ge=60, le=3600)

    # Fernet key (32 url-safe base64 bytes) for OAuth tokens at rest.
    token_key: SecretStr = SecretStr("")
    public_base_url: str = "http://127.0.0.1:8000"

    # Task retry policy: exponential backoff with jitter, bounded.
    retry_base_s: float = Field(15.0, ge=0)
    retry_max_s: float = Field(900.0, ge=0)
    max_retries: int = Field(8, ge=0, le=50)
    # A 404 right after a create is often transient (strava.md §6 #1): retry this many times before "gone".
    not_found_retries: int = Field(3, ge=0, le=20)
    # Inbox rows still unhandled after this long are re-enqueued by the sweeper.
    inbox_redrive_after_s: int = Field(300, ge=1)
    inbox_sweep_every_s: float = Field(60.0, gt=0)

    max_event_bytes: int = 64 * 1024

    # Share of each Strava window kept back from lower priorities: reconciliation stops at 1 - reserve,
    # backfill at 1 - 2 x reserve; webhook-driven syncs may use the whole window (sync/budget.py).
    budget_reserve: float = Field(0.1, ge=0, lt=0.5)
    # History imported when an athlete connects; reconciliation window (days) and its padding (hours).
    backfill_weeks: int = Field(12, ge=0, le=520)
    reconcile_days: int = Field(3, ge=1, le=60)
    reconcile_pad_hours: int = Field(24, ge=0, le=168)

    # Outbound notifications (notify/, docs/notifications.md). Unset URL: the app webhook channel is off.
    app_webhook_url: str | None = None
    # Standard Webhooks secret: "whsec_" + base64 of 24-64 random bytes. Never logged.
    app_webhook_secret: SecretStr = SecretStr("")
    webhook_timeout_s: float = Field(10.0, gt=0, le=60)
    # A row is dead-lettered after this many failed delivery attempts (backoff with full jitter between).
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_retry_base_s: float = Field(30.0, ge=1)
    webhook_retry_max_s: float = Field(3600.0, ge=1)
    # The outbox sweeper: re-enqueues due rows that no after-commit publish or countdown picked up.
    outbox_redrive_every_s: float = Field(60.0, gt=0)
    outbox_redrive_after_s: int = Field(60, ge=1)
    # Scheduled jobs, in each athlete's own timezone: the weekly review on Sunday at this hour; missed
    # workouts are looked for this many days back; tokens are refreshed the evening before a workout day.
    weekly_review_hour: int = Field(20, ge=0, le=23)
    missed_lookback_days: int = Field(3, ge=1, le=14)
    token_prefresh_hour: int = Field(21, ge=0, le=23)

    # Keys of the internal API for the RunSmart app (`Authorization: Bearer <key>`), comma-separated so a
    # key can be rotated without downtime. Empty: every /api/v1 request is refused (401).
    api_keys: SecretStr = SecretStr("")

    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env != "production":
            return self
        problems = [
            name
            for name, value in (
                ("RUNSMART_STRAVA_CLIENT_SECRET", self.strava_client_secret.get_secret_value()),
                ("RUNSMART_STRAVA_VERIFY_TOKEN", self.strava_verify_token.get_secret_value()),
                ("RUNSMART_TOKEN_KEY", self.token_key.get_secret_value()),
            )
            if value.strip() in _PLACEHOLDERS or value == DEV_TOKEN_KEY
        ]
        if self.strava_client_id <= 0:
            problems.append("RUNSMART_STRAVA_CLIENT_ID")
        keys = self.api_key_list()
        if not keys or any(key in _PLACEHOLDERS or len(key) < 16 for key in keys):
            problems.append("RUNSMART_API_KEYS")
        if self.app_webhook_url and not _valid_webhook_secret(self.app_webhook_secret.get_secret_value()):
            problems.append("RUNSMART_APP_WEBHOOK_SECRET")
        if problems:
            raise ValueError(
                "refusing to start in production with empty or placeholder values for: "
                + ", ".join(problems)
                + " (see .env.example)"
            )
        return self

    def effective_token_key(self) -> str:
        key = self.token_key.get_secret_value()
        if key:
            return key
        if self.env == "production":  # unreachable after validation; kept as a guard
            raise ValueError("RUNSMART_TOKEN_KEY is required in production")
        return DEV_TOKEN_KEY


def _valid_webhook_secret(value: str) -> bool:
    """A Standard Webhooks secret: whsec_ + base64 of 24..64 bytes, not a placeholder."""
    if value.strip() in _PLACEHOLDERS or not value.startswith("whsec_"):
        return False
    try:
        raw = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(raw) <= 64 and len(set(raw)) > 4


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
