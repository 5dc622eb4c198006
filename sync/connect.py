"""Connecting an athlete: the OAuth authorize URL, the signed state, and storing the granted tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from store import repository
from store.models import Athlete, ConnectionStatus, StravaConnection
from sync.crypto import TokenCipher
from sync.strava import TokenSet
from sync.tokens import store_tokens

# activity:read_all: without it "Only You" runs are invisible and surface as delete events (strava.md §2.1).
REQUIRED_SCOPES = ("activity:read_all",)
REQUESTED_SCOPES = ["read", "activity:read_all"]
STATE_MAX_AGE_S = 600


class ConnectError(ValueError):
    """A callback we must refuse; the message is shown to the athlete."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="strava-oauth-state")


def make_state(secret: str, payload: dict[str, Any]) -> str:
    return _serializer(secret).dumps(payload)


def read_state(secret: str, state: str) -> dict[str, Any]:
    try:
        data = _serializer(secret).loads(state, max_age=STATE_MAX_AGE_S)
    except SignatureExpired:
        raise ConnectError("the connect link expired; please start again") from None
    except BadSignature:
        raise ConnectError("invalid OAuth state; please start again from the RunSmart app") from None
    return data if isinstance(data, dict) else {}


def authorize_url(*, client_id: int, redirect_uri: str, state: str, base_url: str) -> str:
    # The documented query string (strava.md §2.1), in the order stravalib 2.6 writes it (§5.2); built here so
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


def missing_scopes(granted: str | None) -> list[str]:
    have = {s.strip() for s in (granted or "").split(",") if s.strip()}
    return [s for s in REQUIRED_SCOPES if s not in have]


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
    row = session.get(Athlete, athlete_id)
    if row is None:
        row = Athlete(id=athlete_id, created_at=now)
        session.add(row)
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
