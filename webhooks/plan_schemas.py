"""Request and response bodies of the internal plan API (docs/api.md)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

import planner
from planner import inputs as bounds
from planner.rep_scoring import RecoveryVerdict, RepVerdict, ScoreOutcome
from webhooks.schemas import ActivityId

# Plausibility bounds are the planner's (docs/science.md#plausible-inputs); NaN and ±Infinity are refused.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
Weekday = Annotated[int, Field(ge=0, le=6)]
PlanDate = Annotated[date, Field(ge=bounds.EARLIEST, le=bounds.LATEST)]


def _named_non_finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": still refused as not finite, and the 422 body stays valid JSON
    if isinstance(value, list):
        return [_named_non_finite(v) for v in value]
    return value


class _Strict(BaseModel):
    """Refuses unknown fields and NaN/±Infinity with a 422 (the default error body echoes the input, and a NaN
    there cannot be written as JSON: the client got a 500)."""

    model_config = STRICT

    @model_validator(mode="before")
    @classmethod
    def _no_non_finite(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: _named_non_finite(v) for k, v in data.items()}
        return data


class RaceResultIn(_Strict):
    model_config = STRICT
    distance_m: float = Field(ge=bounds.DISTANCE_MIN_M, le=bounds.DISTANCE_MAX_M)
    time_s: float = Field(gt=0, le=7 * 24 * 3600)


class AthleteProfile(_Strict):
    """What the planner needs to know about the runner (planner.Athlete); give `vdot` or `recent_race`."""

    model_config = STRICT
    weekly_km: float = Field(
        ge=0, le=bounds.WEEKLY_KM_MAX, description="before the break, if any; 0 = a return from zero"
    )
    runs_per_week: int = Field(ge=1, le=bounds.RUNS_PER_WEEK_MAX)
    long_run_day: int = Field(6, ge=0, le=6, description="0 = Monday")
    run_days: list[Weekday] = Field(
        default_factory=list, max_length=7, description="weekday numbers, 0 = Monday"
    )
    vdot: float | None = Field(None, ge=bounds.VDOT_MIN, le=bounds.VDOT_MAX)
    recent_race: RaceResultIn | None = None
    max_hr: float | None = Field(None, ge=100, le=250)
    long_run_km: float | None = Field(None, ge=0, le=bounds.LONG_RUN_KM_MAX)
    break_days: int = Field(
        0,
        ge=0,
        le=bounds.BREAK_DAYS_MAX,
        validation_alias=AliasChoices("break_days", "days_off"),
        description="days without running that end at the start (also accepted as days_off)",
    )
    cross_training: bool = Field(False, description="whether the athlete cross-trained during the break")

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
            break_days=self.break_days,
            cross_training=self.cross_training,
        )


class GoalIn(_Strict):
    model_config = STRICT
    kind: Literal["race", "recovery", "maintenance"] = "race"
    date: date
    distance_m: float | None = Field(None, ge=bounds.DISTANCE_MIN_M, le=bounds.DISTANCE_MAX_M)
    time_s: float | None = Field(
        None, gt=0, le=7 * 24 * 3600, description="optional goal time; checked against current fitness"
    )

    def to_planner(self) -> planner.Goal:
        return planner.Goal(planner.GoalKind(self.kind), self.date, self.distance_m, self.time_s)


TIMEZONE_MAX = 64  # the longest IANA names are about 30 characters; plans.timezone is VARCHAR(64)


class PlanFromGoal(_Strict):
    model_config = STRICT
    athlete: AthleteProfile
    goal: GoalIn
    start: date | None = Field(
        None, description="first day of the plan; default: today in the athlete's timezone"
    )
    timezone: str | None = Field(
        None, max_length=TIMEZONE_MAX, description="IANA name; default: the athlete's, else UTC"
    )


class PlanUpload(_Strict):
    model_config = STRICT
    plan: dict[str, Any] = Field(description="a plan as planner.plan_to_dict writes it")
    timezone: str | None = Field(None, max_length=TIMEZONE_MAX)

    @field_validator("plan")
    @classmethod
    def _bounded(cls, plan: dict[str, Any]) -> dict[str, Any]:
        weeks = plan.get("weeks")
        if isinstance(weeks, list) and len(weeks) > bounds.MAX_PLAN_WEEKS:
            raise ValueError(f"a plan has at most {bounds.MAX_PLAN_WEEKS} weeks, this one {len(weeks)}")
        return plan


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: PlanDate


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activity_id: ActivityId


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: PlanDate
    reason: Literal["sick", "injured", "vacation", "other"]


class _Open(BaseModel):
    """A read model: the listed fields are typed and documented; a field the planner adds later passes through."""

    model_config = ConfigDict(extra="allow")


class WorkoutDiffOut(_Open):
    before: dict[str, Any] = Field(description="the workout as planner.workout_to_dict writes it")
    after: dict[str, Any]


class ChangeOut(_Open):
    """A change as the planner made it: what changed in which week, and why (in plain words)."""

    id: str = Field(description="stable: `<code>@<week start>`")
    code: str
    week_start: date
    reason: str = Field(description="the planner's plain-language reason")
    workouts: list[WorkoutDiffOut]


DecisionStatusOut = Literal["active", "withdrawn", "undone"]


class RevisionOut(_Open):
    """One revision of a decision: how a stored plan version judged it, or its withdrawal or undoing."""

    revision: int = Field(description="1 when the decision was made, then one more per revision")
    version: int = Field(description="the plan version that stored this revision")
    status: DecisionStatusOut = Field(description="what this revision left the decision as")
    reason: str = Field(
        description="the reason as of this revision (a withdrawal or undo keeps the last one)"
    )
    workouts: list[WorkoutDiffOut]
    at: datetime = Field(description="when the revision was stored")


class StoredChangeOut(ChangeOut):
    """A decision about the plan's future (docs/api.md, Decisions): identified by `id` (the week and the cause),
    revised in place; `reason` and `workouts` are its latest revision's, `revisions` its whole history. (The
    schema keeps the name the change log's items always had, so generated clients keep their type.)"""

    status: DecisionStatusOut = Field(
        description="active; withdrawn (the runs since took its cause away); undone (by the athlete)"
    )
    revision: int = Field(description="the latest revision's number")
    version: int = Field(description="the plan version of the latest revision")
    first_version: int = Field(description="the plan version that first made it")
    undone: bool
    active: bool = Field(description="whether the current plan has it")
    revisions: list[RevisionOut] = Field(description="oldest first")


