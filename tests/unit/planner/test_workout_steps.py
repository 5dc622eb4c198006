"""The pure mapping of planned workouts to watch steps (planner/workout_steps.py, docs/workouts.md#steps), over
every kind of workout the planner produces (workout_shapes.py sweeps generated and adapted plans)."""

from __future__ import annotations

from datetime import date

import pytest

from planner import RepSet, Workout, WorkoutType
from planner.plan import RunWalk
from planner.workout_steps import Repeat, Step, StepKind, band, expanded, workout_steps

from .workout_shapes import by_shape, easy_range, examples, shape

RUN_TYPES = {t for t in WorkoutType if t is not WorkoutType.REST}


def test_the_sweep_finds_every_workout_type_and_session_shape() -> None:
    shapes = by_shape()
    assert {s.type for s in shapes} == RUN_TYPES
    assert any(s.strides for s in shapes), "easy runs with strides"
    assert any(s.run_walk for s in shapes), "run/walk sessions"
    assert {rep[0] for s in shapes for rep in s.sets} == {"T", "I", "R", "M"}
    assert {rep[1] for s in shapes for rep in s.sets} == {True, False}, "single blocks and repeated reps"


@pytest.mark.parametrize("w", examples(), ids=lambda w: f"{w.id}-{w.type.value}")
def test_every_workout_maps_to_steps_that_carry_its_plan(w: Workout) -> None:
    easy = easy_range()
    steps = list(expanded(workout_steps(w, easy)))
    assert steps, "every run has steps"
    assert all(s.distance_m is None or s.distance_m > 0 for s in steps)
    assert all(s.time_s is None or s.time_s > 0 for s in steps)
    assert all(s.pace is None or 0 < s.pace[0] < s.pace[1] for s in steps)
    if w.reps:
        _check_structured(w, steps, easy)
    elif w.run_walk is not None:
        _check_run_walk(w, steps)
    else:
        _check_steady(w, steps)


def _check_structured(w: Workout, steps: list[Step], easy: tuple[float, float]) -> None:
    assert steps[0] == Step(StepKind.WARMUP, "Warm-up", distance_m=w.warmup_m, pace=easy)
    assert steps[-1] == Step(StepKind.COOLDOWN, "Cool-down", distance_m=w.cooldown_m, pace=easy)
    work = [s for s in steps if s.kind is StepKind.WORK]
    recoveries = [s for s in steps if s.kind is StepKind.RECOVERY]
    assert len(work) == sum(r.count for r in w.reps)
    assert sum(s.distance_m or 0 for s in work) == pytest.approx(sum(r.count * r.distance_m for r in w.reps))
    assert {s.pace for s in work} == {r.pace for r in w.reps}
    # the plan's duration counts count - 1 recoveries: none after the last rep
    planned_recovery = sum((r.count - 1) * r.recovery_s for r in w.reps)
    assert sum(s.time_s or 0 for s in recoveries) == pytest.approx(planned_recovery)
    assert steps[-2].kind is StepKind.WORK
    assert all(s.pace is None for s in recoveries)
    assert {s.kind for s in steps} <= {StepKind.WARMUP, StepKind.WORK, StepKind.RECOVERY, StepKind.COOLDOWN}


def _check_run_walk(w: Workout, steps: list[Step]) -> None:
    rw = w.run_walk
    assert rw is not None
    runs = [s for s in steps if s.kind is StepKind.RUN]
    walks = [s for s in steps if s.kind is StepKind.WALK]
    assert len(runs) == rw.count
    assert len(walks) == rw.count - 1
    assert all(s.time_s == rw.run_s and s.pace == w.pace for s in runs)
    assert all(s.time_s == rw.walk_s and s.pace is None for s in walks)
    assert [s.kind for s in steps[::2]] == [StepKind.RUN] * rw.count  # they alternate, run first and last


def _check_steady(w: Workout, steps: list[Step]) -> None:
    main = steps[0]
    assert main.kind is StepKind.RUN
    assert main.distance_m == w.distance_m
    assert main.pace is not None
    fast, slow = w.pace
    if slow - fast >= 1:
        assert main.pace == w.pace
    else:  # the race's single pace: the planner's ±3 s/km band around it
        assert main.pace[0] < fast <= slow < main.pace[1]
        assert main.pace[1] - main.pace[0] == pytest.approx(6.0, abs=0.11)
    strides = [s for s in steps if s.kind is StepKind.STRIDE]
    assert len(strides) == w.strides
    assert len(steps) == 1 + 2 * w.strides - (1 if w.strides else 0)


