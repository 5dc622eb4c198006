"""Request and response bodies of the internal plan API (docs/api.md)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import planner
from webhooks.schemas import StravaId


class RaceResultIn(BaseModel):
    distance_m: float = Field(gt=0)
    time_s: float = Field(gt=0)


class AthleteProfile(BaseModel):
    """What the planner needs to know about the runner (planner.Athlete); give `vdot` or `recent_race`."""

    model_config = ConfigDict(extra="forbid")
    weekly_km: float = Field(ge=0, le=300)
    runs_per_week: int = Field(ge=1, le=14)
    long_run_day: int = Field(6, ge=0, le=6, description="0 = Monday")
    run_days: list[int] = Field(default_factory=list, description="weekday numbers, 0 = Monday")
    vdot: float | None = Field(None, ge=20, le=90)
    recent_race: RaceResultIn | None = None
    max_hr: float | None = Field(None, ge=100, le=250)
    long_run_km: float | None = Field(None, ge=0, le=60)

    def to_planner(self) -> planner.Athlete:
        return planner.Athlete(
            weekly_km=self.weekly_km,
            runs_per_week=self.runs_per_week,
            long_run_day=self.long_run_day,
            run_days=tuple(self.run_days),
            vdot=self.vdot,
            recent_race=(
                planner.RaceResult(self.recent_race.distance_m, self.recent_race.time_s)
                if self.recent_race
                else None
            ),
            max_hr=self.max_hr,
            long_run_km=self.long_run_km,
        )


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["race", "recovery", "maintenance"] = "race"
    date: date
    distance_m: float | None = Field(None, gt=0, le=100_000)

    def to_planner(self) -> planner.Goal:
        return planner.Goal(planner.GoalKind(self.kind), self.date, self.distance_m)


class PlanFromGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    athlete: AthleteProfile
    goal: GoalIn
    start: date | None = Field(
        None, description="first day of the plan; default: today in the athlete's timezone"
    )
    timezone: str | None = Field(None, description="IANA name; default: the athlete's, else UTC")


class PlanUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: dict[str, Any] = Field(description="a plan as planner.plan_to_dict writes it")
    timezone: str | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activity_id: StravaId


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: date
    reason: Literal["sick", "injured", "vacation", "other"]


class PlanChanged(BaseModel):
    """What a write did: the plan's version afterwards and the changes that version introduced."""

    version: int
    stored_new_version: bool
    changes: list[dict[str, Any]]
    newly_matched: list[dict[str, Any]]


class PauseOut(BaseModel):
    paused_from: date | None
    paused_until: date
    reason: str


class NotificationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(max_length=10)


class NotificationsOut(BaseModel):
    channels: list[str]


class ErrorOut(BaseModel):
    detail: str
