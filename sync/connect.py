"""Connecting an athlete: the OAuth authorize URL, the browser-bound state, the outcome of Strava's answers, the
athlete capacity, and storing the granted tokens."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from store import athlete_repository, repository
from store.models import ConnectionStatus, StravaConnection
from sync.crypto import TokenCipher
from sync.errors import (
    StravaAppCredentialsRejected,
    StravaAppInactive,
    StravaAthleteCapacity,
    StravaError,
    StravaTransient,
)
from sync.strava import TokenSet
from sync.tokens import store_tokens

log = logging.getLogger(__name__)

# activity:read_all: without it "Only You" runs are invisible and surface as delete events (docs/strava.md, "Pitfalls the code handles").
REQUIRED_SCOPES = ("activity:read_all",)
REQUESTED_SCOPES = ["read", "activity:read_all"]
# A connect attempt has this long between /strava/connect and the callback; Strava's own code is short-lived too.
STATE_MAX_AGE_S = 600
STATE_COOKIE = "runsmart_oauth_state"


class ConnectOutcome(StrEnum):
    """Every way a callback ends; each has its own page for the athlete (webhooks/templates/oauth_*.html)."""

    CONNECTED = "connected"
    DENIED = "denied"  # the athlete pressed Cancel on Strava's page
    SCOPE_MISSING = "scope_missing"
    CODE_INVALID = "code_invalid"  # reused or expired authorization code
    STATE_INVALID = "state_invalid"  # missing, forged, expired, already used, or from another browser
    STRAVA_UNAVAILABLE = "strava_unavailable"
    # Strava refuses the application itself (inactive, or its credentials): only the operator can fix it.
    SERVICE_REFUSED = "service_refused"
    CAPACITY_REACHED = "capacity_reached"


class ConnectError(ValueError):
    """A callback we must refuse, with the outcome the athlete is shown."""

    def __init__(self, outcome: ConnectOutcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


# --- the state: a random nonce, bound to the browser by a signed cookie -----------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="strava-oauth-state-cookie")


def new_state(secret: str) -> tuple[str, str]:
    """A fresh nonce for Strava's `state` and the signed, timestamped cookie value that binds it to the browser.

    The nonce alone proves nothing (an attacker can start a connect of their own); the callback accepts it only
    together with the cookie that was set in the same browser, so a link crafted elsewhere cannot connect the
    victim's browser to someone else's Strava account (login CSRF)."""
    nonce = secrets.token_urlsafe(32)
    return nonce, _serializer(secret).dumps({"n": nonce})


def check_state(secret: str, *, state: str, cookie: str | None) -> str:
    """The nonce, if `state` matches the browser's cookie and the cookie is ours and fresh; else ConnectError."""
    if not cookie or not state:
        raise ConnectError(
            ConnectOutcome.STATE_INVALID, "the connect request carries no state or no state cookie"
        )
    try:
        data = _serializer(secret).loads(cookie, max_age=STATE_MAX_AGE_S)
    except SignatureExpired:
        raise ConnectError(ConnectOutcome.STATE_INVALID, "the connect attempt expired") from None
    except BadSignature:
        raise ConnectError(ConnectOutcome.STATE_INVALID, "the state cookie is not ours") from None
    nonce = data.get("n") if isinstance(data, dict) else None
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), state.encode()):
        raise ConnectError(ConnectOutcome.STATE_INVALID, "the state does not match this browser's cookie")
    return nonce


class NonceLedger(Protocol):
    def claim(self, nonce: str, ttl_s: int) -> bool:
        """True the first time a nonce is claimed within ttl_s; False for any replay."""
        ...


class RedisNonceLedger:
    """Used nonces in Redis, shared by every API process (SET NX with the state's lifetime)."""

    def __init__(self, client: Any, prefix: str = "runsmart:oauth:nonce") -> None:
        self._client = client
        self._prefix = prefix

    def claim(self, nonce: str, ttl_s: int) -> bool:
        return bool(self._client.set(f"{self._prefix}:{nonce}", b"1", nx=True, ex=ttl_s))


