"""FIT workout files round trip (notify/fit_workouts.py, docs/workouts.md#fit-export): every kind of workout the
planner produces is encoded with Garmin's FIT SDK and decoded with fitdecode, a second, independent FIT
implementation; the decoded file must hold the same steps, durations, repeat counts and pace targets (speeds
within FIT's resolution of 1 mm/s)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import fitdecode
import pytest
from garmin_fit_sdk import Decoder, Stream

from notify import fit_workouts
from planner import RepSet, Workout, WorkoutType
from planner.workout_steps import Block, Repeat, Step, StepKind, title, workout_steps
from tests.unit.planner.workout_shapes import easy_range, examples

CREATED = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
SPEED_RESOLUTION = 0.0005  # m/s: FIT stores speed targets in mm/s, rounded
# What a watch is told about each kind of step (FIT `intensity`)
INTENSITY = {
    StepKind.WARMUP: "warmup",
    StepKind.RUN: "active",
    StepKind.WORK: "interval",
    StepKind.RECOVERY: "recovery",
    StepKind.STRIDE: "interval",
    StepKind.WALK: "rest",
    StepKind.COOLDOWN: "cooldown",
}


@dataclass(frozen=True)
class Decoded:
    file_id: dict[str, Any]
    workout: dict[str, Any]
    steps: list[dict[str, Any]]


def decode(data: bytes) -> Decoded:
    messages: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields if f.value is not None}
                messages.setdefault(frame.name, []).append(fields)
    (file_id,) = messages["file_id"]
    (workout,) = messages["workout"]
    return Decoded(file_id, workout, messages["workout_step"])


def rebuilt(steps: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """The decoded steps as blocks again: a repeat step takes back the steps from the one it points to."""
    out: list[tuple[int, Any]] = []  # (message index of the block's first step, block)
    for index, message in enumerate(steps):
        assert message["message_index"] == index
        if message["duration_type"] == "repeat_until_steps_cmplt":
            first = message["duration_step"]
            body = [(start, block) for start, block in out if start >= first]
            out = [(start, block) for start, block in out if start < first]
            out.append((first, ("repeat", message["repeat_steps"], body)))
        else:
            out.append((index, message))
    return out


def assert_same_step(expected: Step, message: dict[str, Any]) -> None:
    assert message["wkt_step_name"] == expected.name
    assert message["intensity"] == INTENSITY[expected.kind]
    if expected.distance_m is not None:
        assert message["duration_type"] == "distance"
        assert message["duration_distance"] == pytest.approx(expected.distance_m, abs=0.005)
    elif expected.time_s is not None:
        assert message["duration_type"] == "time"
        assert message["duration_time"] == pytest.approx(expected.time_s, abs=0.0005)
    else:
        assert message["duration_type"] == "open"
    if expected.pace is None:
        assert message["target_type"] == "open"
        return
    fast, slow = expected.pace
    assert message["target_type"] == "speed"
    assert message["custom_target_speed_low"] == pytest.approx(1000 / slow, abs=SPEED_RESOLUTION)
    assert message["custom_target_speed_high"] == pytest.approx(1000 / fast, abs=SPEED_RESOLUTION)


def assert_same_blocks(expected: tuple[Block, ...], decoded: list[tuple[int, Any]]) -> None:
    assert len(decoded) == len(expected)
    for block, (_, got) in zip(expected, decoded, strict=True):
        if isinstance(block, Repeat):
            kind, count, body = got
            assert kind == "repeat"
            assert count == block.count
            assert_same_blocks(block.steps, body)
        else:
            assert isinstance(got, dict), f"expected the step {block.name}, found a repeat"
            assert_same_step(block, got)


@pytest.mark.parametrize("w", examples(), ids=lambda w: f"{w.id}-{w.type.value}")
def test_every_planned_workout_round_trips(w: Workout) -> None:
    easy = easy_range()
    data = fit_workouts.workout_file(w, easy_pace=easy, created=CREATED)
    decoded = decode(data)
    assert decoded.file_id["type"] == "workout"
    assert decoded.file_id["time_created"] == CREATED
    assert decoded.workout["sport"] == "running"
    assert decoded.workout["wkt_name"] == title(w)
    assert decoded.workout["num_valid_steps"] == len(decoded.steps)
    assert_same_blocks(workout_steps(w, easy), rebuilt(decoded.steps))


def test_a_session_with_two_rep_sets_and_odd_counts_round_trips() -> None:
    w = Workout(
        "w20260304",
        date(2026, 3, 4),
        WorkoutType.INTERVALS,
        12_000.0,
        3600.0,
        (232.0, 238.0),
        warmup_m=1800.0,
        reps=(RepSet(5, 1000.0, (232.0, 238.0), 180.0, "I"), RepSet(2, 400.0, (214.0, 214.0), 0.0, "R")),
        cooldown_m=1500.0,
    )
    decoded = rebuilt(decode(fit_workouts.workout_file(w, easy_pace=None, created=CREATED)).steps)
    assert_same_blocks(workout_steps(w), decoded)
    assert [block[1] for _, block in decoded if isinstance(block, tuple)] == [4, 2]


def test_the_same_plan_version_gives_the_same_bytes_and_a_new_one_new_bytes() -> None:
    w = next(x for x in examples() if x.reps)
    first = fit_workouts.workout_file(w, easy_pace=easy_range(), created=CREATED)
    assert fit_workouts.workout_file(w, easy_pace=easy_range(), created=CREATED) == first
    later = datetime(2026, 3, 8, tzinfo=UTC)
    assert fit_workouts.workout_file(w, easy_pace=easy_range(), created=later) != first


def test_garmins_own_decoder_reads_the_file_without_errors() -> None:
    w = next(x for x in examples() if x.reps and x.reps[0].count > 2)
    data = fit_workouts.workout_file(w, easy_pace=easy_range(), created=CREATED)
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert len(messages["workout_step_mesgs"]) == len(decode(data).steps)


def test_a_rest_day_has_no_file() -> None:
    rest = Workout("w20260302", date(2026, 3, 2), WorkoutType.REST, 0.0, 0.0, (0.0, 0.0))
    with pytest.raises(ValueError, match="rest day"):
        fit_workouts.workout_file(rest, easy_pace=None, created=CREATED)


def test_names_and_notes_reach_the_watch_as_plain_short_text() -> None:
    w = next(x for x in examples() if x.reps)
    long_note = "5 × 1000 m at I – " + "é" * 10 + "x" * 200
    from dataclasses import replace

    data = fit_workouts.workout_file(replace(w, note=long_note), easy_pace=None, created=CREATED)
    description = decode(data).workout["wkt_description"]
    assert description.isascii()
    assert len(description) <= fit_workouts.MAX_TEXT
    assert "5 x 1000 m at I - " in description
