"""A planned workout as the steps a watch runs: warm-up, repeats of work and recovery, cool-down.

Pure (no I/O, no file format): notify/fit_workouts.py encodes these steps as a FIT workout file, and
planner/rep_scoring.py reads a run's laps against them. The mapping is described in docs/workouts.md#steps:

* an easy, long or recovery run, or the race: one step of the planned distance at the planned pace range;
  strides follow an easy run as ``strides`` × (20 s stride + 60 s recovery);
* a run/walk session: ``count`` × (``run_s`` easy running + ``walk_s`` walking), the last walk left out;
* a structured session (threshold, intervals, repetitions, race pace): a warm-up, each rep set as
  ``count`` × (rep at its pace band + ``recovery_s`` recovery) with no recovery after the last rep (the plan's
  duration counts ``count − 1`` recoveries), then a cool-down;
* a rest day: no steps.

A single target pace (the race's) becomes the planner's ±3 s/km band around it: a zero-width band would make a
watch alert on every step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from planner.plan import RepSet, Workout, WorkoutType
from planner.sessions import MILE_M, around

STRIDE_S = 20.0  # "~20 s strides" (planner/sessions.py STRIDES, docs/science.md#phases)
STRIDE_RECOVERY_S = 60.0  # product choice: a minute's walk or jog back between strides
KM_FROM_M = 2000.0  # product choice: reps from 2 km up are named in km ("4 km at T"), shorter ones in m


class StepKind(StrEnum):
    WARMUP = "warmup"
    RUN = "run"  # steady running: an easy, long or recovery run, the race, the running part of run/walk
    WORK = "work"  # a rep at the session's target pace
    RECOVERY = "recovery"  # the jog or rest between reps (or strides)
    STRIDE = "stride"
    WALK = "walk"
    COOLDOWN = "cooldown"


@dataclass(frozen=True, slots=True)
class Step:
    """One step: it ends after ``distance_m`` metres, or after ``time_s`` seconds, or (neither) at a lap press.
    ``pace`` is the target (fast, slow) in s/km; None: no target (warm-ups without a known easy pace,
    recoveries, strides, walks)."""

    kind: StepKind
    name: str
    distance_m: float | None = None
    time_s: float | None = None
    pace: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Repeat:
    """``steps`` run ``count`` times in a row."""

    count: int
    steps: tuple[Step, ...]


Block = Step | Repeat


def workout_steps(w: Workout, easy_pace: tuple[float, float] | None = None) -> tuple[Block, ...]:
    """The steps of ``w`` (docs/workouts.md#steps). ``easy_pace``: the athlete's E range (fast, slow), the
    target of warm-ups and cool-downs; None leaves them without a target."""
    if not w.is_run:
        return ()
    if w.reps:
        return _structured(w, easy_pace)
    if w.run_walk is not None:
        rw = w.run_walk
        run = Step(StepKind.RUN, "Run easy", time_s=rw.run_s, pace=band(w.pace))
        walk = Step(StepKind.WALK, "Walk", time_s=rw.walk_s)
        return _repeated(rw.count, run, walk)
    main = _steady(w)
    if w.strides <= 0:
        return (main,)
    stride = Step(StepKind.STRIDE, "Stride", time_s=STRIDE_S)
    back = Step(StepKind.RECOVERY, "Walk back", time_s=STRIDE_RECOVERY_S)
    return (main, *_repeated(w.strides, stride, back))


def expanded(blocks: Iterable[Block]) -> Iterator[Step]:
    """Every step in the order it is run, repeats written out."""
    for block in blocks:
        if isinstance(block, Repeat):
            for _ in range(block.count):
                yield from block.steps
        else:
            yield block


def band(pace: tuple[float, float]) -> tuple[float, float] | None:
    """A pace range as a target: (fast, slow); a single pace widened to the planner's ±3 s/km; None when the
    range holds no real pace."""
    fast, slow = sorted(pace)
    if fast <= 0:
        return None
    if slow - fast < 1.0:
        return around((fast + slow) / 2)
    return (fast, slow)


def title(w: Workout) -> str:
    """The workout's name on the watch: its type and distance ("Intervals 9.4 km"), in plain ASCII."""
    return f"{_kind(w)} {w.distance_m / 1000:.1f} km"


def rep_name(r: RepSet) -> str:
    """ "400 m at R", "1 mile at T", "4 km at M"."""
    at = f" at {r.label}" if r.label else ""
    return f"{distance_name(r.distance_m)}{at}"


def distance_name(metres: float) -> str:
    if abs(metres - MILE_M) < 1.0:
        return "1 mile"
    if metres >= KM_FROM_M:
        return f"{metres / 1000:g} km"
    return f"{metres:g} m"


def _kind(w: Workout) -> str:
    return "Long run" if w.type is WorkoutType.LONG else w.type.value.replace("_", " ").capitalize()


def _steady(w: Workout) -> Step:
    name = {WorkoutType.EASY: "Easy", WorkoutType.RECOVERY: "Recovery run"}.get(w.type, _kind(w))
    if w.distance_m > 0:
        return Step(StepKind.RUN, name, distance_m=w.distance_m, pace=band(w.pace))
    if w.duration_s > 0:
        return Step(StepKind.RUN, name, time_s=w.duration_s, pace=band(w.pace))
    return Step(StepKind.RUN, name, pace=band(w.pace))


def _structured(w: Workout, easy_pace: tuple[float, float] | None) -> tuple[Block, ...]:
    easy = band(easy_pace) if easy_pace else None
    blocks: list[Block] = []
    if w.warmup_m > 0:
        blocks.append(Step(StepKind.WARMUP, "Warm-up", distance_m=w.warmup_m, pace=easy))
    sets = [r for r in w.reps if r.count > 0 and r.distance_m > 0]
    for i, r in enumerate(sets):
        work = Step(StepKind.WORK, rep_name(r), distance_m=r.distance_m, pace=band(r.pace))
        recovery = _recovery(r.recovery_s)
        blocks.extend(_repeated(r.count, work, recovery))
        if recovery is not None and i < len(sets) - 1:  # between two rep sets, the first set's recovery
            blocks.append(recovery)
    if w.cooldown_m > 0:
        blocks.append(Step(StepKind.COOLDOWN, "Cool-down", distance_m=w.cooldown_m, pace=easy))
    return tuple(blocks)


def _recovery(seconds: float) -> Step | None:
    return Step(StepKind.RECOVERY, "Recovery", time_s=seconds) if seconds > 0 else None


def _repeated(count: int, work: Step, between: Step | None) -> tuple[Block, ...]:
    """``count`` × ``work`` with ``between`` after every one but the last; a repeat of one pair is written out."""
    if count <= 0:
        return ()
    if between is None:
        return (work,) if count == 1 else (Repeat(count, (work,)),)
    if count == 1:
        return (work,)
    if count == 2:
        return (work, between, work)
    return (Repeat(count - 1, (work, between)), work)
