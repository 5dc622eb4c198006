"""A from → to line (messages/workouts.py change_line) shows what differs between the two sides: whatever field
of a workout the athlete reads changes, the line says it, so its two sides never read alike; a change the
athlete cannot read anywhere (the planner's own shorthand) is no line at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

import planner
from messages import examples, workouts
from messages.examples import TUESDAY
from planner.plan import RunWalk
from tests.unit.messages.checks import problems

Edit = Callable[[planner.Workout], planner.Workout]


def with_note(text: str) -> Edit:
    return lambda w: replace(w, note=f"{w.note}; {text}" if w.note else text)


def rep_edit(**fields: object) -> Edit:
    return lambda w: replace(w, reps=tuple(replace(r, **fields) for r in w.reps))  # type: ignore[arg-type]


# Each field of a workout the athlete reads (its plan page, its calendar event), changed alone.
EDITS: dict[str, Edit] = {
    "type": lambda w: replace(w, type=planner.WorkoutType.RECOVERY),
    "distance": lambda w: replace(w, distance_m=w.distance_m - 2000),
    "duration": lambda w: replace(w, duration_s=w.duration_s + 240),
    "pace range": lambda w: replace(w, pace=(w.pace[0] + 4, w.pace[1] + 4)),
    "strides": lambda w: replace(w, strides=w.strides + 2),
    "warm-up": lambda w: replace(w, warmup_m=w.warmup_m + 1000),
    "cool-down": lambda w: replace(w, cooldown_m=w.cooldown_m + 1000),
    "walk breaks": lambda w: replace(w, run_walk=RunWalk(6, 180.0, 60.0)),
    "a pace ceiling": with_note("keep it slower than 5:21/km"),
    **{f"a note ({note})": with_note(note) for note in examples.NOTES},
}
REP_EDITS: dict[str, Edit] = {
    "rep count": rep_edit(count=5),
    "rep length": rep_edit(distance_m=1000.0),
    "rep pace": rep_edit(pace=(264.0, 270.0)),
    "recovery": rep_edit(recovery_s=180.0),
}
BASES = {
    "easy with strides": examples.workout(TUESDAY, strides=6, note="easy, 6 strides"),
    "tempo": examples.tempo(TUESDAY),
}


def sides(line: str) -> tuple[str, str]:
    _day, change = line.split(": ", 1)
    before, after = change.split(" → ")
    return before, after


@pytest.mark.parametrize("audience", examples.AUDIENCES, ids=lambda a: str(a.units))
@pytest.mark.parametrize(
    ("base", "edit"),
    [(b, e) for b in BASES for e in EDITS] + [("tempo", e) for e in REP_EDITS],
)
def test_a_change_to_any_field_the_athlete_reads_is_said_and_the_sides_differ(
    audience: examples.Audience, base: str, edit: str
) -> None:
    before = BASES[base]
    after = {**EDITS, **REP_EDITS}[edit](before)
    line = workouts.change_line(audience, before, after)
    assert line is not None, (base, edit)
    was, now = sides(line)
    assert was != now, line
    assert not problems(line, audience.units), (line, problems(line, audience.units))


@pytest.mark.parametrize("audience", examples.AUDIENCES, ids=lambda a: str(a.units))
def test_a_pace_ceiling_is_said_in_the_athletes_unit(audience: examples.Audience) -> None:
    before = BASES["easy with strides"]
    line = workouts.change_line(audience, before, with_note("keep it slower than 5:23/km")(before))
    assert line is not None
    assert sides(line)[1].endswith(audience.pace(5 * 60 + 23))


def test_what_the_sides_show_is_only_what_differs_once_the_distance_and_kind_read_the_same() -> None:
    audience = examples.AUDIENCES[0]
    before = BASES["easy with strides"]
    shorter = workouts.change_line(audience, before, EDITS["distance"](before))
    assert (
        shorter
        == f"{audience.day(TUESDAY)}: {audience.distance(10_000)} easy → {audience.distance(8_000)} easy"
    )
    strides = workouts.change_line(audience, before, EDITS["strides"](before))
    assert strides is not None
    assert audience.pace_range(before.pace) not in strides  # the pace did not change: it is not said


def test_a_change_only_in_the_planners_own_shorthand_is_no_line() -> None:
    for audience in examples.AUDIENCES:
        for before in BASES.values():
            assert (
                workouts.change_line(audience, before, replace(before, note="reworded by the planner"))
                is None
            )


def test_every_note_the_athlete_reads_has_a_phrase_beside_a_distance() -> None:
    kinds = workouts.note_context("; ".join(["no hard sessions while you build back up", *examples.NOTES]))
    assert sorted(kinds["note_kinds"]) == sorted(kind for _, kind in workouts.NOTE_RULES)


def test_a_pace_the_repeats_share_is_said_once_a_side() -> None:
    for audience in examples.AUDIENCES:
        before = examples.tempo(TUESDAY)
        faster = (before.pace[0] - 4, before.pace[1] - 4)
        after = replace(before, pace=faster, reps=tuple(replace(r, pace=faster) for r in before.reps))
        line = workouts.change_line(audience, before, after)
        assert line is not None
        was, now = sides(line)
        assert was.count(audience.pace_value(before.pace[0])) == 1, line
        assert now.count(audience.pace_value(faster[0])) == 1, line
