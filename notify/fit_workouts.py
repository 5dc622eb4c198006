"""Planned workouts as FIT workout files, for the athlete's watch (docs/workouts.md#fit-export).

The steps come from the pure mapping in planner/workout_steps.py; this module only writes them in the FIT
protocol with Garmin's FIT SDK encoder: a `file_id` (type workout), a `workout` (running, its name and the plan's
note) and one `workout_step` per step, a repeat being a step that sends the watch back to the first step it
repeats (`repeat_until_steps_cmplt`). Pace ranges become speed targets (m/s); distances and times are the steps'
durations. Files are rendered from the plan version asked for, so they change with the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import planner
from planner.workout_steps import Block, Repeat, Step, StepKind, title, workout_steps

MEDIA_TYPE = "application/vnd.ant.fit"  # the FIT media type registered with IANA
SUFFIX = ".fit"
# The FIT profile's scales of workout_step's sub-fields (the SDK's encoder writes the main field, unscaled):
# duration_distance in cm, duration_time in ms, custom_target_speed_low/high in mm/s.
DISTANCE_SCALE = 100
TIME_SCALE = 1000
SPEED_SCALE = 1000
MAX_TEXT = 64  # product choice: watches show far less; Garmin Connect keeps longer names and notes

INTENSITY = {
    StepKind.WARMUP: "warmup",
    StepKind.RUN: "active",
    StepKind.WORK: "interval",
    StepKind.RECOVERY: "recovery",
    StepKind.STRIDE: "interval",
    StepKind.WALK: "rest",
    StepKind.COOLDOWN: "cooldown",
}


def file_name(workout_id: str) -> str:
    return f"{workout_id}{SUFFIX}"


def workout_file(w: planner.Workout, *, easy_pace: tuple[float, float] | None, created: datetime) -> bytes:
    """``w`` as a FIT workout file. ``easy_pace``: the athlete's E range, the warm-up's and cool-down's target;
    ``created``: the file's creation time (the plan version's, so the same version gives the same bytes).
    Raises ValueError for a rest day: there is nothing to run."""
    blocks = workout_steps(w, easy_pace)
    if not blocks:
        raise ValueError(f"workout {w.id} is a rest day: there is nothing to run")
    steps = step_messages(blocks)
    # Imported here, not at the top: the SDK's FIT profile is large, and the API process loads it only once a
    # file is asked for (its memory goal, README "Performance").
    from garmin_fit_sdk import Encoder, Profile

    mesg = Profile["mesg_num"]
    encoder = Encoder()
    encoder.on_mesg(
        mesg["FILE_ID"],
        {"type": "workout", "manufacturer": "development", "product": 0, "time_created": created},
    )
    workout: dict[str, Any] = {"sport": "running", "num_valid_steps": len(steps), "wkt_name": _text(title(w))}
    if w.note:
        workout["wkt_description"] = _text(f"{w.date:%a %d %b %Y}: {w.note}")
    encoder.on_mesg(mesg["WORKOUT"], workout)
    for message in steps:
        encoder.on_mesg(mesg["WORKOUT_STEP"], message)
    return bytes(encoder.close())


def step_messages(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The `workout_step` messages of ``blocks``, in file order, each with its `message_index`."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, Repeat):
            first = len(out)
            out.extend([_step(first + i, s) for i, s in enumerate(block.steps)])
            out.append(_repeat(len(out), first, block.count))
        else:
            out.append(_step(len(out), block))
    return out


def _step(index: int, step: Step) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_index": index,
        "wkt_step_name": _text(step.name),
        "intensity": INTENSITY[step.kind],
    }
    if step.distance_m is not None:
        message |= {"duration_type": "distance", "duration_value": round(step.distance_m * DISTANCE_SCALE)}
    elif step.time_s is not None:
        message |= {"duration_type": "time", "duration_value": round(step.time_s * TIME_SCALE)}
    else:
        message["duration_type"] = "open"  # ends at a lap press
    if step.pace is None:
        message["target_type"] = "open"
    else:
        fast, slow = step.pace
        message |= {
            "target_type": "speed",
            "target_value": 0,  # 0: a custom range, not a speed zone
            "custom_target_value_low": round(1000.0 / slow * SPEED_SCALE),
            "custom_target_value_high": round(1000.0 / fast * SPEED_SCALE),
        }
    return message


def _repeat(index: int, first: int, count: int) -> dict[str, Any]:
    # duration_value is the sub-field duration_step (where to go back to), target_value repeat_steps (how often)
    return {
        "message_index": index,
        "duration_type": "repeat_until_steps_cmplt",
        "duration_value": first,
        "target_type": "open",
        "target_value": count,
    }


def _text(text: str) -> str:
    """Plain ASCII (watches' fonts lack "×" and "–"), cut to MAX_TEXT characters."""
    plain = text.replace("×", "x").replace("–", "-").replace("—", "-")
    return plain.encode("ascii", "ignore").decode()[:MAX_TEXT]
