"""The intervals.icu stand-in's reading of workout text (simulator/intervals_icu.py): the part of intervals.icu's
workout-builder syntax that running workouts with pace targets use (docs/connectors.md#workout-text).

intervals.icu turns an event's `description` into structured steps for the watch; the stand-in does the same
for the subset below, so tests and the demo see what a watch would get, and every step line it cannot read is
reported in `unparsed` instead of being dropped quietly:

* ``- <cue> <duration> [<target>]``: the duration is a distance (``400mtr``, ``1.6km``, ``2mi``) or a time
  (``1h5m30s``, ``20m``, ``45s``; ``m`` is minutes); the target an absolute pace or pace range
  (``4:10/km Pace``, ``4:05/km-4:15/km Pace``); the cue is the text before the duration;
* a line ending in ``<n>x`` (``5x``, ``Main Set 5x``) repeats the step lines that follow, up to a blank line;
* any other line is plain text.

Independent of planner/icu_workout_text.py on purpose (it imports nothing of ours): it is the second reading
that the writer's tests compare against, as fitdecode is for the FIT files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MILE_M = 1609.344
_DISTANCE = re.compile(r"^(\d+(?:\.\d+)?)(mtr|km|mi)$")
_TIME = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_PACE = re.compile(r"^(\d+):([0-5]\d)/km$")
_REPEAT = re.compile(r"^(?:(.*\S)\s+)?(\d+)x$", re.IGNORECASE)


@dataclass
class WorkoutDoc:
    """What a workout text says: its steps (repeats as ``{"reps": n, "steps": [...]}``), the lines that looked
    like steps but could not be read, and the totals of what it asks for."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    def expanded(self) -> list[dict[str, Any]]:
        """Every step in the order it is run, repeats written out."""
        out: list[dict[str, Any]] = []
        for step in self.steps:
            out.extend(step["steps"] * step["reps"] if "reps" in step else [step])
        return out

    def as_dict(self) -> dict[str, Any]:
        steps = self.expanded()
        return {
            "steps": self.steps,
            "unparsed": self.unparsed,
            "distance": sum(s.get("distance") or 0.0 for s in steps),
            "duration": sum(s.get("duration") or 0.0 for s in steps),
        }


def parse(text: str) -> WorkoutDoc:
    doc = WorkoutDoc()
    repeat: dict[str, Any] | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            repeat = None  # a blank line ends a repeat
            continue
        if line.startswith("-"):
            step = parse_step(line[1:].strip())
            if step is None:
                doc.unparsed.append(line)
            elif repeat is not None:
                repeat["steps"].append(step)
            else:
                doc.steps.append(step)
            continue
        header = _REPEAT.match(line)
        repeat = {"reps": int(header.group(2)), "steps": []} if header else None  # plain text ends one
        if header and repeat is not None:
            if header.group(1):
                repeat["text"] = header.group(1)
            doc.steps.append(repeat)
    doc.steps = [s for s in doc.steps if "reps" not in s or s["steps"]]
    return doc


def parse_step(body: str) -> dict[str, Any] | None:
    """One step line without its dash; None when it has no duration or holds a word after it we cannot read."""
    tokens = body.split()
    for index, token in enumerate(tokens):
        amount = _amount(token)
        if amount is None:
            continue
        step: dict[str, Any] = {"text": " ".join(tokens[:index]), **amount}
        rest = tokens[index + 1 :]
        if not rest:
            return step
        pace = _pace(rest)
        if pace is None:
            return None
        step["pace"] = pace
        return step
    return None


def _amount(token: str) -> dict[str, float] | None:
    distance = _DISTANCE.match(token)
    if distance:
        value, unit = float(distance.group(1)), distance.group(2)
        return {"distance": value * {"mtr": 1.0, "km": 1000.0, "mi": MILE_M}[unit]}
    time = _TIME.match(token)
    if time and any(time.groups()):
        hours, minutes, seconds = (int(part or 0) for part in time.groups())
        return {"duration": float(hours * 3600 + minutes * 60 + seconds)}
    return None


def _pace(tokens: list[str]) -> dict[str, float] | None:
    """``4:10/km Pace`` or ``4:05/km-4:15/km Pace``: {"start": fast, "end": slow} in s/km."""
    if len(tokens) != 2 or tokens[1].lower() != "pace":
        return None
    ends = [_PACE.match(part) for part in tokens[0].split("-")]
    if not 1 <= len(ends) <= 2 or not all(ends):
        return None
    seconds = sorted(int(m.group(1)) * 60 + int(m.group(2)) for m in ends if m)
    return {"start": float(seconds[0]), "end": float(seconds[-1])}