def test_a_rest_day_has_no_steps() -> None:
    rest = Workout("w20260302", date(2026, 3, 2), WorkoutType.REST, 0.0, 0.0, (0.0, 0.0))
    assert workout_steps(rest) == ()


def test_warm_ups_have_no_target_without_the_easy_pace() -> None:
    w = next(x for x in examples() if x.reps)
    steps = list(expanded(workout_steps(w)))
    assert steps[0].kind is StepKind.WARMUP
    assert steps[0].pace is None
    assert steps[-1].kind is StepKind.COOLDOWN
    assert steps[-1].pace is None


@pytest.mark.parametrize(("count", "blocks"), [(1, 1), (2, 3), (3, 2), (8, 2)])
def test_reps_repeat_work_and_recovery_and_end_on_a_rep(count: int, blocks: int) -> None:
    w = _intervals(RepSet(count, 1000.0, (232.0, 238.0), 180.0, "I"))
    middle = workout_steps(w)[1:-1]
    assert len(middle) == blocks
    if count >= 3:
        assert isinstance(middle[0], Repeat)
        assert middle[0].count == count - 1
        assert [s.kind for s in middle[0].steps] == [StepKind.WORK, StepKind.RECOVERY]
    assert [s.kind for s in expanded(middle)].count(StepKind.WORK) == count


def test_rep_sets_follow_each_other_with_the_first_sets_recovery() -> None:
    w = _intervals(RepSet(3, 1000.0, (232.0, 238.0), 180.0, "I"), RepSet(4, 200.0, (210.0, 216.0), 60.0, "R"))
    kinds = [(s.kind, s.distance_m or s.time_s) for s in expanded(workout_steps(w))]
    work = [x for k, x in kinds if k is StepKind.WORK]
    assert work == [1000.0] * 3 + [200.0] * 4
    recoveries = [x for k, x in kinds if k is StepKind.RECOVERY]
    assert recoveries == [180.0, 180.0, 180.0, 60.0, 60.0, 60.0]


def test_continuous_reps_without_recovery_repeat_the_rep_alone() -> None:
    w = _intervals(RepSet(3, 1000.0, (250.0, 256.0), 0.0, "T"))
    repeat = workout_steps(w)[1]
    assert isinstance(repeat, Repeat)
    assert repeat.count == 3
    assert len(repeat.steps) == 1


def test_a_run_walk_of_one_run_is_a_single_step() -> None:
    w = Workout(
        "w20260303",
        date(2026, 3, 3),
        WorkoutType.EASY,
        1000.0,
        400.0,
        (320.0, 360.0),
        run_walk=RunWalk(1, 300, 60),
    )
    assert workout_steps(w) == (Step(StepKind.RUN, "Run easy", time_s=300, pace=(320.0, 360.0)),)


def test_a_workout_planned_by_time_only_is_a_time_step() -> None:
    w = Workout("w20260303", date(2026, 3, 3), WorkoutType.EASY, 0.0, 1800.0, (320.0, 360.0))
    (only,) = workout_steps(w)
    assert isinstance(only, Step)
    assert only.time_s == 1800.0
    assert only.distance_m is None


@pytest.mark.parametrize(
    ("pace", "expected"),
    [((300.0, 320.0), (300.0, 320.0)), ((320.0, 300.0), (300.0, 320.0)), ((250.0, 250.0), (247.0, 253.0))],
)
def test_band_orders_a_range_and_widens_a_single_pace(
    pace: tuple[float, float], expected: tuple[float, float]
) -> None:
    assert band(pace) == expected


def test_band_refuses_a_range_without_a_pace() -> None:
    assert band((0.0, 0.0)) is None


def _intervals(*reps: RepSet) -> Workout:
    return Workout(
        "w20260304",
        date(2026, 3, 4),
        WorkoutType.INTERVALS,
        12_000.0,
        3600.0,
        reps[0].pace,
        warmup_m=2000.0,
        reps=reps,
        cooldown_m=2000.0,
    )


def test_shape_keys_tell_apart_what_changes_the_steps() -> None:
    a = _intervals(RepSet(1, 4000.0, (250.0, 256.0), 0.0, "T"))
    b = _intervals(RepSet(3, 1000.0, (250.0, 256.0), 60.0, "T"))
    assert shape(a) != shape(b)
