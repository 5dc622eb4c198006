"""Planned workouts as intervals.icu workout text (planner/icu_workout_text.py, docs/connectors.md#workout-text).

Every kind of workout the planner produces is written as text and read back by the stand-in's reader of the
syntax (simulator/icu_workout_doc.py, written apart from the writer): the steps read back, repeats written out,
must be the steps of planner/workout_steps.py, with their distances (to 10 m above a kilometre), times (to the
second) and pace ranges (to the second per km), and no step line may be left unread.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from planner import RepSet, Workout, WorkoutType
from planner.icu_workout_text import (
    cue,
    distance_text,
    pace_target,
    step_line,
    time_text,
    workout_text,
)
from planner.workout_steps import Step, StepKind, expanded, workout_steps
from simulator import icu_workout_doc
from tests.unit.planner.workout_shapes import easy_range, examples

DAY = date(2026, 3, 4)


def assert_read_back_as_planned(w: Workout, easy: tuple[float, float] | None) -> None:
    doc = icu_workout_doc.parse(workout_text(w, easy))
    assert doc.unparsed == []
    planned = [s for s in expanded(workout_steps(w, easy)) if s.distance_m or s.time_s]
    read = doc.expanded()
    assert len(read) == len(planned)
    for step, got in zip(planned, read, strict=True):
        if step.distance_m:
            tolerance = 0.5 if step.distance_m < 1000 else 5.0
            assert got["distance"] == pytest.approx(step.distance_m, abs=tolerance)
        else:
            assert got["duration"] == pytest.approx(step.time_s, abs=0.5)
        if step.pace is None:
            assert "pace" not in got
        else:
            assert (got["pace"]["start"], got["pace"]["end"]) == pytest.approx(sorted(step.pace), abs=0.5)
        assert not re.search(r"\d", got["text"])  # a digit in the cue could be read as the step's duration


@pytest.mark.parametrize("w", examples(), ids=lambda w: f"{w.type.value}-{w.id}")
def test_every_workout_the_planner_makes_reads_back_as_its_steps(w: Workout) -> None:
    assert_read_back_as_planned(w, easy_range())


def test_without_an_easy_pace_warm_ups_have_no_target_and_still_read_back() -> None:
    structured = [w for w in examples() if w.reps and w.warmup_m > 0]
    assert structured
    for w in structured:
        assert_read_back_as_planned(w, None)


def test_a_rest_day_has_no_text() -> None:
    rest = Workout("w1", DAY, WorkoutType.REST, 0.0, 0.0, (0.0, 0.0))
    assert workout_text(rest, easy_range()) == ""


def intervals(count: int = 5, recovery_s: float = 120.0) -> Workout:
    rep = RepSet(count, 800.0, (214.6, 220.4), recovery_s, "I")
    return Workout(
        "w2",
        DAY,
        WorkoutType.INTERVALS,
        9000.0,
        2700.0,
        (214.6, 220.4),
        2000.0,
        (rep,),
        2000.0,
        note="5 × 800 m at I",
    )


def test_sections_and_repeats_are_paragraphs_as_the_syntax_asks() -> None:
    text = workout_text(intervals(), (300.0, 330.0))
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "5 × 800 m at I"  # the note first, as plain text
    assert paragraphs[1].splitlines()[0] == "Warmup"
    repeat = paragraphs[2].splitlines()
    # workout_steps writes 5 reps as 4 × (rep + recovery), then the last rep: no recovery before the cool-down
    assert repeat == ["Main Set 4x", "- Interval 800mtr 3:35/km-3:40/km Pace", "- Recovery 2m"]
    assert paragraphs[3] == "- Interval 800mtr 3:35/km-3:40/km Pace"
    assert paragraphs[4].splitlines() == ["Cooldown", "- Cooldown 2km 5:00/km-5:30/km Pace"]


def test_a_note_never_reads_as_a_step_or_a_repeat() -> None:
    w = intervals()
    noted = Workout(**{**_fields(w), "note": "- 10m 5:00/km Pace\nMain Set 3x\nkeep it relaxed"})
    doc = icu_workout_doc.parse(workout_text(noted, (300.0, 330.0)))
    assert doc.unparsed == []
    assert len(doc.expanded()) == len(list(expanded(workout_steps(w, (300.0, 330.0)))))


def _fields(w: Workout) -> dict[str, object]:
    return {name: getattr(w, name) for name in w.__slots__}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("metres", "text"),
    [(400.0, "400mtr"), (999.6, "1000mtr"), (1000.0, "1km"), (1609.344, "1.61km"), (13700.0, "13.7km")],
)
def test_distances(metres: float, text: str) -> None:
    assert distance_text(metres) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20.0, "20s"), (90.0, "1m30s"), (282.0, "4m42s"), (3600.0, "1h"), (3930.4, "1h5m30s")],
)
def test_times(seconds: float, text: str) -> None:
    assert time_text(seconds) == text


def test_pace_ranges_fast_end_first_and_a_single_pace_when_both_ends_round_alike() -> None:
    assert pace_target((255.2, 245.4)) == "4:05/km-4:15/km Pace"
    assert pace_target((250.2, 249.9)) == "4:10/km Pace"


def test_a_cue_is_plain_words_or_the_kind_of_step() -> None:
    assert cue(Step(StepKind.WORK, "400 m at R", distance_m=400.0), {400.0: "R"}) == "Repetition"
    assert cue(Step(StepKind.WORK, "400 m at X", distance_m=400.0), {}) == "Rep"
    assert cue(Step(StepKind.RUN, "Long run", distance_m=20000.0), {}) == "Long run"
    assert cue(Step(StepKind.WARMUP, "Warm-up", distance_m=2000.0), {}) == "Warmup"
    assert cue(Step(StepKind.RUN, "Ramp up", distance_m=2000.0), {}) == "Run"  # "ramp" is a keyword there


def test_a_step_with_neither_distance_nor_time_is_left_out() -> None:
    assert step_line(Step(StepKind.RUN, "Easy")) is None
    assert step_line(Step(StepKind.WALK, "Walk", time_s=60.0)) == "- Walk 1m"
