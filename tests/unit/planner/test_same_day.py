"""Today's runs count at once (docs/planner.md#adaptation, "today"): ``as_of`` is today, a run dated today is
done, and today's planned workouts are missed only once the day is over. The guards whose evidence only grows
through a week (the single-run spike, the speed budget) answer a run the day it is synced; the weekly rules
(volume, breaks) wait for the week's end, so a week in progress is never judged as under-done."""

from __future__ import annotations

from datetime import date, timedelta

from planner import Plan, WorkoutType, adapt, plan_compliance, training_paces

from .helpers import START, follow, plan16, run


def week_start(i: int) -> date:
    return START + timedelta(weeks=i)


def adapted_daily(plan: Plan, acts: list, first: date, last: date) -> Plan:  # type: ignore[type-arg]
    """The plan adapted on every day from ``first`` to ``last``, as a worker would on each sync."""
    day = first
    while day <= last:
        plan = adapt(plan, acts, day).plan
        day += timedelta(days=1)
    return plan


def test_a_spike_run_today_is_answered_the_same_day() -> None:
    plan, acts = follow(plan16(), week_start(3))
    today = week_start(3) + timedelta(days=2)  # a Wednesday; Thursday and Friday hold easy runs
    plan = adapted_daily(plan, acts, week_start(3), today)
    spike = run(9_001, today, 24.0)  # twice the longest run of the last 30 days
    result = adapt(plan, [*acts, spike], today)
    made = {c.id: c for c in result.changes}
    change = made.get(f"run_spike@{week_start(3).isoformat()}")
    assert change is not None, "a spike run synced today must be answered today, not at the next event"
    assert change.facts["run_date"] == today.isoformat()
    after = {w.date: w for w in result.plan.weeks[3].workouts if w.is_run}
    next_days = [today + timedelta(days=i) for i in (1, 2) if today + timedelta(days=i) in after]
    assert next_days, "the example needs a planned run in the two days after the spike"
    assert all(after[d].type is WorkoutType.RECOVERY for d in next_days)


def test_a_speed_overshoot_today_is_answered_the_same_day() -> None:
    plan, acts = follow(plan16(), week_start(3))
    today = week_start(3) + timedelta(days=1)  # Tuesday's easy run, run at threshold pace for 50 minutes
    plan = adapted_daily(plan, acts, week_start(3), today)
    threshold = training_paces(plan.vdot).threshold
    fast = run(9_002, today, 50 * 60 / threshold, threshold)
    result = adapt(plan, [*acts, fast], today)
    change = next((c for c in result.changes if c.code == "intensity_reduced"), None)
    assert change is not None, "an overshoot run today must be answered today, not after the week"
    assert change.id == f"intensity_reduced@{week_start(3).isoformat()}"
    assert change.facts["week_in_progress"] is True
    assert change.reason.startswith("This week already has")
    # the response is for the weeks ahead, as for a week that is over; the rest of this week is untouched
    assert change.workouts
    assert all(d.after.date >= week_start(4) for d in change.workouts)
    assert {c.code for c in result.changes} == {"intensity_reduced"}  # no spike: only the speed guard


def test_the_same_day_decision_keeps_its_id_when_the_week_ends() -> None:
    plan, acts = follow(plan16(), week_start(3))
    today = week_start(3) + timedelta(days=1)
    threshold = training_paces(plan.vdot).threshold
    acts = [*acts, run(9_003, today, 50 * 60 / threshold, threshold)]
    daily = [adapt(plan, acts, week_start(3) + timedelta(days=i)).plan for i in range(1, 8)]
    ids = [{c.id for c in p.changes if c.code == "intensity_reduced"} for p in daily]
    key = f"intensity_reduced@{week_start(3).isoformat()}"
    assert all(found == {key} for found in ids), ids
    last = next(c for c in daily[-1].changes if c.id == key)
    assert last.facts["week_in_progress"] is False  # judged again once the week is over: same decision
    assert last.reason.startswith("Last week had")


def test_todays_workouts_are_not_missed_before_the_day_is_over() -> None:
    plan, acts = follow(plan16(), week_start(3))
    sunday = week_start(3) + timedelta(days=6)
    # nothing run all week: on Sunday the week is not over, so no weekly rule judges it yet
    on_sunday = adapted_daily(plan, acts, week_start(3), sunday)
    this_week = week_start(3)
    assert not [c for c in on_sunday.changes if c.week_start == this_week]
    status = plan_compliance(on_sunday, acts, sunday)
    by_date = {w.date: status[w.id].status for w in on_sunday.weeks[3].workouts if w.is_run}
    assert by_date[sunday] == "planned"
    assert all(s == "missed" for d, s in by_date.items() if d < sunday)
    # once it is over, the week without runs is a break
    monday = adapt(on_sunday, acts, week_start(4)).plan
    assert "return_after_break" in {c.code for c in monday.changes if c.week_start == this_week}


def test_a_week_done_as_planned_is_not_under_done_on_its_last_day() -> None:
    # Monday to Saturday as planned and Sunday's long run done this morning: the partial day neither makes the
    # week look under-done before it is over nor counts twice after
    base = plan16()
    plan, acts = follow(base, week_start(4))
    sunday = week_start(3) + timedelta(days=6)
    before_sunday = [a for a in acts if a.local_date < sunday]
    on_sunday = adapt(
        adapted_daily(base, before_sunday, week_start(3), sunday - timedelta(days=1)), acts, sunday
    )
    assert "volume_rebuild" not in {c.code for c in on_sunday.plan.changes}
    assert adapt(on_sunday.plan, acts, sunday).changes == ()  # idempotent with today's run counted
    monday = adapt(on_sunday.plan, acts, week_start(4)).plan
    assert "volume_rebuild" not in {c.code for c in monday.changes}
