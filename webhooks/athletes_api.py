"""Athletes who never connect Strava, under /api/v1 (docs/api.md, "Athletes without Strava";
docs/sources.md#file-only-athletes): `POST /api/v1/athletes` makes one under a negative id, from which every
other /api/v1/athletes/{athlete_id} route serves them as any athlete (a plan, files, the calendar, the plan
page). Athletes who connect Strava are made by the connection (webhooks/oauth.py), under Strava's id.

API-key authentication and problem details as the rest of the internal API (webhooks/plans_api.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from messages import Units
from sources import athletes
from webhooks.api_deps import Now, Uow, key_router
from webhooks.errors import api_key_route_errors

router = key_router(
    "/api/v1/athletes",
    "athletes",
    api_key_route_errors(
        {422: "invalid request (a blank first name, an unknown timezone, unknown units); nothing changed"}
    ),
)


class AthleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    first_name: str = Field(max_length=athletes.NAME_MAX * 2, description="required; trimmed")
    last_name: str = Field("", max_length=athletes.NAME_MAX * 2)
    timezone: str = Field(
        max_length=athletes.TIMEZONE_MAX,
        description="IANA name (Europe/Amsterdam): the athlete's weeks, messages and calendar follow it",
    )
    # Not strict: FastAPI validates the parsed JSON, where the enum arrives as its string value.
    units: Units = Field(
        Units.METRIC, strict=False, description="what the athlete reads distances and paces in"
    )

    @field_validator("first_name")
    @classmethod
    def _first_name(cls, value: str) -> str:
        return athletes.valid_name(value, required=True)

    @field_validator("last_name")
    @classmethod
    def _last_name(cls, value: str) -> str:
        return athletes.valid_name(value, required=False)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return athletes.valid_timezone(value)


class AthleteOut(BaseModel):
    id: int = Field(
        description="the athlete's id for every /api/v1/athletes/{athlete_id} route: negative, so never a "
        "Strava athlete id"
    )
    first_name: str
    last_name: str
    timezone: str
    units: Units
    strava_connected: bool = Field(description="false: runs arrive as files (and the connector) only")
    created_at: datetime


@router.post(
    "",
    status_code=201,
    response_model=AthleteOut,
    operation_id="create_athlete",
    summary="Add an athlete who brings their runs as files, without Strava",
)
def create_athlete(body: AthleteIn, uow: Uow, now: Now) -> AthleteOut:
    new = athletes.NewAthlete(body.first_name, body.last_name, body.timezone, body.units)
    row = athletes.add_athlete(uow.session, new, now=now)
    uow.commit()
    return AthleteOut(
        id=row.id,
        first_name=row.firstname,
        last_name=row.lastname,
        timezone=new.timezone,
        units=new.units,
        strava_connected=False,
        created_at=row.created_at,
    )
