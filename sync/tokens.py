"""Access tokens for an athlete, refreshed ahead of expiry, one refresher per athlete at a time.

Strava rotates refresh tokens and invalidates the old one at once (docs/strava.md, "Pitfalls the code handles"). So a refresh runs
in its own short transaction holding the connection row lock, re-checks under the lock whether another worker
already refreshed, and commits the rotated pair before anyone uses the new access token. This is the one
deliberate exception to "one task = one transaction": the rotated token must survive a later rollback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from store import plan_repository, repository
from store.models import ConnectionStatus, StravaConnection
from sync.crypto import TokenCipher
from sync.errors import StravaAuthError, StravaScopeMissing
from sync.strava import StravaGateway, TokenSet

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotConnected(StravaAuthError):
    """The athlete has no usable connection (never connected, needs re-authorization, or revoked)."""


def store_tokens(connection: StravaConnection, tokens: TokenSet, cipher: TokenCipher) -> None:
    connection.access_token_enc = cipher.encrypt(tokens.access_token)
    connection.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    connection.expires_at = tokens.expires_at
    now = datetime.now(UTC)
    connection.refreshed_at = now
    connection.updated_at = now


CONNECTION_NEEDS_REAUTH = "connection.needs_reauth"


def mark_needs_reauth(connection: StravaConnection, reason: str) -> None:
    connection.status = ConnectionStatus.NEEDS_REAUTH
    connection.status_reason = reason
    connection.updated_at = datetime.now(UTC)


def tell_athlete_to_reconnect(session: Session, connection: StravaConnection) -> None:
    """A `connection.needs_reauth` notification, in the transaction that marks the connection.

    Without it nobody learns that runs stopped syncing until the plan drifts; the events are kept
    (`awaiting_reauth`) and re-driven when the athlete reconnects. Keyed on the marking time: a re-run stays
    silent, a later loss of the grant (after a reconnect) is told again."""
    marked_at = connection.updated_at or datetime.now(UTC)
    plan_repository.enqueue_notification(
        session,
        athlete_id=connection.athlete_id,
        event_type=CONNECTION_NEEDS_REAUTH,
        payload={
            "athlete_id": connection.athlete_id,
            "reasons": [
                "Strava no longer lets RunSmart read your runs, so new runs will not update your plan. "
                "Reconnect Strava in the app: the runs you record meanwhile are kept and counted then.",
                f"Details: {connection.status_reason}",
            ],
        },
        idempotency_key=f"{CONNECTION_NEEDS_REAUTH}:{connection.athlete_id}:{int(marked_at.timestamp())}",
        now=datetime.now(UTC),
    )


class TokenService:
    def __init__(
        self,
        factory: sessionmaker[Session],
        gateway: StravaGateway,
        cipher: TokenCipher,
        *,
        margin_s: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory = factory
        self._gateway = gateway
        self._cipher = cipher
        self._margin_s = margin_s
        self._clock = clock

    def access_token(
        self, athlete_id: int, *, force_refresh: bool = False, session: Session | None = None
    ) -> str:
        """The athlete's access token, refreshed first when it expires within the margin (or when forced).

        `session`: read the connection in the caller's open session (its transaction sees every committed
        refresh: READ COMMITTED) instead of checking out a connection of our own just for that one SELECT.
        A refresh always runs in its own transaction (see the module docstring).
        """
        if not force_refresh:
            if session is None:
                with self._factory() as own:
                    token = self._unexpired(own, athlete_id)
            else:
                token = self._unexpired(session, athlete_id)
            if token is not None:
                return token
        return self._refresh(athlete_id, force=force_refresh)

    def call(self, athlete_id: int, fn: Callable[[str], T], *, session: Session | None = None) -> T:
        """Run `fn(access_token)`; on a 401 refresh once and retry, then give up as needing re-auth."""
        try:
            return fn(self.access_token(athlete_id, session=session))
        except StravaScopeMissing as error:
            self._give_up(athlete_id, str(error))
            raise
        except NotConnected:
            raise
        except StravaAuthError:
            log.info("sync.token.rejected", extra={"athlete_id": athlete_id})
        try:
            return fn(self.access_token(athlete_id, force_refresh=True))
        except StravaAuthError as error:
            if not isinstance(error, NotConnected):
                self._give_up(athlete_id, str(error))
            raise

    def _unexpired(self, session: Session, athlete_id: int) -> str | None:
        # Read now, over whatever the session held: status and token as last committed (another worker may
        # have refreshed, or marked the connection needs_reauth, since the caller first read it).
        connection = self._usable(repository.get_connection(session, athlete_id, fresh=True), athlete_id)
        if connection.expires_at - self._clock() > self._margin_s:
            return self._cipher.decrypt(connection.access_token_enc or "")
        return None

    def grant_is_revoked(self, athlete_id: int) -> bool:
        """Confirm a deauthorization by trying a refresh: a live grant refreshes (docs/strava.md, "Webhooks").

        A successful refresh is persisted (the old refresh token is dead now), so probing costs nothing later.
        """
        try:
            self._refresh(athlete_id, force=True, probe=True)
        except StravaAuthError:  # includes NotConnected: nothing left to refresh with
            return True
        return False

    def _usable(
        self, connection: StravaConnection | None, athlete_id: int, *, probe: bool = False
    ) -> StravaConnection:
        # A probe may use a connection marked needs_reauth (e.g. a missing scope): its grant may still live.
        active = connection is not None and (probe or connection.status == ConnectionStatus.ACTIVE)
        if connection is None or not active or not connection.refresh_token_enc:
            status = connection.status if connection else "not connected"
            raise NotConnected(f"athlete {athlete_id} has no active Strava connection ({status})")
        return connection

    def _refresh(self, athlete_id: int, *, force: bool, probe: bool = False) -> str:
        with self._factory() as session:
            connection = self._usable(
                repository.get_connection(session, athlete_id, lock=True), athlete_id, probe=probe
            )
            if not force and connection.expires_at - self._clock() > self._margin_s:
                # Another worker refreshed while we waited for the lock.
                return self._cipher.decrypt(connection.access_token_enc or "")
            try:
                tokens = self._gateway.refresh(self._cipher.decrypt(connection.refresh_token_enc or ""))
            except StravaAuthError as error:
                mark_needs_reauth(connection, str(error))
                if not probe:  # a probe confirms a deauthorization, which is told as connection.revoked
                    tell_athlete_to_reconnect(session, connection)
                session.commit()
                log.warning("sync.token.refresh_rejected", extra={"athlete_id": athlete_id})
                raise
            store_tokens(connection, tokens, self._cipher)
            session.commit()
            log.info("sync.token.refreshed", extra={"athlete_id": athlete_id})
            return tokens.access_token

    def _give_up(self, athlete_id: int, reason: str) -> None:
        with self._factory() as session:
            connection = repository.get_connection(session, athlete_id, lock=True)
            if connection is not None and connection.status == ConnectionStatus.ACTIVE:
                mark_needs_reauth(connection, reason)
                tell_athlete_to_reconnect(session, connection)
                session.commit()
