"""Settings refuse placeholder secrets in production; tokens are encrypted; logs are scrubbed."""

from __future__ import annotations

import base64
import logging

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from runsmart.logs import RedactingFilter
from runsmart.settings import DEV_TOKEN_KEY, Settings
from sync.crypto import TokenCipher, TokenCipherError

# A valid, random-looking Fernet key that is the same in every xdist worker (parameters are compared across
# workers at collection): 32 distinct bytes.
A_REAL_KEY = base64.urlsafe_b64encode(bytes(range(7, 39))).decode()


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "strava_client_id": 1234,
        "strava_client_secret": "a-real-client-secret",
        "strava_verify_token": "a-real-verify-token",
        "token_key": Fernet.generate_key().decode(),
        "api_keys": "app-key-0123456789abcdef",
        "database_url": "postgresql+psycopg://runsmart:pw@db:5432/runsmart",
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
        # A published key next to a real one still encrypts every token with the published one (it is first).
        ("token_key", f"{DEV_TOKEN_KEY},{A_REAL_KEY}", "RUNSMART_TOKEN_KEY"),
        ("token_key", f"{A_REAL_KEY},{DEV_TOKEN_KEY}", "RUNSMART_TOKEN_KEY"),
        ("token_key", f" {DEV_TOKEN_KEY}", "RUNSMART_TOKEN_KEY"),
        ("token_key", f"{DEV_TOKEN_KEY}\n", "RUNSMART_TOKEN_KEY"),
        ("token_key", "not-a-fernet-key-but-long-enough-to-look-like-one", "RUNSMART_TOKEN_KEY"),
        ("token_key", f"{A_REAL_KEY},", "RUNSMART_TOKEN_KEY"),
        ("token_key", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", "RUNSMART_TOKEN_KEY"),  # 32 x "A"
        ("strava_client_secret", "CHANGE_ME", "RUNSMART_STRAVA_CLIENT_SECRET"),
        ("strava_client_secret", "Change-Me-Before-Deploying-1234", "RUNSMART_STRAVA_CLIENT_SECRET"),
        ("strava_client_secret", "<your-client-secret>", "RUNSMART_STRAVA_CLIENT_SECRET"),
        ("strava_verify_token", "x", "RUNSMART_STRAVA_VERIFY_TOKEN"),
        ("strava_verify_token", "short-token", "RUNSMART_STRAVA_VERIFY_TOKEN"),
        ("strava_verify_token", "abababababababababab", "RUNSMART_STRAVA_VERIFY_TOKEN"),
        ("api_keys", "changemechangeme", "RUNSMART_API_KEYS"),
        ("api_keys", "CHANGEMECHANGEME", "RUNSMART_API_KEYS"),
        ("api_keys", "app-key-0123456789abcdef,xxxxxxxxxxxxxxxxxxxx", "RUNSMART_API_KEYS"),
    ],
)
def test_placeholders_are_refused_outside_development(field: str, value: object, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        production(**{field: value})


def test_every_problem_is_named_without_quoting_the_secret() -> None:
    with pytest.raises(ValidationError) as refused:
        production(strava_client_secret="CHANGE_ME", api_keys="changemechangeme", token_key=DEV_TOKEN_KEY)
    message = str(refused.value)
    for named in ("RUNSMART_STRAVA_CLIENT_SECRET", "RUNSMART_API_KEYS", "RUNSMART_TOKEN_KEY"):
        assert named in message
    assert DEV_TOKEN_KEY not in message
    assert "changemechangeme" not in message


def test_rotation_with_two_real_keys_is_accepted() -> None:
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    assert production(token_key=keys).token_key.get_secret_value() == keys


def test_development_runs_with_defaults_and_a_dev_key() -> None:
    settings = Settings(env="development", _env_file=None)  # type: ignore[call-arg]
    assert settings.effective_token_key() == DEV_TOKEN_KEY
    assert settings.celery_broker_url == settings.redis_url
    assert settings.database_url == "sqlite:///./runsmart.db"


def test_a_missing_database_url_is_an_error_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNSMART_DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="RUNSMART_DATABASE_URL is not set"):
        production(database_url="")


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


def test_freshly_generated_secrets_are_never_mistaken_for_placeholders() -> None:
    import secrets

    for _ in range(300):
        settings = production(
            token_key=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
            strava_client_secret=secrets.token_hex(20),  # Strava's client secrets are 40 hex digits
            strava_verify_token=secrets.token_urlsafe(24),
            api_keys=secrets.token_urlsafe(32),
        )
        assert settings.env == "production"
