"""plans/decisions.py without a database: which future workouts differ, how the planner's changes become
decisions and revisions, and the key that names them (docs/api.md#decisions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

import planner
from plans import decisions
from store.plan_models import DecisionStatus, PlanDecision
from store.plan_repository import DecisionRevision

START = date(2026, 11, 23)  # a Monday
TODAY = START + timedelta(days=9)  # Wednesday of the second week


@pytest.fixture(scope="module")
def plan() -> planner.Plan:
    athlete = planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45, long_run_km=12)
    return planner.generate_plan(
        athlete, planner.Goal(planner.GoalKind.RACE, START + timedelta(weeks=12), 10000), START
    )


def edited(plan: planner.Plan, edit: dict[str, planner.Workout | None]) -> planner.Plan:
    """`plan` with workouts replaced by id (None: removed); an id not in the plan is added to its week."""
    weeks = []
    for week in plan.weeks:
        kept = [edit.get(w.id, w) for w in week.workouts]
        added = [w for i, w in edit.items() if w is not None and week.start <= w.date <= week.end]
        added = [w for w in added if w.id not in {k.id for k in week.workouts}]
        workouts = tuple(sorted([w for w in [*kept, *added] if w is not None], key=lambda w: w.date))
        weeks.append(replace(week, workouts=workouts))
    return replace(plan, weeks=tuple(weeks))


def change(code: str, reason: str, *diffs: planner.WorkoutDiff, week: date = START) -> planner.Change:
    return planner.Change(f"{code}@{week.isoformat()}", code, week, reason, tuple(diffs))


def stored(
    c: planner.Change, revision: int = 1, status: DecisionStatus = DecisionStatus.ACTIVE
) -> PlanDecision:
    return PlanDecision(
        change_id=c.id,
        code=c.code,
        week_start=c.week_start,
        revision=revision,
        status=status.value,
        reason=c.reason,
        change=planner.change_to_dict(c),
    )


# --- future workouts ------------------------------------------------------------------------------------


def test_bookkeeping_alone_is_no_change(plan: planner.Plan) -> None:
    later = replace(plan, as_of=TODAY, vdot=plan.vdot + 1, warnings=("new",), changes=(change("x", "why"),))
    assert decisions.future_workout_changes(plan, later, TODAY) == ()


def test_only_workouts_from_today_on_count(plan: planner.Plan) -> None:
    past = next(w for w in plan.workouts() if w.date < TODAY)
    assert (
        decisions.future_workout_changes(plan, edited(plan, {past.id: replace(past, distance_m=1)}), TODAY)
        == ()
    )
    today = next(w for w in plan.workouts() if w.date >= TODAY)
    shorter = replace(today, distance_m=today.distance_m - 1000)
    found = decisions.future_workout_changes(plan, edited(plan, {today.id: shorter}), TODAY)
    assert found == (decisions.WorkoutChange(today, shorter),)
    assert found[0].workout_id == today.id


def test_added_removed_and_moved_workouts_in_date_order(plan: planner.Plan) -> None:
    future = [w for w in plan.workouts() if w.date >= TODAY]
    gone, moved = future[0], future[2]
    free_day = next(
        d
        for d in (TODAY + timedelta(days=n) for n in range(14))
        if d not in {w.date for w in plan.workouts()}
    )
    new = replace(future[1], id=f"w{free_day:%Y%m%d}", date=free_day)
    to = (
        moved.date + timedelta(days=1)
        if moved.date + timedelta(days=1) != free_day
        else moved.date - timedelta(days=1)
    )
    after = edited(plan, {gone.id: None, moved.id: replace(moved, date=to), new.id: new})
    found = decisions.future_workout_changes(plan, after, TODAY)
    assert {(c.before, c.after) for c in found} == {
        (gone, None),
        (None, new),
        (moved, replace(moved, date=to)),
    }
    dates = [(c.after or c.before).date for c in found]  # type: ignore[union-attr]
    assert dates == sorted(dates)


# --- the workouts a message lists -----------------------------------------------------------------------


def on(plan: planner.Plan, day: date) -> planner.Workout:
    return next(w for w in plan.workouts() if w.date == day)


def test_a_message_lists_only_its_decisions_workouts_from_the_last_version_to_now(plan: planner.Plan) -> None:
    # The decision was told before (revision 1 made Friday's run 6 km of 9.6); revised, it makes it 5 km and
    # drops Sunday's run of its week. The same version holds the athlete's move of a run the week after, a
    # change by a decision this message does not announce, and a run added in a week the decision leaves alone.
    friday, sunday = on(plan, START + timedelta(days=11)), on(plan, START + timedelta(days=13))
    later = plan.weeks[2].workouts
    moved, other = later[-1], later[0]
    told = edited(plan, {friday.id: replace(friday, distance_m=6000)})  # as the athlete has it now
    added = replace(other, id=f"w{START + timedelta(days=14):%Y%m%d}", date=START + timedelta(days=14))
    new = edited(
        told,
        {
            friday.id: replace(friday, distance_m=5000),
            sunday.id: None,
            moved.id: replace(moved, date=moved.date - timedelta(days=1)),
            other.id: replace(other, distance_m=other.distance_m - 1000),
            added.id: added,
        },
    )
    revised = change(
        "volume_rebuild", "You ran 3 of 40 km.", planner.WorkoutDiff(friday, replace(friday, distance_m=5000))
    )
    unannounced = change(
        "run_spike",
        "A long run.",
        planner.WorkoutDiff(other, on(new, other.date)),
        week=START + timedelta(weeks=2),
    )
    workouts = decisions.future_workout_changes(told, new, TODAY)
    assert len(workouts) == 5, "not vacuous: the version changes five workouts"

    listed = decisions.decided_workout_changes(workouts, [revised], new)

    # From what the athlete had before this version (6 km, told already), not the decision's own before.
    assert listed == (
        decisions.WorkoutChange(replace(friday, distance_m=6000), replace(friday, distance_m=5000)),
        decisions.WorkoutChange(sunday, None),
    )
    both = decisions.decided_workout_changes(workouts, [revised, unannounced], new)
    assert [c.workout_id for c in both] == [friday.id, sunday.id, added.id, other.id]  # by date
    assert decisions.decided_workout_changes(workouts, [], new) == ()


def test_a_message_speaks_of_its_active_decisions_as_judged_now_and_its_ended_ones_as_they_stood() -> None:
    now = change("volume_rebuild", "You ran 5 of 40 km.")
    gone = change("run_spike", "A long run.", week=START + timedelta(weeks=1))
    revised = decisions.revisions(
        {now.id: stored(replace(now, reason="You ran 3 of 40 km.")), gone.id: stored(gone)},
        [now],
        frozenset(),
    )
    assert decisions.announced(revised, {now.id: now}) == (now, gone)


# --- revisions --------------------------------------------------------------------------------------------


def test_a_new_change_is_a_new_decision_and_an_unchanged_one_is_nothing(plan: planner.Plan) -> None:
    w = plan.workouts()[5]
    kept = change(
        "volume_rebuild", "You ran 3 of 40 km.", planner.WorkoutDiff(w, replace(w, distance_m=5000))
    )
    new = change("intensity_reduced", "Too fast.", week=START + timedelta(weeks=1))
    made = decisions.revisions({kept.id: stored(kept, revision=3)}, [kept, new], frozenset())
    assert [(r.change_id, r.revision, r.status) for r in made] == [(new.id, 1, DecisionStatus.ACTIVE)]
    assert made[0].change == planner.change_to_dict(new)


@pytest.mark.parametrize("what", ["reason", "workouts"])
def test_another_evaluation_is_the_next_revision(plan: planner.Plan, what: str) -> None:
    w = plan.workouts()[5]
    before = change(
        "volume_rebuild", "You ran 3 of 40 km.", planner.WorkoutDiff(w, replace(w, distance_m=5000))
    )
    if what == "reason":
        after = replace(before, reason="You ran 5 of 40 km.")
    else:
        after = replace(before, workouts=(planner.WorkoutDiff(w, replace(w, distance_m=6000)),))
    made = decisions.revisions({before.id: stored(before, revision=2)}, [after], frozenset())
    assert made == [
        DecisionRevision(
            after.id, after.code, after.week_start, 3, DecisionStatus.ACTIVE, after.reason,
            planner.change_to_dict(after),
        )
    ]  # fmt: skip


def test_a_vanished_decision_is_withdrawn_or_undone_with_its_last_evaluation() -> None:
    first = change("volume_rebuild", "You ran 3 of 40 km.")
    second = change("run_spike", "A long run.", week=START + timedelta(weeks=1))
    known = {first.id: stored(first, revision=2), second.id: stored(second)}
    made = decisions.revisions(known, [], frozenset({second.id}))
    assert [(r.change_id, r.revision, r.status, r.reason) for r in made] == [
        (first.id, 3, DecisionStatus.WITHDRAWN, first.reason),
        (second.id, 2, DecisionStatus.UNDONE, second.reason),
    ]
    assert made[0].change == known[first.id].change


def test_an_ended_decision_ends_once_and_comes_back_as_a_revision() -> None:
    c = change("volume_rebuild", "You ran 3 of 40 km.")
    withdrawn = {c.id: stored(c, revision=2, status=DecisionStatus.WITHDRAWN)}
    assert decisions.revisions(withdrawn, [], frozenset()) == []
    undone = {c.id: stored(c, revision=2, status=DecisionStatus.UNDONE)}
    assert decisions.revisions(undone, [], frozenset({c.id})) == []
    back = decisions.revisions(withdrawn, [c], frozenset())
    assert [(r.revision, r.status) for r in back] == [(3, DecisionStatus.ACTIVE)]


def test_the_same_evaluation_read_back_from_json_is_no_revision(plan: planner.Plan) -> None:
    w = plan.workouts()[5]
    c = change("volume_rebuild", "why", planner.WorkoutDiff(w, replace(w, distance_m=5000.0)))
    as_json = stored(c)
    as_json.change = {
        **as_json.change,
        "workouts": [{**d, "after": {**d["after"], "distance_m": 5000}} for d in as_json.change["workouts"]],
    }
    assert decisions.revisions({c.id: as_json}, [c], frozenset()) == []


# --- the key ----------------------------------------------------------------------------------------------


def revision(change_id: str, number: int) -> DecisionRevision:
    return DecisionRevision(change_id, "code", START, number, DecisionStatus.ACTIVE, "why", {})


def test_the_key_names_each_decision_and_revision_in_any_order() -> None:
    a, b = revision("volume_rebuild@2026-11-23", 2), revision("intensity_reduced@2026-11-30", 1)
    key = decisions.announcement_key("plan.updated", 7, [a, b])
    assert key == "plan.updated:7:intensity_reduced@2026-11-30#r1,volume_rebuild@2026-11-23#r2"
    assert decisions.announcement_key("plan.updated", 7, [b, a]) == key
    assert decisions.announcement_key("plan.updated", 7, [replace(a, revision=3), b]) != key
    assert decisions.announcement_key("plan.updated", 8, [a, b]) != key


def test_a_long_list_is_named_by_its_digest_within_the_column() -> None:
    many = [revision(f"volume_rebuild@2026-{month:02d}-01", 1) for month in range(1, 13)]
    key = decisions.announcement_key("plan.updated", 123456789, many)
    assert len(key) <= decisions.KEY_MAX
    assert key.startswith("plan.updated:123456789:sha256:")
    assert decisions.announcement_key("plan.updated", 123456789, list(reversed(many))) == key
    assert (
        decisions.announcement_key("plan.updated", 123456789, many[:-1] + [replace(many[-1], revision=2)])
        != key
    )
