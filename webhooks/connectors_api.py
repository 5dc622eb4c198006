"""The athlete's calendar connectors under /api/v1 (docs/connectors.md): intervals.icu, which relays planned
workouts to Garmin, COROS, Suunto, Polar and Wahoo.

* `PUT …/connectors/intervals-icu` sets the connection (the athlete's intervals.icu id and personal API key);
  their upcoming workouts are sent at once, then whenever the plan changes.
* `GET …/connectors/intervals-icu` says where it stands; the key is never shown again.
* `DELETE …/connectors/intervals-icu` removes it: the workouts we put there are deleted, then the key is
  forgotten (202 while that happens; 204 when nothing was there).

The key is stored encrypted with RUNSMART_TOKEN_KEY (sync/crypto.py), as OAuth tokens and notification URLs
are, and never logged. API-key authentication and problem details as the rest of the internal API.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from notify.connector_sync import Connector, SyncCause, request_sync
from store import connector_repository, repository
from store.plan_models import ConnectorConnection, ConnectorStatus
from webhooks.api_deps import Deps, Now, Uow, key_router
from webhooks.errors import ApiError, responses
from webhooks.schemas import AthleteId

ICU = Connector.INTERVALS_ICU
NO_CONNECTION = responses({404: "unknown athlete, or no intervals.icu connection for them"})

router = key_router("/api/v1/athletes/{athlete_id}/connectors", "connectors")


class IntervalsIcuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # intervals.icu athlete ids are "i" and digits (docs/connectors.md#setting-it-up); the id goes into a path.
    athlete_id: str = Field(pattern=r"^i[0-9]{1,12}$", examples=["i12345"])
    # The personal API key from intervals.icu's settings page: visible ASCII, no spaces (it is an HTTP Basic
    # password). Never echoed, in an answer or in a 422.
    api_key: SecretStr = Field(min_length=8, max_length=200)

    def key(self) -> str:
        key = self.api_key.get_secret_value()
        if not all("!" <= ch <= "~" for ch in key):
            raise ApiError(422, "api_key: must be visible ASCII characters without spaces")
        return key


class ConnectionOut(BaseModel):
    connector: str = Field(examples=["intervals_icu"])
    athlete_id: str = Field(description="the athlete's id at intervals.icu")
    status: ConnectorStatus = Field(
        description="active; needs_attention: the key or id was refused, set them again; removing"
    )
    status_reason: str | None = Field(None, description="why it needs attention, in one line")
    connected_at: datetime
    updated_at: datetime
    last_synced_at: datetime | None = None
    synced_plan_version: int | None = None
    workouts_sent: int = Field(description="workouts of ours in the calendar now")


def _out(uow: Uow, connection: ConnectorConnection) -> ConnectionOut:
    return ConnectionOut(
        connector=connection.connector,
        athlete_id=connection.remote_athlete_id,
        status=ConnectorStatus(connection.status),
        status_reason=connection.status_reason,
        connected_at=connection.created_at,
        updated_at=connection.updated_at,
        last_synced_at=connection.synced_at,
        synced_plan_version=connection.synced_version,
        workouts_sent=connector_repository.pushed_count(
            uow.session, connection.athlete_id, connection.connector
        ),
    )


def _lock_athlete(uow: Uow, athlete_id: int) -> None:
    # A write about the athlete: under their row lock, like every other one.
    if repository.lock_athlete(uow.session, athlete_id) is None:
        raise ApiError(404, "unknown athlete")


@router.put(
    "/intervals-icu",
    response_model=ConnectionOut,
    operation_id="set_intervals_icu_connection",
    summary="Connect the athlete's intervals.icu calendar (or set a new key); their upcoming workouts follow",
    responses=responses({409: "the connection is being removed, or names another intervals.icu athlete"}),
)
def set_connection(athlete_id: AthleteId, body: IntervalsIcuIn, uow: Uow, c: Deps, now: Now) -> ConnectionOut:
    _lock_athlete(uow, athlete_id)
    key = body.key()
    connection = connector_repository.lock_connection(uow.session, athlete_id, ICU)
    if connection is None:
        connection = ConnectorConnection(athlete_id=athlete_id, connector=ICU, created_at=now)
        connector_repository.add_connection(uow.session, _with_key(connection, body.athlete_id, key, c, now))
    else:
        _check_replaceable(uow, connection, body.athlete_id)
        _with_key(connection, body.athlete_id, key, c, now)
    request_sync(uow.session, athlete_id, cause=SyncCause.CONNECTED, key=f"{now.timestamp():.6f}", now=now)
    out = _out(uow, connection)
    uow.commit()
    return out


def _with_key(
    connection: ConnectorConnection, remote: str, key: str, c: Deps, now: datetime
) -> ConnectorConnection:
    connection.remote_athlete_id = remote
    connection.secret = c.cipher.encrypt(key)
    connection.status = ConnectorStatus.ACTIVE
    connection.status_reason = None
    connection.updated_at = now
    connection.synced_plan_id = connection.synced_version = connection.synced_at = None
    return connection


def _check_replaceable(uow: Uow, connection: ConnectorConnection, remote: str) -> None:
    """A new key for the same calendar is fine; another calendar only once ours holds nothing (our workouts
    in the first one could not be deleted any more)."""
    if connection.status == ConnectorStatus.REMOVING:
        raise ApiError(409, "the intervals.icu connection is being removed; set it again once it is gone")
    held = connector_repository.pushed_count(uow.session, connection.athlete_id, connection.connector)
    if remote != connection.remote_athlete_id and held:
        raise ApiError(
            409,
            f"the connection holds workouts in the calendar of intervals.icu athlete "
            f"{connection.remote_athlete_id}: remove it first, then connect {remote}",
        )


@router.get(
    "/intervals-icu",
    response_model=ConnectionOut,
    operation_id="get_intervals_icu_connection",
    summary="Where the athlete's intervals.icu connection stands (never its key)",
    responses=NO_CONNECTION,
)
def get_connection(athlete_id: AthleteId, uow: Uow) -> ConnectionOut:
    connection = connector_repository.get_connection(uow.session, athlete_id, ICU)
    if connection is None:
        raise ApiError(404, "no intervals.icu connection for this athlete")
    return _out(uow, connection)


@router.delete(
    "/intervals-icu",
    status_code=202,
    response_model=ConnectionOut,
    operation_id="remove_intervals_icu_connection",
    summary="Remove the connection: our workouts there are deleted, then the key is forgotten",
    responses={204: {"description": "removed at once: none of our workouts were there"}, **NO_CONNECTION},
)
def remove_connection(athlete_id: AthleteId, uow: Uow, now: Now) -> ConnectionOut | Response:
    _lock_athlete(uow, athlete_id)
    connection = connector_repository.lock_connection(uow.session, athlete_id, ICU)
    if connection is None:
        raise ApiError(404, "no intervals.icu connection for this athlete")
    if connector_repository.pushed_count(uow.session, athlete_id, ICU) == 0:
        connector_repository.delete_connection(uow.session, athlete_id, ICU)
        uow.commit()
        return Response(status_code=204)
    connection.status = ConnectorStatus.REMOVING
    connection.updated_at = now
    request_sync(uow.session, athlete_id, cause=SyncCause.REMOVED, key=f"{now.timestamp():.6f}", now=now)
    out = _out(uow, connection)
    uow.commit()
    return out
