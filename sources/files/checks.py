"""What a parsed file must look like to be stored: finite numbers and a run a person could have done
(docs/sources.md#refusals); and its local start time."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sources.base import ActivityCopyValues, LapCopy
from sources.errors import FileRefused, Refusal

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # FIT's epoch is the last day of 1989
FUTURE_SLACK = timedelta(days=1)
MAX_ELAPSED_S = 7 * 86_400  # the longest foot races last about a week
MAX_DISTANCE_M = 2_000_000.0
# Average speed, over the whole activity: beyond this it is a car, a plane or a broken clock.
MAX_SPEED_MPS = 60.0
MAX_ELEVATION_GAIN_M = 30_000.0
MAX_LAPS = 2_000
# Heart rates outside this band are device glitches (docs/strava.md, "Pitfalls the code handles"): dropped.
PLAUSIBLE_HR = (25.0, 250.0)
MAX_OFFSET_S = 14 * 3600


def finite(value: object, what: str) -> float:
    """A finite number, or the file is refused (NaN and infinities never reach the database)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FileRefused(Refusal.IMPLAUSIBLE, f"the {what} is not a finite number")
    return float(value)


def checked(values: ActivityCopyValues, *, now: datetime) -> ActivityCopyValues:
    """The values with implausible heart rates dropped; refused when a time, a distance or a speed is absurd."""
    if not EARLIEST <= values.start <= now + FUTURE_SLACK:
        raise FileRefused(Refusal.IMPLAUSIBLE, "the start time is before 1990 or in the future")
    elapsed = finite(values.elapsed_time_s, "duration")
    if not 0 < elapsed <= MAX_ELAPSED_S:
        raise FileRefused(Refusal.IMPLAUSIBLE, "the duration is not between a second and a week")
    distance = finite(values.distance_m, "distance")
    if not 0 <= distance <= MAX_DISTANCE_M or distance / elapsed > MAX_SPEED_MPS:
        raise FileRefused(Refusal.IMPLAUSIBLE, "the distance is negative or too far for the time taken")
    gain = finite(values.elevation_gain_m, "elevation gain")
    if not 0 <= gain <= MAX_ELEVATION_GAIN_M:
        raise FileRefused(Refusal.IMPLAUSIBLE, "the elevation gain is negative or absurd")
    if len(values.laps) > MAX_LAPS:
        raise FileRefused(Refusal.IMPLAUSIBLE, f"the file has more than {MAX_LAPS} laps")
    moving = min(max(int(finite(values.moving_time_s, "moving time")), 0), int(elapsed))
    return replace(
        values,
        elapsed_time_s=int(elapsed),
        moving_time_s=moving,
        average_heartrate=plausible_hr(values.average_heartrate),
        max_heartrate=plausible_hr(values.max_heartrate),
        laps=tuple(_lap(lap, int(elapsed)) for lap in values.laps),
    )


def _lap(lap: LapCopy, elapsed_limit: int) -> LapCopy:
    elapsed = finite(lap.elapsed_time_s, "lap time")
    distance = finite(lap.distance_m, "lap distance")
    if not 0 <= elapsed <= elapsed_limit + 60 or not 0 <= distance <= MAX_DISTANCE_M:
        raise FileRefused(Refusal.IMPLAUSIBLE, "a lap is longer than the activity or negative")
    moving = min(max(int(finite(lap.moving_time_s, "lap moving time")), 0), int(elapsed))
    return replace(
        lap,
        elapsed_time_s=int(elapsed),
        moving_time_s=moving,
        distance_m=distance,
        average_heartrate=plausible_hr(lap.average_heartrate),
        max_heartrate=plausible_hr(lap.max_heartrate),
    )


def plausible_hr(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if PLAUSIBLE_HR[0] <= value <= PLAUSIBLE_HR[1] else None


def localized(values: ActivityCopyValues, athlete_timezone: str | None) -> ActivityCopyValues:
    """The wall-clock start: the device's own offset when the file has one (FIT), the athlete's time zone
    otherwise (GPX and TCX carry UTC only), UTC when neither is known. The athlete's zone is named only when
    it agrees with the device's offset at that moment."""
    zone = _zone(athlete_timezone)
    offset = values.utc_offset_s
    if offset is not None and abs(offset) <= MAX_OFFSET_S:
        named = zone is not None and values.start.astimezone(zone).utcoffset() == timedelta(seconds=offset)
        local = (values.start + timedelta(seconds=offset)).replace(tzinfo=None)
        return replace(values, start_local=local, timezone=athlete_timezone if named else None)
    if zone is not None:
        return replace(
            values, start_local=values.start.astimezone(zone).replace(tzinfo=None), timezone=athlete_timezone
        )
    return replace(values, start_local=values.start.astimezone(UTC).replace(tzinfo=None), timezone=None)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
