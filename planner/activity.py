"""Completed activities as the planner sees them: immutable values, already normalized.

The Strava-specific mapping lives in ``sync.normalize``; the planner only ever sees these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Strava sport types that count as running volume (docs/matching.md):
# treadmill and Zwift runs arrive as VirtualRun, trail runs as TrailRun.
RUN_SPORT_TYPES: frozenset[str] = frozenset({"Run", "TrailRun", "VirtualRun"})

# Strava's community mapping of workout_type for runs: 1 = race, 2 = long run, 3 = workout.
WORKOUT_TYPE_RACE = 1
WORKOUT_TYPE_LONG = 2
WORKOUT_TYPE_WORKOUT = 3


@dataclass(frozen=True, slots=True)
class Lap:
    """A device lap or an automatic split: distance in metres, times in seconds."""

    distance_m: float
    moving_time_s: int
    elapsed_time_s: int
    average_heartrate: float | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """One completed activity, normalized from Strava's DetailedActivity."""

    id: int
    athlete_id: int
    sport_type: str
    start_local: datetime  # naive wall-clock time in the athlete's timezone at the activity
    distance_m: float
    moving_time_s: int
    elapsed_time_s: int
    name: str = ""
    timezone: str | None = None  # IANA name, e.g. "Europe/Amsterdam"
    elevation_gain_m: float = 0.0
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    workout_type: int | None = None
    manual: bool = False
    trainer: bool = False
    laps: tuple[Lap, ...] = field(default=())
    splits_metric: tuple[Lap, ...] = field(default=())

    @property
    def local_date(self) -> date:
        return self.start_local.date()

    @property
    def is_run(self) -> bool:
        return self.sport_type in RUN_SPORT_TYPES

    @property
    def is_race(self) -> bool:
        return self.workout_type == WORKOUT_TYPE_RACE
