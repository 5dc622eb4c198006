"""The plan's past is history (docs/science.md#past-is-history): a decision changes only workouts not done yet,
the days after today and today's workout while no run of today has arrived. A run synced the same morning
(the athlete runs at 07:00, the sync comes at 09:30) may make a decision; the workout of that day, and of every
day before it, stays what the athlete was given when they ran it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from planner import Activity, Plan, Workout, adapt, undo

from .helpers import START, as_planned, follow, plan16

MISSED_WEEK = 3  # the athlete is ill for this whole week, or runs half of it


def week_start(i: int) -> date:
    return START + timedelta(weeks=i)


def runs_of(plan: Plan, day: date) -> list[Workout]:
    return [w for w in plan.workouts() if w.date == day and w.is_run]


def on_days(plan: Plan, last: date) -> dict[str, Workout]:
    """The plan's workouts of the days up to and including ``last``, by id."""
    return {w.id: w for w in plan.workouts() if w.date <= last}


def first_run_day(plan: Plan, week: int) -> date:
    return min(w.date for w in plan.weeks[week].workouts if w.is_run)


Week3 = Callable[[Plan, list[Activity]], None]


def ill(plan: Plan, acts: list[Activity]) -> None:
    """No runs in the missed week: the first run back is answered by a return after the break."""


def half(plan: Plan, acts: list[Activity]) -> None:
    """Half of every run of the week: an under-done week, answered by a volume rebuild."""
    for w in plan.weeks[MISSED_WEEK].workouts:
        if w.is_run:
            acts.append(as_planned(w, 8_000 + len(acts), plan, distance_factor=0.5))


def before_the_week_after(week3: Week3) -> tuple[Plan, list[Activity]]:
    """Weeks as planned, then ``week3``; the plan as adapted last, on the missed week's Monday (nothing was synced
    since, so nothing adapted it at the start of the week after)."""
    plan, acts = follow(plan16(), week_start(MISSED_WEEK))
    acts = list(acts)
    week3(plan, acts)
    return plan, acts


@pytest.mark.parametrize(("week3", "code"), [(ill, "return_after_break"), (half, "volume_rebuild")])
def test_a_decision_made_by_todays_run_keeps_today_and_the_days_before(week3: Week3, code: str) -> None:
    plan, acts = before_the_week_after(week3)
    day = first_run_day(plan, MISSED_WEEK + 1)
    todays = [as_planned(w, 9_000 + i, plan) for i, w in enumerate(runs_of(plan, day))]
    result = adapt(plan, [*acts, *todays], day)

    assert code in {c.code for c in result.changes}, "the example needs the run to make the decision"
    assert on_days(result.plan, day) == on_days(plan, day), "today's run was the workout the plan held"
    later = {w.id: w for w in result.plan.workouts() if w.date > day}
    was = {w.id: w for w in plan.workouts() if w.date > day}
    assert later != was, "the decision changes the days ahead"
    # the decision does not claim a change it did not make: no change lists a workout of a done day that it did
    # not list before
    listed = {c.id: {d for d in c.workouts if d.after.date <= day} for c in plan.changes}
    for c in result.plan.changes:
        assert {d for d in c.workouts if d.after.date <= day} <= listed.get(c.id, set()), c.id
    decided = next(c for c in result.changes if c.code == code)
    assert all(d.after.date > day for d in decided.workouts)


def test_before_todays_run_the_same_decision_changes_today_too() -> None:
    plan, acts = before_the_week_after(ill)
    day = first_run_day(plan, MISSED_WEEK + 1)
    result = adapt(plan, acts, day)  # at midnight: nothing run today yet
    assert "return_after_break" in {c.code for c in result.changes}
    assert on_days(result.plan, day - timedelta(days=1)) == on_days(plan, day - timedelta(days=1))
    assert runs_of(result.plan, day) != runs_of(plan, day), "today is still ahead: the return starts today"


@pytest.mark.parametrize("week3", [ill, half])
def test_runs_synced_each_morning_are_done_as_planned(week3: Week3) -> None:
    """The demo's story: every run is the workout the plan holds for its day, synced that morning, the plan
    adapted only then. Every week so run shows as many km planned as done."""
    plan, acts = before_the_week_after(week3)
    given: dict[str, Workout] = {}
    day = week_start(MISSED_WEEK + 1)
    while day < week_start(MISSED_WEEK + 3):
        todays = runs_of(plan, day)
        if todays:
            acts.extend(as_planned(w, 10_000 + len(acts), plan) for w in todays)
            given.update((w.id, w) for w in todays)
            plan = adapt(plan, acts, day).plan
        day += timedelta(days=1)
    plan = adapt(plan, acts, day).plan

    shown = {w.id: w for w in plan.workouts()}
    assert {i: shown.get(i) for i in given} == given, "each day shows the workout that was run on it"
    for week in plan.weeks[MISSED_WEEK + 1 : MISSED_WEEK + 3]:
        done = sum(a.distance_m for a in acts if week.start <= a.local_date <= week.end) / 1000
        assert week.planned_km == pytest.approx(done, abs=0.15), week.start


def test_adapting_again_the_same_day_changes_nothing() -> None:
    plan, acts = before_the_week_after(ill)
    day = first_run_day(plan, MISSED_WEEK + 1)
    acts = [*acts, *(as_planned(w, 9_100 + i, plan) for i, w in enumerate(runs_of(plan, day)))]
    once = adapt(plan, acts, day)
    again = adapt(once.plan, acts, day)
    assert again.changes == ()
    assert again.plan == once.plan


def test_undoing_a_same_day_decision_gives_back_only_the_days_ahead() -> None:
    plan, acts = before_the_week_after(ill)
    day = first_run_day(plan, MISSED_WEEK + 1)
    acts = [*acts, *(as_planned(w, 9_200 + i, plan) for i, w in enumerate(runs_of(plan, day)))]
    made = adapt(plan, acts, day).plan
    change = next(c for c in made.changes if c.code == "return_after_break")
    reverted = undo(made, change.id, acts, day).plan
    assert change.id not in {c.id for c in reverted.changes}
    assert on_days(reverted, day) == on_days(plan, day)
    assert {w.id: w for w in reverted.workouts() if w.date > day} == {
        w.id: w for w in plan.workouts() if w.date > day
    }


def test_the_caller_names_the_workouts_that_are_done() -> None:
    """A caller that shows workouts on other days than planned (an athlete's moves) says which are done: those
    are kept whatever their planned date, and the others follow the decision."""
    plan, acts = before_the_week_after(ill)
    day = first_run_day(plan, MISSED_WEEK + 1)
    acts = [*acts, *(as_planned(w, 9_300 + i, plan) for i, w in enumerate(runs_of(plan, day)))]
    free = adapt(plan, acts, day).plan
    changed = [
        w for w in plan.workouts() if w.date > day and {x.id: x for x in free.workouts()}.get(w.id) != w
    ]
    assert changed, "the example needs a later workout the decision changes"
    moved_here = changed[0]  # say the athlete moved it to today and ran it
    done = frozenset([*on_days(plan, day), moved_here.id])
    kept = adapt(plan, acts, day, done=done).plan
    by_id = {w.id: w for w in kept.workouts()}
    assert by_id[moved_here.id] == moved_here
    assert all(by_id.get(i) == w for i, w in on_days(plan, day).items())
    assert [by_id.get(w.id) for w in changed[1:]] == [
        {x.id: x for x in free.workouts()}.get(w.id) for w in changed[1:]
    ]
