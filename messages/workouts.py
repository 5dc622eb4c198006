"""A workout in the athlete's words: its name, target, pace and parts; and one changed workout, from → to.

The planner's ``Workout.note`` is the planner's own shorthand ("long run at E pace", "3 × 1 mile at T",
"...; keep it slower than 5:21/km"): it restates the structure the fields already hold, or records why an
adaptation changed the workout. The athlete reads the structure from the fields (in their units) and the why
from the catalogue (``NOTE_RULES``), never the shorthand itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import planner
from messages import catalogue
from messages.audience import Audience

# (pattern in the planner's note, the phrase the athlete reads: a key of workout.txt's `notes`)
NOTE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no hard sessions while you build back up"), "return_easy"),
    (re.compile(r"easy instead of a hard session"), "speed_easy"),
    (re.compile(r"shortened: last week had more speed"), "speed_shorter"),
    (re.compile(r"held back after a sudden long run"), "spike_long_held"),
    (re.compile(r"easy and short after a long one"), "spike_recovery"),
    (re.compile(r"take it very easy"), "speed_recovery"),
    (re.compile(r"110 % spike rule"), "spike_capped"),
    (re.compile(r"the week is too small for"), "week_too_small"),
)
CEILING = re.compile(r"slower than (\d+):(\d\d)/km")
# What a from → to line can say besides the distance and the kind (_workout.txt), in this order: every field of
# a workout the athlete reads somewhere (the plan page, the calendar) is one of these.
ASPECTS = ("pace", "reps", "rep_paces", "warmup", "strides", "run_walk", "duration", "notes")
# An aspect left out when one it follows from is said: rep paces add to the repeats, and follow the workout's
# pace (a structured workout's range is its repeats'); a duration follows from the pace and the structure.
IMPLIED_BY = {
    "rep_paces": frozenset({"reps", "pace"}),
    "duration": frozenset({"pace", "reps", "rep_paces", "warmup", "run_walk"}),
}


@dataclass(frozen=True)
class WorkoutText:
    name: str  # "Tempo run"
    target: str  # "8 km · about 48 min" ("" for a rest day)
    pace: str  # "5:21–6:03/km" ("" for a rest day)
    lines: tuple[str, ...]  # warm-up, repeats, strides, cool-down, why it changed

    def text(self) -> str:
        head = f"{self.name}: {self.target}" if self.target else self.name
        return "\n".join([head, *([self.pace] if self.pace else []), *self.lines])


def as_workout(value: planner.Workout | Mapping[str, Any]) -> planner.Workout:
    """The planner's workout, from itself or from its JSON (the plan API's read model adds fields; ignored)."""
    return value if isinstance(value, planner.Workout) else planner.workout_from_dict(dict(value))


def note_context(note: str) -> dict[str, Any]:
    """What a planner note says beyond the structure: the catalogue's phrases for it, and a pace ceiling."""
    kinds = [kind for pattern, kind in NOTE_RULES if pattern.search(note)]
    found = CEILING.search(note)
    ceiling = int(found[1]) * 60 + int(found[2]) if found else None
    return {"note_kinds": kinds, "ceiling_s_per_km": ceiling}


def describe(audience: Audience, value: planner.Workout | Mapping[str, Any]) -> WorkoutText:
    w = as_workout(value)
    message = catalogue.render("workout", audience, workout=w, **note_context(w.note))
    return WorkoutText(
        name=message.headline,
        target=message.body,
        pace=audience.pace_range(w.pace) if w.is_run else "",
        lines=message.details,
    )


def change_line(
    audience: Audience, before: planner.Workout | None, after: planner.Workout | None
) -> str | None:
    """ "Tue 24 Nov: 10 km easy → 6 km recovery": the distance and the kind, and when those read the same on
    both sides, every other aspect that differs (the pace, the repeats, the strides, a pace ceiling ...), so
    the two sides never read alike; a newly planned or no longer planned workout says so. None when nothing
    the athlete reads differs (the planner's own shorthand changed, nothing else)."""
    context: dict[str, Any] = {
        "before": before,
        "after": after,
        "notes_before": note_context(before.note) if before is not None else {},
        "notes_after": note_context(after.note) if after is not None else {},
    }
    shown: list[str] = []
    same_day = before is not None and after is not None and before.date == after.date
    if same_day and _same(audience, context, []):
        shown = _differing(audience, context)
        if not shown:
            return None
    return catalogue.render("workout_change", audience, **context, shown=shown).headline


def _same(audience: Audience, context: dict[str, Any], shown: list[str]) -> bool:
    before, after = _sides(audience, context, shown)
    return before == after


def _sides(audience: Audience, context: dict[str, Any], shown: list[str]) -> tuple[str, str]:
    sides = catalogue.render_blocks("workout_change", audience, ("before", "after"), **context, shown=shown)
    return sides["before"], sides["after"]


def _differing(audience: Audience, context: dict[str, Any]) -> list[str]:
    differ = [aspect for aspect in ASPECTS if not _same(audience, context, [aspect])]
    return [a for a in differ if not IMPLIED_BY.get(a, frozenset()) & set(differ)]
