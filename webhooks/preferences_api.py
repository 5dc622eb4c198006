"""The athlete's preferences for what they read, under /api/v1: `units`, "metric" (km, minutes per km) or
"imperial" (miles, minutes per mile). Every message, the plan page and the calendar feed follow it from the
next thing they render (docs/notifications.md#what-the-athlete-reads).

API-key authentication and problem details as the rest of the internal API (webhooks/plans_api.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from messages import Units
from store import plan_repository, repository
from webhooks.api_deps import Uow, key_router
from webhooks.errors import ApiError
from webhooks.schemas import AthleteId

router = key_router("/api/v1/athletes/{athlete_id}", "athletes")


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: Units


class PreferencesOut(BaseModel):
    units: Units


@router.put(
    "/preferences",
    response_model=PreferencesOut,
    operation_id="set_athlete_preferences",
    summary="Set what the athlete reads distances and paces in (metric or imperial)",
)
def set_preferences(athlete_id: AthleteId, body: PreferencesIn, uow: Uow) -> PreferencesOut:
    # A write about the athlete: under their row lock, like every other one.
    athlete = repository.lock_athlete(uow.session, athlete_id)
    if athlete is None:
        raise ApiError(404, "unknown athlete")
    athlete.units = body.units.value
    uow.commit()
    return PreferencesOut(units=body.units)


@router.get(
    "/preferences",
    response_model=PreferencesOut,
    operation_id="get_athlete_preferences",
    summary="What the athlete reads distances and paces in",
)
def get_preferences(athlete_id: AthleteId, uow: Uow) -> PreferencesOut:
    athlete = plan_repository.get_athlete(uow.session, athlete_id)
    if athlete is None:
        raise ApiError(404, "unknown athlete")
    return PreferencesOut(units=Units.parse(athlete.units))
