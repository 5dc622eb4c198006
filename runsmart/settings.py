"""The one typed settings object. Read from RUNSMART_* environment variables (and an optional .env file)."""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody configured this yet"; refused in production, compared case-insensitively.
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "dev", "development", "strava", "xxx"}
# Placeholder fragments anywhere in a value: "CHANGE_ME", "changemechangeme", "<your-key>"... Only fragments of
# five letters or more: a random 43-character token contains a given three-letter run about once in 800 draws.
_PLACEHOLDER_PATTERN = re.compile(
    r"change[\W_]*(me|it)|replace[\W_]*me|placeholder|your[\W_]*(own[\W_]*)?(key|secret|token)|example"
    r"|dummy|fixme|<[^>]*>",
    re.IGNORECASE,
)
# A secret a person (or a generator) chose: long enough and not a run of a few characters.
MIN_SECRET_LENGTH = 16
MIN_DISTINCT_CHARACTERS = 8
DEV_TOKEN_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="  # Fernet key, development and tests only
DEV_DATABASE_URL = "sqlite:///./runsmart.db"
# Redis (RUNSMART_REDIS_URL; redis-py's schemes), and the demo's and tests' kombu transports (RUNSMART_BROKER_URL).
BROKER_SCHEMES = ("redis", "rediss", "unix", "filesystem", "memory")
# Activity sources, for RUNSMART_SOURCE_PRIORITY (store.models.ActivitySource).
SOURCES = ("strava", "file_fit", "file_gpx", "file_tcx")


