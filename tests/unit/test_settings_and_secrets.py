"""Settings refuse placeholder secrets in production; tokens are encrypted; logs are scrubbed."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from runsmart.logs import RedactingFilter
from runsmart.settings import DEV_TOKEN_KEY, Settings
from sync.crypto import TokenCipher, TokenCipherError


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "strava_client_id": 1234,
        "strava_client_secret": "a-real-client-secret",
        "strava_verify_token": "a-real-verify-token",
        "token_key": Fernet.generate_key().decode(),
        "api_keys": "app-key-0123456789abcdef",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_a_complete_production_configuration_is_accepted() -> None:
    assert production().env == "production"


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("strava_client_secret", "", "RUNSMART_STRAVA_CLIENT_SECRET"),
        ("strava_verify_token", "STRAVA", "RUNSMART_STRAVA_VERIFY_TOKEN"),
        ("token_key", DEV_TOKEN_KEY, "RUNSMART_TOKEN_KEY"),
        ("token_key", "changeme", "RUNSMART_TOKEN_KEY"),
        ("strava_client_id", 0, "RUNSMART_STRAVA_CLIENT_ID"),
        ("api_keys", "", "RUNSMART_API_KEYS"),
        ("api_keys", "app-key-0123456789abcdef,changeme", "RUNSMART_API_KEYS"),
    ],
)
def test_placeholders_are_refused_outside_development(field: str, value: object, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        production(**{field: value})


def test_development_runs_with_defaults_and_a_dev_key() -> None:
    settings = Settings(env="development")
    assert settings.effective_token_key() == DEV_TOKEN_KEY
    assert settings.celery_broker_url == settings.redis_url


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    assert "a-real-client-secret" not in repr(production())


def test_token_cipher_round_trips_and_rotates_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old).encrypt("refresh-abc")
    assert "refresh-abc" not in stored
    assert TokenCipher(f"{new},{old}").decrypt(stored) == "refresh-abc"
    with pytest.raises(TokenCipherError, match="cannot be decrypted"):
        TokenCipher(new).decrypt(stored)
    with pytest.raises(TokenCipherError, match="Fernet"):
        TokenCipher("not-a-key")


@pytest.mark.parametrize(
    "message",
    [
        "GET https://x/api?access_token=abc123def&x=1",
        "Authorization: Bearer abc123def",
        "form refresh_token=abc123def&client_secret=abc123def",
        '{"access_token": "abc123def"}',
    ],
)
def test_log_lines_are_scrubbed_of_tokens(message: str) -> None:
    record = logging.makeLogRecord({"msg": message, "args": ()})
    RedactingFilter().filter(record)
    assert "abc123def" not in record.getMessage()
    assert "[redacted]" in record.getMessage()