class MatchOut(BaseModel):
    workout_id: str
    activity_id: int


class DecisionRevisedOut(BaseModel):
    """A decision a write created, revised, withdrew or undid, at its new revision."""

    id: str
    code: str
    week_start: date
    revision: int
    status: DecisionStatusOut


class WorkoutChangeOut(BaseModel):
    """A workout from today on that the write changed: `before` null for a new one, `after` null for one no
    longer planned."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None


class PlanChanged(BaseModel):
    """What a write did: the plan's version afterwards, the decisions it made or revised (`changes` holds the
    planner's changes of those still in effect) and the future workouts that changed."""

    version: int
    stored_new_version: bool
    changes: list[ChangeOut]
    decisions: list[DecisionRevisedOut]
    workouts: list[WorkoutChangeOut] = Field(description="future workouts, before and after, in date order")
    newly_matched: list[MatchOut]


Day = date  # for the models with a field named `date`


class RepSetOut(_Open):
    """A set of repeats of a structured workout (planner.RepSet)."""

    count: int
    distance_m: float
    pace: list[float] = Field(description="target pace range of each repeat, seconds per km (fast, slow)")
    recovery_s: float = Field(description="easy jog between repeats")
    label: str = Field(description="the pace zone: T, I, R or M")


class RunWalkOut(_Open):
    count: int
    run_s: float
    walk_s: float


class RepOut(_Open):
    """One repeat as read from the laps (docs/workouts.md#rep-scoring)."""

    number: int = Field(description="1-based, in the order planned")
    distance_m: float = Field(description="planned")
    target_pace_s_per_km: list[float] = Field(description="the target band (fast, slow)")
    recovery_after_s: float = Field(description="planned recovery after it (0 after the last)")
    actual_distance_m: float
    time_s: float
    pace_s_per_km: float
    off_s_per_km: int = Field(description="whole s/km outside the band: negative too fast, 0 inside")
    verdict: RepVerdict


class RecoveryOut(_Open):
    after_rep: int
    planned_s: float
    time_s: float
    pace_s_per_km: float | None = Field(description="null when standing")
    verdict: RecoveryVerdict


class RepScoreOut(_Open):
    """A matched structured session's reps read from the laps of its runs (docs/workouts.md#rep-scoring), the
    same fields as `workout.matched` carries (docs/notifications.md)."""

    outcome: ScoreOutcome = Field(description="scored; or why not")
    planned: int = Field(description="repeats in the plan")
    found: int = Field(description="repeats found in the laps")
    inside: int = Field(description="repeats inside their band")
    time_inside_s: float
    recoveries_too_fast: int
    reps: list[RepOut]
    recoveries: list[RecoveryOut]
    text: str = Field(description="the score in the athlete's words and units")


class WorkoutOut(_Open):
    id: str
    date: Day
    type: str
    distance_m: float
    duration_s: float
    pace: list[float] = Field(description="target pace range, seconds per km (fast, slow)")
    warmup_m: float
    reps: list[RepSetOut] = Field(description="the planned repeats (empty for a steady run)")
    cooldown_m: float
    strides: int
    note: str = Field(description="the planner's shorthand; the athlete's words are on the plan page")
    run_walk: RunWalkOut | None = Field(description="run/walk steps, for a return from zero")
    moved_from: Day | None = Field(description="the planned day, when moved by hand")
    status: str
    ratio: float | None
    colour: str | None
    activity_ids: list[int] = Field(description="the runs that fulfil it")
    manual: bool = Field(description="paired by hand")
    rep_score: RepScoreOut | None = Field(
        description="a matched structured session's reps; null for other workouts and those not run yet"
    )


class WeekOut(_Open):
    index: int
    start: date
    phase: str
    planned_km: float
    done_km: float
    colour: str | None = Field(description="compliance colour, once the week is over")
    planned_hard_share: float
    done_hard_share: float
    changes: list[str] = Field(description="ids of the changes to this week")
    workouts: list[WorkoutOut]


class PlanOut(_Open):
    """The current plan with matches and compliance: the app's and the plan page's read model."""

    athlete_id: int
    plan_id: int
    version: int
    source: str
    timezone: str
    today: date = Field(description="today in the athlete's timezone")
    as_of: date | None
    paused_until: date | None
    pause_reason: str | None
    goal: dict[str, Any]
    vdot: float
    warnings: list[str]
    weeks: list[WeekOut]
    changes: list[StoredChangeOut] = Field(
        description="every decision ever made, newest first, with its revisions"
    )
    plan: dict[str, Any] = Field(description="the whole plan as planner.plan_to_dict writes it")


class PauseOut(BaseModel):
    paused_from: date | None
    paused_until: date
    reason: str


class NotificationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(max_length=10)


class NotificationsOut(BaseModel):
    channels: list[str]