class Settings(BaseSettings):
    # hide_input_in_errors: a refused configuration must not print the secrets it was given.
    model_config = SettingsConfigDict(
        env_prefix="RUNSMART_",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
        # `RUNSMART_X=` (as .env.example has it) means unset, not an empty value that an int cannot parse.
        env_ignore_empty=True,
        # Each field's docstring is its description: `runsmart config example` writes .env.example from them.
        use_attribute_docstrings=True,
    )

    env: Literal["development", "test", "production"] = Field("development", examples=["production"])
    """development | test | production. Production refuses empty, placeholder or guessable secrets at start-up."""
    log_level: str = "INFO"
    """Python log level of every process (DEBUG, INFO, WARNING, ...)."""
    log_format: Literal["json", "text"] | None = None
    """"json" (one object per line) or "text"; unset: json in production, text elsewhere (docs/operations.md)."""
    worker_metrics_port: int | None = Field(None, ge=1, le=65535)
    """A worker serves its Prometheus metrics on this port when set (the API serves its own on /metrics)."""
    worker_metrics_host: str = "127.0.0.1"
    """Address the worker's metrics server listens on."""
    metrics_query_timeout_s: float = Field(2.0, gt=0, le=30)
    """The database and Redis gauges are read when /metrics is scraped, each query bounded by this timeout."""

    database_url: str = Field(
        "", examples=["postgresql+psycopg://runsmart:CHANGE_ME@127.0.0.1:5432/runsmart"]
    )
    """SQLAlchemy URL; PostgreSQL in production. Unset: ./runsmart.db (SQLite), except in production: an error."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis: the Celery broker, RedBeat's schedule and the shared Strava rate budget."""
    broker_url: str | None = None
    """Optional Celery broker URL (default: RUNSMART_REDIS_URL); the demo uses kombu's filesystem transport."""
    filesystem_broker_dir: str = ".demo/broker"
    """Folder of the filesystem broker (only when RUNSMART_BROKER_URL starts with filesystem://)."""

    strava_client_id: int = Field(0, examples=[""])
    """Your Strava API application's client id (https://www.strava.com/settings/api)."""
    strava_client_secret: SecretStr = SecretStr("")
    """Your Strava application's client secret."""
    strava_verify_token: SecretStr = SecretStr("")
    """A random string you choose (16+ characters); Strava echoes it in the subscription handshake."""
    strava_subscription_id: int | None = None
    """The id Strava returned when the push subscription was created; events for any other id are refused (403)."""
    strava_base_url: str = "https://www.strava.com"
    """Strava's origin; point it at `runsmart simulator` in development."""
    strava_http_timeout_s: float = Field(10.0, gt=0, le=60)
    """Timeout of every Strava API request, in seconds."""
    strava_athlete_capacity: int = Field(10, ge=1, le=10_000_000)
    """How many athletes Strava lets your application connect (shown in its API settings; 10 in the Standard
    tier until Strava grants Extended Access). Athletes beyond it are told the service is full."""
    strava_athlete_capacity_header: str = ""
    """Name of the response header in which Strava states the athlete capacity; empty: use the setting above."""
    token_refresh_margin_s: int = Field(600, ge=60, le=3600)
    """Refresh an access token when fewer than this many seconds are left (Strava advises a margin)."""

    token_key: SecretStr = SecretStr("")
    """Fernet key(s) encrypting OAuth tokens and notification URLs at rest; comma-separated to rotate (the first
    encrypts, all decrypt). Generate: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"""
    public_base_url: str = Field("http://127.0.0.1:8000", examples=["https://runsmart.example.com"])
    """Public URL of this API; the OAuth redirect is $RUNSMART_PUBLIC_BASE_URL/strava/callback."""

    retry_base_s: float = Field(15.0, ge=0)
    """Retries of transient Strava/database errors: first backoff in seconds (full-jitter exponential)."""
    retry_max_s: float = Field(900.0, ge=0)
    """Longest backoff between two retries, in seconds."""
    max_retries: int = Field(8, ge=0, le=50)
    """Retries before an event is marked failed (the sweeper tries it again later)."""
    not_found_retries: int = Field(3, ge=0, le=20)
    """A 404 right after a create is often transient: retry this many times before recording "gone"."""
    inbox_redrive_after_s: int = Field(300, ge=1)
    """The sweeper re-enqueues inbox rows still unhandled after this many seconds."""
    inbox_sweep_every_s: float = Field(60.0, gt=0)
    """How often the inbox sweeper runs, in seconds."""

    max_event_bytes: int = 64 * 1024
    """Largest webhook body accepted from Strava, in bytes (larger ones are refused with 413)."""

    intake_invalid_burst: int = Field(20, ge=1, le=10_000)
    """Invalid events (malformed, or for another subscription) a source address may send in a burst; beyond
    that it is answered 429 (webhooks/intake_guard.py, docs/api.md)."""
    intake_invalid_refill_s: float = Field(3.0, gt=0, le=3600)
    """Seconds after which a source address may send one more invalid event."""
    api_docs_enabled: bool | None = None
    """/docs, /redoc and /openapi.json. Unset: served in development and test, not in production."""
    forwarded_allow_ips: str | None = None
    """Behind a reverse proxy: the proxy's addresses (comma-separated, or *) whose X-Forwarded-For the API trusts,
    so the intake's throttle sees the client, not the proxy. Unset: uvicorn's default (127.0.0.1)."""

    unverified_call_allowance: int = Field(20, ge=0, le=10_000)
    """Per athlete and window: Strava calls that disproved a pushed event (404, another athlete's run, an
    unconfirmed delete) before further such events wait for reconciliation instead (docs/security.md)."""
    unverified_call_window_s: int = Field(3600, ge=60, le=86_400)
    """The window of the allowance above, in seconds."""
    raw_payload_retention_days: int = Field(7, ge=1, le=7)
    """Days a raw Strava activity payload is kept; at most 7, the API Policy's cache limit (docs/operations.md)."""
    dead_grant_retention_days: int = Field(7, ge=1, le=30)
    """Days after which the Strava data of an athlete whose grant is dead is purged; at most 30 (API Policy)."""

    budget_reserve: float = Field(0.1, ge=0, lt=0.5)
    """Share of each Strava rate window kept back from lower priorities: reconciliation stops at 1 - reserve,
    backfill at 1 - 2 x reserve; webhook-driven syncs may use the whole window."""
    backfill_weeks: int = Field(12, ge=0, le=520)
    """Weeks of history imported when an athlete connects."""
    reconcile_days: int = Field(3, ge=1, le=60)
    """Days of activities that reconciliation compares with Strava."""
    reconcile_pad_hours: int = Field(24, ge=0, le=168)
    """Padding, in hours, around the reconciliation window."""

    app_webhook_url: str | None = None
    """The RunSmart app's endpoint for signed Standard Webhooks POSTs (docs/notifications.md); unset: off."""
    app_webhook_secret: SecretStr = SecretStr("")
    """Signing secret, "whsec_" + base64 of 24-64 random bytes; required with a URL in production.
    Generate: python -c 'import base64,secrets; print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())'"""
    webhook_timeout_s: float = Field(10.0, gt=0, le=60)
    """Timeout of every notification request, in seconds."""
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    """A notification is dead-lettered after this many failed delivery attempts."""
    webhook_retry_base_s: float = Field(30.0, ge=1)
    """First backoff between delivery attempts, in seconds (full jitter)."""
    webhook_retry_max_s: float = Field(3600.0, ge=1)
    """Longest backoff between delivery attempts, in seconds."""
    outbox_redrive_every_s: float = Field(60.0, gt=0)
    """How often the outbox sweeper re-enqueues due notifications, in seconds."""
    outbox_redrive_after_s: int = Field(60, ge=1)
    """The outbox sweeper picks up due rows older than this many seconds."""
    notify_coalesce_window_s: float = Field(120.0, ge=0, le=600)
    """An athlete's plan updates written within this many seconds of each other are sent as one message, once
    the newest is this old (docs/notifications.md, Coalescing); 0: each update is sent at once on its own."""
    notify_allow_private_targets: bool = False
    """Let athletes' notification URLs reach loopback, private, link-local or reserved addresses. Off: such
    URLs are refused when set and again at delivery (SSRF). Only for a local receiver (the demo, tests)."""
    weekly_review_hour: int = Field(7, ge=1, le=23)
    """Local hour (athlete's timezone) on Monday of the weekly digest of the week that ended at midnight; the
    plan judges that week in Monday's first hour, before (docs/notifications.md)."""
    missed_lookback_days: int = Field(3, ge=1, le=14)
    """Missed workouts are looked for this many days back."""
    token_prefresh_hour: int = Field(21, ge=0, le=23)
    """Local hour, on the evening before a workout day, at which access tokens are refreshed."""

    import_files_dir: str = "./runsmart-files"
    """Folder where imported activity files (FIT, GPX, TCX) are kept, named by their sha256, so they can be parsed
    again (docs/sources.md). Holds GPS tracks: keep it private and backed up like the database."""
    import_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    """Largest activity file accepted, in bytes, also once a .gz is unpacked; a larger one is refused (413)."""
    source_priority: str = "strava,file_fit,file_tcx,file_gpx"
    """Whose fields a run shows when several sources hold it, first wins (docs/sources.md#source-priority);
    sources left out follow in this default order."""

    intervals_icu_base_url: str = "https://intervals.icu"
    """intervals.icu's origin, where athletes' upcoming workouts are sent when they connect it (docs/connectors.md);
    point it at the local stand-in (simulator/intervals_icu.py) in development and tests. https in production."""
    connector_timeout_s: float = Field(10.0, gt=0, le=60)
    """Timeout of every request to a workout connector (intervals.icu), in seconds."""
    connector_horizon_days: int = Field(14, ge=1, le=60)
    """Days ahead, from today in the plan's timezone, whose planned workouts are kept in a connected calendar."""
    connector_resync_every_s: int = Field(6 * 3600, ge=60, le=86_400)
    """Each connection is synced again after this many seconds even when its plan did not change, so workouts
    entering the horizon arrive and a lost sync is repaired."""
    connector_tick_every_s: float = Field(60.0, gt=0, le=3600)
    """How often beat looks for connections whose plan changed (or are due a resync), in seconds."""

    api_keys: SecretStr = SecretStr("")
    """Keys of the internal API (/api/v1) the RunSmart app sends as "Authorization: Bearer <key>", comma-separated
    to rotate; empty: every request is refused (401). Generate: python -c 'import secrets; print(secrets.token_urlsafe(32))'"""

    demo_clock_file: str | None = None
    """Development only (`make demo`): a file holding the seconds to add to the time plans are judged at, read at
    every use, so the demo tells a season of weeks in a minute. Ignored unless RUNSMART_ENV is development."""

    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs_enabled if self.api_docs_enabled is not None else self.env != "production"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @field_validator("source_priority")
    @classmethod
    def _known_sources(cls, value: str) -> str:
        """Every name one of store.models.ActivitySource (this module imports nothing of ours; a test keeps the
        two lists equal)."""
        names = (part.strip() for part in value.split(","))
        unknown = [name for name in names if name and name not in SOURCES]
        if unknown:
            raise ValueError(f"names unknown sources {unknown}; known: {', '.join(SOURCES)}")
        return value

    @field_validator("redis_url", "broker_url")
    @classmethod
    def _broker_scheme(cls, value: str | None) -> str | None:
        """A URL redis-py or kombu cannot use stops every process at start-up as a configuration error."""
        if value is None:
            return value
        scheme = value.partition("://")[0].lower() if "://" in value else ""
        if scheme not in BROKER_SCHEMES:
            schemes = ", ".join(f"{known}://" for known in BROKER_SCHEMES)
            raise ValueError(f"is not a URL starting with one of {schemes}")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> Settings:
        if self.env == "production":
            problems = self._production_problems()
            if problems:
                raise ValueError(
                    "refusing to start in production: "
                    + "; ".join(f"{name} {why}" for name, why in problems)
                    + " (see .env.example)"
                )
        if not self.database_url.strip():
            # In production (refused above) a missing URL must not quietly become a SQLite file in the working
            # directory; development and the test suite's processes (which always pass a URL) fall back to it.
            self.database_url = DEV_DATABASE_URL
        return self

    def _production_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if not self.database_url.strip():
            problems.append(("RUNSMART_DATABASE_URL", "is not set"))
        for name, secret in (
            ("RUNSMART_STRAVA_CLIENT_SECRET", self.strava_client_secret),
            ("RUNSMART_STRAVA_VERIFY_TOKEN", self.strava_verify_token),
        ):
            why = _weak_secret(secret.get_secret_value())
            if why:
                problems.append((name, why))
        why = _bad_token_keys(self.token_key.get_secret_value())
        if why:
            problems.append(("RUNSMART_TOKEN_KEY", why))
        if self.strava_client_id <= 0:
            problems.append(("RUNSMART_STRAVA_CLIENT_ID", "is not set"))
        if _is_placeholder(self.public_base_url):  # .env.example's value: OAuth would send athletes there
            problems.append(("RUNSMART_PUBLIC_BASE_URL", "is a placeholder"))
        keys = self.api_key_list()
        weak = [why for why in map(_weak_secret, keys) if why]
        if not keys or weak:
            problems.append(("RUNSMART_API_KEYS", weak[0] if weak else "is empty"))
        if self.app_webhook_url and not _valid_webhook_secret(self.app_webhook_secret.get_secret_value()):
            problems.append(("RUNSMART_APP_WEBHOOK_SECRET", "is not whsec_ + base64 of 24-64 random bytes"))
        if not self.intervals_icu_base_url.startswith(
            "https://"
        ):  # athletes' API keys travel in its requests
            problems.append(("RUNSMART_INTERVALS_ICU_BASE_URL", "is not an https:// URL"))
        return problems

    def effective_token_key(self) -> str:
        key = self.token_key.get_secret_value()
        if key:
            return key
        if self.env == "production":  # unreachable after validation; kept as a guard
            raise ValueError("RUNSMART_TOKEN_KEY is required in production")
        return DEV_TOKEN_KEY


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in _PLACEHOLDERS or bool(_PLACEHOLDER_PATTERN.search(value))


