"""Strava DetailedActivity JSON -> ``planner.activity.Activity``.

Parsed with our own tolerant pydantic schema rather than stravalib's model on purpose
(docs/strava.md, "stravalib"): stravalib replaces unknown sport types with "Workout" and rejects a
fractional ``max_heartrate``; both would silently drop or misfile a real run. The raw JSON is kept by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from planner.activity import Activity, Lap

# Heart-rate values outside this band are device glitches (docs/strava.md, "Pitfalls the code handles").
_PLAUSIBLE_HR = (25.0, 250.0)


class MalformedActivity(ValueError):
    """The activity JSON lacks a field we cannot do without."""


def _nulls_to_defaults(cls: type[BaseModel], data: Any) -> Any:
    """Strava sends JSON null for fields it has no value for (a manual entry has no laps, a treadmill run no
    elevation): a null is "nothing known", so it takes the field's default instead of rejecting the activity.
    Required fields keep their null and are still refused."""
    if not isinstance(data, dict):
        return data
    defaults = {name: field for name, field in cls.model_fields.items() if not field.is_required()}
    return {key: value for key, value in data.items() if not (value is None and key in defaults)}


class _Lap(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _tolerate_nulls(cls, data: Any) -> Any:
        return _nulls_to_defaults(cls, data)

    distance: float = 0.0
    moving_time: int = 0
    elapsed_time: int = 0
    average_heartrate: float | None = None


class _MetaAthlete(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int


class StravaActivity(BaseModel):
    """The fields of Strava's DetailedActivity that the sync and the planner use (docs/strava.md, "Activity data")."""

    model_config = ConfigDict(extra="ignore")

    id: int
    athlete: _MetaAthlete
    name: str = ""
    sport_type: str | None = None
    type: str | None = None
    start_date: datetime
    start_date_local: datetime
    timezone: str | None = None
    distance: float = 0.0
    moving_time: int = 0
    elapsed_time: int = 0
    total_elevation_gain: float = 0.0
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    workout_type: int | None = None
    manual: bool = False
    trainer: bool = False
    private: bool = False
    laps: list[_Lap] = []
    splits_metric: list[_Lap] = []

    @model_validator(mode="before")
    @classmethod
    def _tolerate_nulls(cls, data: Any) -> Any:
        return _nulls_to_defaults(cls, data)

    @field_validator("start_date_local")
    @classmethod
    def _wall_clock(cls, value: datetime) -> datetime:
        # start_date_local carries a fake "Z": it is local wall-clock time (docs/strava.md, "Activity data").
        return value.replace(tzinfo=None)

    @property
    def effective_sport_type(self) -> str:
        return sport_type_of({"sport_type": self.sport_type, "type": self.type}) or "Workout"

    @property
    def iana_timezone(self) -> str | None:
        # "(GMT-08:00) America/Los_Angeles" -> "America/Los_Angeles"; the prefix is not DST-aware.
        if not self.timezone:
            return None
        return self.timezone.rsplit(" ", 1)[-1] or None


def sport_type_of(summary: dict[str, Any]) -> str | None:
    """The sport of a detailed or summary activity: `sport_type` is authoritative; `type` is deprecated but is
    all that very old activities carry. None when neither is a non-empty string."""
    for key in ("sport_type", "type"):
        value = summary.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse_activity(raw: dict[str, Any]) -> StravaActivity:
    try:
        return StravaActivity.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise MalformedActivity(f"activity JSON is missing or has invalid fields: {fields}") from exc


def _plausible_hr(value: float | None) -> float | None:
    if value is None or not (_PLAUSIBLE_HR[0] <= value <= _PLAUSIBLE_HR[1]):
        return None
    return value


def _lap(lap: _Lap) -> Lap:
    return Lap(
        distance_m=lap.distance,
        moving_time_s=lap.moving_time,
        elapsed_time_s=lap.elapsed_time,
        average_heartrate=_plausible_hr(lap.average_heartrate),
    )


def to_activity(parsed: StravaActivity) -> Activity:
    return Activity(
        id=parsed.id,
        athlete_id=parsed.athlete.id,
        name=parsed.name,
        sport_type=parsed.effective_sport_type,
        start_local=parsed.start_date_local,
        timezone=parsed.iana_timezone,
        distance_m=parsed.distance,
        moving_time_s=parsed.moving_time,
        elapsed_time_s=parsed.elapsed_time,
        elevation_gain_m=parsed.total_elevation_gain,
        average_heartrate=_plausible_hr(parsed.average_heartrate),
        max_heartrate=_plausible_hr(parsed.max_heartrate),
        workout_type=parsed.workout_type,
        manual=parsed.manual,
        trainer=parsed.trainer,
        laps=tuple(_lap(lap) for lap in parsed.laps),
        splits_metric=tuple(_lap(split) for split in parsed.splits_metric),
    )


def normalize_activity(raw: dict[str, Any]) -> Activity:
    """Strava DetailedActivity JSON, as the API returns it, to the planner's value."""
    return to_activity(parse_activity(raw))
