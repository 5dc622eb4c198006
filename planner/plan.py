"""The planner's value types: athlete, goal, workouts, weeks, plans and changes. All immutable.

Distances are metres, durations seconds, paces seconds per kilometre, dates local calendar dates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkoutType(StrEnum):
    REST = "rest"
    EASY = "easy"
    RECOVERY = "recovery"
    LONG = "long"
    THRESHOLD = "threshold"  # tempo runs and cruise intervals at T pace
    INTERVALS = "intervals"  # I pace
    REPETITIONS = "repetitions"  # R pace
    RACE_PACE = "race_pace"
    RACE = "race"


QUALITY_TYPES: frozenset[WorkoutType] = frozenset(
    {WorkoutType.THRESHOLD, WorkoutType.INTERVALS, WorkoutType.REPETITIONS, WorkoutType.RACE_PACE}
)
RUN_TYPES: frozenset[WorkoutType] = frozenset(t for t in WorkoutType if t is not WorkoutType.REST)


class Phase(StrEnum):
    BASE = "base"
    THRESHOLD = "threshold"
    INTERVALS = "intervals"
    TAPER = "taper"
    RECOVERY = "recovery"
    MAINTENANCE = "maintenance"


# Phase order of a race plan; property tests check that weeks never go backwards in it.
RACE_PHASE_ORDER = (Phase.BASE, Phase.THRESHOLD, Phase.INTERVALS, Phase.TAPER)


class GoalKind(StrEnum):
    RACE = "race"
    RECOVERY = "recovery"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True)
class RaceResult:
    distance_m: float
    time_s: float


@dataclass(frozen=True, slots=True)
class Athlete:
    """What the generator needs to know about the runner.

    ``run_days`` are weekday numbers (0 = Monday); when empty the generator spreads ``runs_per_week`` around
    ``long_run_day``. ``long_run_km`` is the longest run of the last 30 days; when unknown the generator
    estimates it as 25 % of ``weekly_km`` (the low end of docs/science.md#long-run's 25–30 %).
    Either ``vdot`` or ``recent_race`` must be given (the fitness before any break).

    ``break_days``: days without running that end at the plan's start (0 = none); ``cross_training``: whether
    the athlete cross-trained during them. Both lower the working VDOT (docs/science.md#time-off) and shape the
    return (docs/science.md#return-after-break); ``weekly_km`` is then the volume before the break, and 0 means a
    return from zero.
    """

    weekly_km: float
    runs_per_week: int
    long_run_day: int = 6
    run_days: tuple[int, ...] = ()
    vdot: float | None = None
    recent_race: RaceResult | None = None
    max_hr: float | None = None
    long_run_km: float | None = None
    break_days: int = 0
    cross_training: bool = False


@dataclass(frozen=True, slots=True)
class Goal:
    """A race on ``date`` (``distance_m`` required), or a recovery / maintenance block ending on ``date``.

    ``time_s``: an optional goal time for the race. It is checked against the prediction from current fitness
    (docs/science.md#goal-times) and never sets training paces.
    """

    kind: GoalKind
    date: date
    distance_m: float | None = None
    time_s: float | None = None


class GoalVerdict(StrEnum):
    """How a goal time compares with the prediction from current fitness (docs/science.md#goal-times)."""

    NONE = ""  # no goal time given
    COMFORTABLE = "comfortable"  # slower than the prediction
    REALISTIC = "realistic"
    AMBITIOUS = "ambitious"
    OUT_OF_REACH = "out_of_reach"


@dataclass(frozen=True, slots=True)
class RunWalk:
    """Run/walk steps for a return after a long break: ``count`` × (``run_s`` running + ``walk_s`` walking)."""

    count: int
    run_s: float
    walk_s: float


@dataclass(frozen=True, slots=True)
class RepSet:
    """``count`` × ``distance_m`` at ``pace`` (s/km, fast..slow) with ``recovery_s`` of easy jogging between."""

    count: int
    distance_m: float
    pace: tuple[float, float]
    recovery_s: float = 0.0
    label: str = ""  # "T", "I", "R", "M" or "strides"


@dataclass(frozen=True, slots=True)
class Workout:
    """One planned session. ``id`` is stable for the life of the plan: adaptation edits, never re-keys."""

    id: str
    date: date
    type: WorkoutType
    distance_m: float
    duration_s: float
    pace: tuple[float, float]  # the session's main pace range (work part for quality sessions), s/km
    warmup_m: float = 0.0
    reps: tuple[RepSet, ...] = ()
    cooldown_m: float = 0.0
    strides: int = 0
    note: str = ""
    run_walk: RunWalk | None = None  # set on easy runs of a return after a long break

    @property
    def is_quality(self) -> bool:
        return self.type in QUALITY_TYPES

    @property
    def is_run(self) -> bool:
        return self.type is not WorkoutType.REST

    def work_m(self, label: str) -> float:
        """Metres of the session's reps at pace ``label`` ("T", "I", "R", "M")."""
        return sum(r.count * r.distance_m for r in self.reps if r.label == label)


def workout_id(day: date) -> str:
    return f"w{day.year:04d}{day.month:02d}{day.day:02d}"


@dataclass(frozen=True, slots=True)
class Week:
    index: int
    start: date  # a Monday
    phase: Phase
    workouts: tuple[Workout, ...]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def planned_km(self) -> float:
        return sum(w.distance_m for w in self.workouts if w.is_run) / 1000.0


@dataclass(frozen=True, slots=True)
class WorkoutDiff:
    before: Workout
    after: Workout


FactValue = float | int | str | bool


class Facts(Mapping[str, FactValue]):
    """The numbers behind a reason, by plain name, in SI units (metres, seconds, seconds per km, fractions 0–1,
    ISO dates as strings): enough to say the reason in any words and units without its English text
    (planner/reasons.py declares which facts each code carries). Immutable and hashable, like every planner
    value; equal to any mapping with the same items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, FactValue] | None = None) -> None:
        self._items: tuple[tuple[str, FactValue], ...] = tuple(sorted((items or {}).items()))

    def __getitem__(self, key: str) -> FactValue:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Facts({dict(self._items)!r})"

    def __reduce__(self) -> tuple[type[Facts], tuple[dict[str, FactValue]]]:
        return (Facts, (dict(self._items),))


def _as_facts(value: Mapping[str, FactValue]) -> Facts:
    return value if isinstance(value, Facts) else Facts(value)


@dataclass(frozen=True, slots=True)
class Change:
    """One adaptation: a stable ``id`` (code@week), the workouts it touched, and why: ``reason`` in the planner's
    default English wording, ``facts`` the numbers behind it (planner/reasons.py names them per code)."""

    id: str
    code: str
    week_start: date
    reason: str
    workouts: tuple[WorkoutDiff, ...] = ()
    facts: Mapping[str, FactValue] = field(default_factory=Facts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", _as_facts(self.facts))


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the athlete is told about the plan as a whole (a goal-time verdict, an assumption, why a goal is
    unsafe): ``code`` (planner/reasons.py ``NoticeCode``), ``text`` in the planner's default English wording,
    ``facts`` the numbers behind it."""

    code: str
    text: str
    facts: Mapping[str, FactValue] = field(default_factory=Facts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", _as_facts(self.facts))


@dataclass(frozen=True, slots=True)
class Plan:
    """A generated (and possibly adapted) plan.

    ``athlete``, ``goal`` and ``start`` are kept so the baseline can be regenerated deterministically: adaptation
    is always re-derived from that baseline (see planner/adapt.py). ``vdot`` is the current working VDOT
    (lowered after a break), ``base_vdot`` the one the plan was generated with (already lowered for a break
    given as ``athlete.break_days``). ``predicted_time_s`` is the race time current fitness predicts and
    ``goal_verdict`` how the goal time compares with it (docs/science.md#goal-times). ``warnings`` are the
    texts of ``notices``; a plan stored before notices existed has warnings and no notices.
    ``replanned_from`` remembers, for each week a decision re-planned while it was under way, the first day that
    decision could change (week start, day): the week keeps the volume the decision named, whenever the plan is
    adapted again (planner/adapt.py, docs/science.md#past-is-history).
    """

    athlete: Athlete
    goal: Goal
    start: date
    base_vdot: float
    vdot: float
    weeks: tuple[Week, ...]
    warnings: tuple[str, ...] = ()
    unsafe: bool = False
    unsafe_reason: str = ""
    changes: tuple[Change, ...] = ()
    suppressed: frozenset[str] = field(default_factory=frozenset)
    as_of: date | None = None
    predicted_time_s: float | None = None
    goal_verdict: GoalVerdict = GoalVerdict.NONE
    notices: tuple[Notice, ...] = ()  # ``warnings`` with their codes and facts (the same texts, in order)
    replanned_from: tuple[tuple[date, date], ...] = ()  # (week start, first open day), in week order

    def workouts(self) -> tuple[Workout, ...]:
        return tuple(w for week in self.weeks for w in week.workouts)

    def week_of(self, day: date) -> Week | None:
        for week in self.weeks:
            if week.start <= day <= week.end:
                return week
        return None
