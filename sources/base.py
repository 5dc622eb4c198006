"""What every source hands in: a normalized copy of one activity, and what the source can deliver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from planner.activity import RUN_SPORT_TYPES
from store.models import ActivitySource

# Called inside the transaction that stored a copy, with the athlete and the cause: the plan pipeline hangs
# here (plans.pipeline.PlanPipeline, wired by the caller), exactly as it does behind a Strava event.
PipelineHook = Callable[[Session, int, str], None]


class Capability(StrEnum):
    """What a source can deliver (docs/sources.md#sources)."""

    PUSHES_NEW_RUNS = "pushes_new_runs"  # tells us of a new run by itself (Strava's webhook)
    PUSHES_DELETIONS = "pushes_deletions"  # tells us when a run is deleted
    NAME = "name"  # the athlete's title for the run
    WORKOUT_TYPE = "workout_type"  # race / long run / workout flags
    LAPS = "laps"
    HEART_RATE = "heart_rate"
    DEVICE = "device"  # which watch or app recorded it
    LOCAL_TIME = "local_time"  # the wall-clock start, not only UTC
    ORIGINAL_FILE = "original_file"  # we keep the file and can parse it again


@dataclass(frozen=True, slots=True)
class LapCopy:
    start: datetime | None
    elapsed_time_s: int
    moving_time_s: int
    distance_m: float
    average_heartrate: float | None = None
    max_heartrate: float | None = None

    def as_stored(self) -> dict[str, Any]:
        # Named as Strava's lap JSON, which plans/convert.py reads for every run.
        return {
            "start_date": self.start.isoformat() if self.start else None,
            "elapsed_time": self.elapsed_time_s,
            "moving_time": self.moving_time_s,
            "distance": self.distance_m,
            "average_heartrate": self.average_heartrate,
            "max_heartrate": self.max_heartrate,
        }


@dataclass(frozen=True, slots=True)
class ActivityCopyValues:
    """One source's normalized copy of an activity."""

    sport_type: str  # Strava's names ("Run", "TrailRun", "Ride", ...), so the planner treats all alike
    start: datetime  # aware, UTC
    start_local: datetime  # naive wall-clock time where the activity was
    timezone: str | None  # IANA name when known
    elapsed_time_s: int
    moving_time_s: int
    distance_m: float
    elevation_gain_m: float = 0.0
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    laps: tuple[LapCopy, ...] = field(default=())
    device: str | None = None
    name: str = ""
    trainer: bool = False  # indoors (treadmill): the distance is the device's estimate
    utc_offset_s: int | None = None  # the device's own local-time offset at the start, when it says

    @property
    def is_run(self) -> bool:
        return self.sport_type in RUN_SPORT_TYPES

    def columns(self) -> dict[str, Any]:
        """The `activity_copies` columns this copy fills."""
        return {
            "name": self.name,
            "sport_type": self.sport_type,
            "is_run": self.is_run,
            "start_date": self.start,
            "start_date_local": self.start_local,
            "local_date": self.start_local.date(),
            "timezone": self.timezone,
            "distance_m": self.distance_m,
            "moving_time_s": self.moving_time_s,
            "elapsed_time_s": self.elapsed_time_s,
            "elevation_gain_m": self.elevation_gain_m,
            "average_heartrate": self.average_heartrate,
            "max_heartrate": self.max_heartrate,
            "workout_type": None,
            "manual": False,
            "trainer": self.trainer,
            "private": None,
            "laps": [lap.as_stored() for lap in self.laps],
            "splits_metric": [],
            "device": self.device,
        }


class Source(Protocol):
    """A source of activities (docs/sources.md#adding-a-source): it ingests what it delivers (a Strava read, a
    file's bytes) as its copy of a run, and withdraws that copy when it no longer has the run. Both run in the
    caller's transaction; the caller holds the athlete's row lock and commits."""

    kind: ActivitySource
    capabilities: frozenset[Capability]

    def ingest(self, session: Session, athlete_id: int, delivery: Any) -> Any: ...

    def withdraw(self, session: Session, athlete_id: int, external_id: str) -> int | None:
        """The id of the run that still holds the activity (another source has it), or None."""
        ...