def _weak_secret(value: str) -> str | None:
    """Why a secret is guessable, or None. Never quotes the value: the message reaches logs."""
    value = value.strip()
    if not value:
        return "is empty"
    if _is_placeholder(value):
        return "is a placeholder"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    return None


def _bad_token_keys(value: str) -> str | None:
    """Every comma-separated key must be a real Fernet key, and none the development key printed in the source."""
    keys = [key.strip() for key in value.split(",")]
    if not value.strip():
        return "is empty"
    for position, key in enumerate(keys, start=1):
        if not key:
            return f"has an empty key at position {position}"
        if key == DEV_TOKEN_KEY:
            return f"key {position} is the published development key"
        if _is_placeholder(key):
            return f"key {position} is a placeholder"
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            return f"key {position} is not a Fernet key (url-safe base64 of 32 bytes)"
        if len(set(raw)) < 20:  # 32 random bytes have ~30 distinct values; text or a pattern has far fewer
            return f"key {position} is not random"
    return None


def _valid_webhook_secret(value: str) -> bool:
    """A Standard Webhooks secret: whsec_ + base64 of 24..64 bytes, not a placeholder."""
    if _is_placeholder(value) or not value.startswith("whsec_"):
        return False
    try:
        raw = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(raw) <= 64 and len(set(raw)) > 4


def configuration_error(error: ValidationError) -> str:
    """One line naming what is wrong, for a person at a terminal (pydantic's own text spans several lines)."""
    parts = []
    for item in error.errors():
        where = "RUNSMART_" + "_".join(str(part) for part in item["loc"]).upper() if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "configuration error: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