class LocalNonceLedger:
    """Used nonces in memory, for the single-process demo (no Redis)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, nonce: str, ttl_s: int) -> bool:
        now = time.monotonic()
        with self._lock:
            self._seen = {n: until for n, until in self._seen.items() if until > now}
            if nonce in self._seen:
                return False
            self._seen[nonce] = now + ttl_s
            return True


def claim_state(ledger: NonceLedger, nonce: str) -> None:
    # The cookie is cleared on every answer, but a copied cookie and URL could be replayed from elsewhere.
    if not ledger.claim(nonce, STATE_MAX_AGE_S):
        raise ConnectError(ConnectOutcome.STATE_INVALID, "this connect attempt was already used")


def authorize_url(*, client_id: int, redirect_uri: str, state: str, base_url: str) -> str:
    # The documented query string (docs/strava.md, "OAuth"), in the order stravalib 2.6 writes it; built here so
    # the API process never imports stravalib (see sync/strava.py on its cost).
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "approval_prompt": "auto",
            "scope": ",".join(REQUESTED_SCOPES),
            "response_type": "code",
            "state": state,
        }
    )
    return f"{base_url.rstrip('/')}/oauth/authorize?{query}"


# --- what Strava granted ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """The token exchange's result. `scope` and `headers` are there when the gateway passes them on."""

    tokens: TokenSet
    athlete: dict[str, Any]
    scope: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class GrantLike(Protocol):
    @property
    def tokens(self) -> TokenSet: ...
    @property
    def athlete(self) -> dict[str, Any]: ...
    @property
    def scope(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


@runtime_checkable
class GrantingGateway(Protocol):
    """A gateway whose exchange also passes on the token response's `scope` and headers (any object with
    Grant's four attributes, so the gateway need not import this module)."""

    def exchange_grant(self, code: str) -> GrantLike: ...


class CodeExchanger(Protocol):
    def exchange_code(self, code: str) -> tuple[TokenSet, dict[str, Any]]: ...


def exchange(gateway: CodeExchanger, code: str) -> Grant:
    if isinstance(gateway, GrantingGateway):
        got = gateway.exchange_grant(code)
        return Grant(tokens=got.tokens, athlete=got.athlete, scope=got.scope, headers=dict(got.headers))
    tokens, athlete = gateway.exchange_code(code)
    return Grant(tokens=tokens, athlete=athlete)


def granted_scope(token_scope: str | None, redirect_scope: str | None) -> str:
    """The token response is Strava's own statement of the grant; the redirect's `scope` travels through the
    browser, so it is only the fallback for when the token response does not say."""
    return token_scope if token_scope is not None else (redirect_scope or "")


def missing_scopes(granted: str | None) -> list[str]:
    have = {s.strip() for s in (granted or "").split(",") if s.strip()}
    return [s for s in REQUIRED_SCOPES if s not in have]


def _error_body(body: str) -> dict[str, Any]:
    """Strava's error body as a JSON object, empty when it is not one."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _first_error_resource(data: Mapping[str, Any]) -> str:
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    return str(first.get("resource", "")) if isinstance(first, dict) else ""


def exchange_failure(error: StravaError) -> ConnectOutcome:
    """What the athlete is told when the code exchange fails: by the error's class, then by Strava's status and
    body as the gateway recorded them on it."""
    if isinstance(error, StravaAppInactive | StravaAppCredentialsRejected):
        return ConnectOutcome.SERVICE_REFUSED
    if isinstance(error, StravaAthleteCapacity):
        return ConnectOutcome.CAPACITY_REACHED
    # resource "Application": our client id or secret is refused; no athlete can fix that.
    if _first_error_resource(_error_body(error.body)) == "Application":
        return ConnectOutcome.SERVICE_REFUSED
    # A reused or expired code: 400 AuthorizationCode/code/invalid (RequestToken in older answers).
    if error.status == 400 and not isinstance(error, StravaTransient):
        return ConnectOutcome.CODE_INVALID
    return ConnectOutcome.STRAVA_UNAVAILABLE


@runtime_checkable
class GrantReleaser(Protocol):
    def deauthorize(self, access_token: str) -> None: ...


def release_grant(gateway: object, tokens: TokenSet, *, reason: str) -> bool:
    """Give back at Strava a grant we will not keep, so the athlete is not left connected there (and holding a
    place in Strava's count) without being connected here. Best effort: a failure is logged for the operator,
    never shown to the athlete, whose answer does not depend on it. True when Strava confirmed."""
    if not isinstance(gateway, GrantReleaser):
        return False
    try:
        gateway.deauthorize(tokens.access_token)
    except Exception as problem:  # any failure: the athlete's page must not change because of it
        detail = str(problem) if isinstance(problem, StravaError) else type(problem).__name__
        log.warning("oauth.grant_release_failed", extra={"reason": reason, "error": detail})
        return False
    log.info("oauth.grant_released", extra={"reason": reason})
    return True


# --- athlete capacity ---------------------------------------------------------------------------------


class CapacityTracker:
    """The application's athlete capacity: the configured value until Strava states one in a response header.

    Strava's Standard tier allows 10 connected athletes until Extended Access is granted; the figure is shown
    in the application's API settings. Strava says it is also returned in response headers but documents no
    header name, so reading it is opt-in (RUNSMART_STRAVA_ATHLETE_CAPACITY_HEADER)."""

    def __init__(self, configured: int, header: str = "") -> None:
        self.configured = configured
        self._header = header.strip().lower()
        self._observed: int | None = None

    @property
    def capacity(self) -> int:
        return self._observed if self._observed is not None else self.configured

    def observe(self, headers: Mapping[str, str]) -> None:
        if not self._header:
            return
        for name, value in headers.items():
            if name.lower() == self._header:
                parsed = _leading_int(value)
                if parsed is not None and parsed > 0 and parsed != self._observed:
                    log.info("strava.capacity.observed", extra={"capacity": parsed})
                    self._observed = parsed
                return


def _leading_int(value: str) -> int | None:
    head = value.split(",")[0].strip()
    return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class CapacityCheck:
    connected: int
    capacity: int
    admitted: bool


def check_capacity(session: Session, athlete_id: int, capacity: int) -> CapacityCheck:
    """Whether one more athlete may connect. An athlete who already holds a place (reconnecting, renewing a
    grant) always may: they take no new place. Revoked athletes hold none. Holds the capacity lock until the
    transaction ends, so the caller admits (or not) before anyone else counts."""
    athlete_repository.lock_capacity(session)
    connected = athlete_repository.count_connected(session)
    holds_place = athlete_repository.holds_capacity_place(session, athlete_id)
    return CapacityCheck(connected=connected, capacity=capacity, admitted=holds_place or connected < capacity)


def warn_if_nearly_full(connected: int, capacity: int) -> None:
    if connected >= capacity - 1:
        log.warning(
            "strava.capacity.nearly_full",
            extra={"connected_athletes": connected, "athlete_capacity": capacity},
        )


# --- storing the connection ---------------------------------------------------------------------------


def save_connection(
    session: Session,
    *,
    tokens: TokenSet,
    athlete: dict[str, Any],
    scopes: str,
    cipher: TokenCipher,
) -> tuple[int, Sequence[int]]:
    """Create or update the athlete and their connection; returns the athlete id and events to re-drive."""
    athlete_id = int(athlete["id"])
    now = datetime.now(UTC)
    row = athlete_repository.get_or_add_athlete(session, athlete_id, now=now)
    row.firstname = str(athlete.get("firstname") or "")
    row.lastname = str(athlete.get("lastname") or "")
    session.flush()
    connection = repository.get_connection(session, athlete_id, lock=True)
    if connection is None:
        connection = StravaConnection(athlete_id=athlete_id, updated_at=now)
        session.add(connection)
    connection.status = ConnectionStatus.ACTIVE
    connection.status_reason = None
    connection.scopes = scopes
    store_tokens(connection, tokens, cipher)
    session.flush()
    # Events that arrived while the grant was dead were kept, not dropped: process them now.
    return athlete_id, repository.release_awaiting_reauth(session, athlete_id)
