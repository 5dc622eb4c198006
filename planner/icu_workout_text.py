"""A planned workout in intervals.icu's workout text, the `description` of a calendar event that intervals.icu
turns into the structured workout it sends to the watch (docs/connectors.md#what-is-sent).

Pure: the steps come from planner/workout_steps.py (warm-up, repeats of work and recovery, cool-down) and are
written in the syntax of intervals.icu's workout builder (docs/connectors.md#workout-text):

* one step per line, ``- <cue> <duration> <target>``: the cue is plain letters and spaces (text before the
  first duration is the cue, so a digit or a sign in it could be read as part of the step); a distance is
  ``400mtr`` below a kilometre and ``1.6km`` from there (``m`` means minutes there), a time ``1h5m30s``;
* a pace range is ``4:05/km-4:15/km Pace``, fast end first; a step without a target (recoveries, strides,
  walks, a warm-up when the athlete's easy pace is unknown) has none;
* sections ``Warmup``, ``Main Set`` and ``Cooldown`` head their steps; a repeat is its own paragraph headed
  ``<n>x`` (or ``Main Set <n>x`` when it opens the section), with a blank line before and after, as repeats
  must be; repeats are never nested (workout_steps never nests them);
* the workout's note comes first, as plain text; a note line that would read as a step or a repeat is
  neutralised.

A step with neither a distance nor a time (a workout planned without either) cannot be written and is left
out; a rest day has no steps and no text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from planner.clock import minutes_seconds
from planner.plan import Workout
from planner.workout_steps import Block, Repeat, Step, StepKind, workout_steps

WARMUP = "Warmup"
MAIN = "Main Set"
COOLDOWN = "Cooldown"
KM_FROM_M = 1000.0  # below a kilometre a distance is written in metres ("400mtr")

# The cue of a step whose own name cannot be used (it has digits or a word the syntax reads as a keyword).
CUE_BY_KIND = {
    StepKind.WARMUP: "Warmup",
    StepKind.RUN: "Run",
    StepKind.WORK: "Rep",
    StepKind.RECOVERY: "Recovery",
    StepKind.STRIDE: "Stride",
    StepKind.WALK: "Walk",
    StepKind.COOLDOWN: "Cooldown",
}
# A rep's cue names its pace ("400 m at R" has digits), as Daniels names them (docs/science.md#training-paces).
CUE_BY_LABEL = {"T": "Threshold", "I": "Interval", "R": "Repetition", "M": "Marathon effort"}
# Words the workout syntax reads as part of a target or a step's behaviour, never as a cue.
RESERVED_WORDS = frozenset({"pace", "ramp", "freeride", "press", "lap", "hr", "lthr", "mmp", "rpm", "w"})
_PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z ]*")
_REPEAT_LINE = re.compile(r"\d+\s*x\s*$", re.IGNORECASE)


def workout_text(w: Workout, easy_pace: tuple[float, float] | None = None) -> str:
    """``w`` as intervals.icu workout text; "" for a rest day. ``easy_pace``: the athlete's E range (fast,
    slow) in s/km, the warm-up's and cool-down's target (None: no target)."""
    blocks = workout_steps(w, easy_pace)
    paragraphs = [_note(w.note)] if w.note.strip() else []
    for header, section in _sections(blocks):
        paragraphs.extend(_section(header, section, label=_rep_label(w)))
    return "\n\n".join(p for p in paragraphs if p)


def _rep_label(w: Workout) -> dict[float, str]:
    """The pace label of each rep distance (a work step knows its distance, not its label)."""
    return {r.distance_m: r.label for r in w.reps}


def _sections(blocks: Sequence[Block]) -> list[tuple[str, list[Block]]]:
    """Consecutive blocks grouped under the section each belongs to."""
    grouped: list[tuple[str, list[Block]]] = []
    for block in blocks:
        header = _section_of(block)
        if grouped and grouped[-1][0] == header:
            grouped[-1][1].append(block)
        else:
            grouped.append((header, [block]))
    return grouped


def _section_of(block: Block) -> str:
    if isinstance(block, Step) and block.kind is StepKind.WARMUP:
        return WARMUP
    if isinstance(block, Step) and block.kind is StepKind.COOLDOWN:
        return COOLDOWN
    return MAIN


def _section(header: str, blocks: Sequence[Block], *, label: dict[float, str]) -> list[str]:
    """The section's paragraphs: the header opens the first; every repeat is a paragraph of its own."""
    paragraphs: list[str] = []
    current: list[str] = [header]
    for block in blocks:
        if isinstance(block, Repeat):
            lines = [line for s in block.steps if (line := step_line(s, label)) is not None]
            if not lines:
                continue
            if current == [header]:
                paragraphs.append("\n".join([f"{header} {block.count}x", *lines]))
            else:
                if current:  # the steps before the repeat (under the header, if it opened the section)
                    paragraphs.append("\n".join(current))
                paragraphs.append("\n".join([f"{block.count}x", *lines]))
            current = []
            continue
        line = step_line(block, label)
        if line is not None:
            current.append(line)
    if current and current != [header]:
        paragraphs.append("\n".join(current))
    return paragraphs


def step_line(step: Step, label: dict[float, str] | None = None) -> str | None:
    """``- <cue> <duration> [<target>]``; None for a step with neither a distance nor a time."""
    duration = _duration(step)
    if duration is None:
        return None
    parts = ["-", cue(step, label or {}), duration]
    if step.pace is not None:
        parts.append(pace_target(step.pace))
    return " ".join(parts)


def cue(step: Step, label: dict[float, str]) -> str:
    if step.kind is StepKind.WORK and step.distance_m is not None:
        named = CUE_BY_LABEL.get(label.get(step.distance_m, ""))
        if named:
            return named
    name = step.name.strip()
    words = {word.lower() for word in name.split()}
    if _PLAIN_WORDS.fullmatch(name) and not words & RESERVED_WORDS:
        return name
    return CUE_BY_KIND[step.kind]


def _duration(step: Step) -> str | None:
    if step.distance_m is not None and step.distance_m > 0:
        return distance_text(step.distance_m)
    if step.time_s is not None and step.time_s > 0:
        return time_text(step.time_s)
    return None


def distance_text(metres: float) -> str:
    """``400mtr`` below a kilometre; ``1.61km`` (to 10 m) from there."""
    if metres < KM_FROM_M:
        return f"{round(metres)}mtr"
    return f"{metres / 1000:.2f}".rstrip("0").rstrip(".") + "km"


def time_text(seconds: float) -> str:
    """``1h5m30s``, ``20m``, ``45s``: whole seconds, zero parts left out."""
    total = max(round(seconds), 1)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts)


def pace_text(seconds_per_km: float) -> str:
    return f"{minutes_seconds(seconds_per_km)}/km"


def pace_target(pace: tuple[float, float]) -> str:
    """``4:05/km-4:15/km Pace`` (fast end first), or ``4:10/km Pace`` when both ends round alike."""
    fast, slow = sorted(pace)
    if round(fast) == round(slow):
        return f"{pace_text(fast)} Pace"
    return f"{pace_text(fast)}-{pace_text(slow)} Pace"


def _note(note: str) -> str:
    """The note as plain text: a line that would read as a step (``- …``) or a repeat (``… 3x``) is not."""
    lines = []
    for raw in note.strip().splitlines():
        line = raw.strip().lstrip("-").strip()
        if _REPEAT_LINE.search(line):
            line += "."
        lines.append(line)
    return "\n".join(line for line in lines if line)
