"""Adaptation rules (docs/planner.md#adaptation, docs/science.md), idempotence, the frozen past and undo."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from planner import Plan, WorkoutType, adapt, fvdot, generate_plan, training_paces, undo
from planner.adapt import lost_days

from . import invariants as inv
from .helpers import START, as_planned, athlete, follow, plan16, race_goal, run


def week_start(i: int) -> date:
    return START + timedelta(weeks=i)


def codes(plan: Plan) -> list[str]:
    return [c.code for c in plan.changes]


def training_km(plan: Plan, i: int) -> float:
    return sum(w.distance_m for w in plan.weeks[i].workouts if w.type is not WorkoutType.RACE) / 1000


# --- the perfect athlete ---------------------------------------------------------------------------------


def test_perfect_athlete_gets_no_changes_and_the_plan_stays_the_baseline() -> None:
    base = plan16()
    plan, acts = follow(base, week_start(12))
    assert plan.changes == ()
    assert plan.weeks == base.weeks
    again = adapt(plan, acts, week_start(12))
    assert again.changes == ()


# --- missed volume (docs/science.md#ramp-after-under-done-weeks) ------------------------------------------


def test_red_week_follows_what_was_run_and_never_crams() -> None:
    base = plan16()
    # week 3 is a down week (32 km); the athlete runs only Tuesday and Friday; week 4 was to rise to 47 km
    skip = [w.date for w in base.weeks[3].workouts if w.date.weekday() not in (1, 4)]
    plan, acts = follow(base, week_start(4), skip=skip)
    assert codes(plan) == ["volume_rebuild"]
    done = sum(a.distance_m for a in acts if week_start(3) <= a.local_date < week_start(4)) / 1000
    planned = training_km(base, 3)
    assert done / planned < 0.5
    # next week follows what was actually run: at most 15 % more (the old rule asked for 50 % of the plan)
    assert training_km(plan, 4) <= 1.15 * done + 0.5
    change = plan.changes[0]
    assert f"You ran {done:.0f} of {planned:.0f} planned km last week" in change.reason
    assert f"instead of {training_km(base, 4):.0f} km" in change.reason
    # never cram: no later week above the baseline; the way back climbs by at most 15 % a week
    for i in range(4, 16):
        assert training_km(plan, i) <= training_km(base, i) + 0.1
    for i in range(5, 8):
        assert training_km(plan, i) <= 1.15 * training_km(plan, i - 1) + 0.5


def test_partial_week_follows_what_was_run() -> None:
    base = plan16()
    # skip only the long run of week 3 (down week, 32 km) → about 70 %: next week ~15 % above what was run,
    # not the 32 km the old rule held at (×1.4 what was run)
    skip = [w.date for w in base.weeks[3].workouts if w.type is WorkoutType.LONG]
    plan, acts = follow(base, week_start(4), skip=skip)
    done = sum(a.distance_m for a in acts if week_start(3) <= a.local_date < week_start(4)) / 1000
    assert codes(plan) == ["volume_rebuild"]
    assert training_km(plan, 4) == pytest.approx(1.15 * done, abs=1.0)
    assert "Missed runs are not made up" in plan.changes[0].reason


def test_a_nearly_full_week_changes_nothing_and_a_green_one_only_a_little() -> None:
    base = plan16()

    def ran(share: float):  # type: ignore[no-untyped-def]
        def behaviour(w, plan):  # type: ignore[no-untyped-def]
            return [{"distance_factor": share}] if week_start(2) <= w.date < week_start(3) else [{}]

        return behaviour

    # 90 %: the ceiling (1.75 × what was run) is far above any planned step
    plan, _ = follow(base, week_start(3), behaviour=ran(0.9))
    assert plan.changes == ()
    # the response is continuous in compliance: just inside the green band the plan changes at most a little
    # (the old rule changed nothing at 80 % and cut next week to half the plan at 49 %)
    plan, _ = follow(base, week_start(3), behaviour=ran(0.82))
    assert training_km(plan, 3) >= 0.95 * training_km(base, 2)


# --- breaks (docs/science.md#return-after-break) ---------------------------------------------------------


def test_two_weeks_off_returns_at_half_then_ramps_with_fvdot_paces() -> None:
    base = plan16()
    off = [base.start + timedelta(days=d) for d in range(28, 42)]  # weeks 4 and 5
    plan, acts = follow(base, week_start(6), skip=off)
    assert "return_after_break" in codes(plan)
    last = [c for c in plan.changes if c.code == "return_after_break"][-1]
    days = int(last.reason.split("No runs for ")[1].split(" days")[0])
    assert 14 <= days <= 16
    assert plan.vdot == pytest.approx(base.vdot * fvdot(days))
    # the load before the break: the most run in one of the 4 weeks before it
    ref = max(
        sum(a.distance_m for a in acts if week_start(i) <= a.local_date < week_start(i + 1)) for i in range(4)
    )
    assert training_km(plan, 6) == pytest.approx(0.5 * ref / 1000, abs=1.5)  # first half of the return: 50 %
    # then at most 15 % more a week (the 75 % stage would be +50 % in one week)
    for i in range(7, 10):
        assert training_km(plan, i) <= 1.15 * training_km(plan, i - 1) + 0.5
    for i in (6, 7):
        assert not any(w.is_quality for w in plan.weeks[i].workouts)
    # the slower paces apply to every later workout
    e = training_paces(plan.vdot).easy
    assert plan.weeks[8].workouts[0].pace == (round(e[0], 1), round(e[1], 1))


def test_short_break_of_five_days_changes_no_paces() -> None:
    base = plan16()
    off = [base.start + timedelta(days=d) for d in range(14, 18)]  # Mon–Thu of week 2: 4 days without a run
    plan, _ = follow(base, week_start(3), skip=off)
    assert plan.vdot == base.vdot
    assert "return_after_break" not in codes(plan)


def test_ten_days_lost_in_the_last_8_weeks_recommends_revising_the_goal() -> None:
    base = plan16()
    off = [base.start + timedelta(days=d) for d in range(70, 84)]  # weeks 10–11, inside the last 8 weeks
    plan, _ = follow(base, week_start(12), skip=off)
    revise = [c for c in plan.changes if c.code == "revise_goal"]
    assert len(revise) == 1
    assert "revising your goal" in revise[0].reason
    assert revise[0].workouts == ()
    race = [w for w in plan.workouts() if w.type is WorkoutType.RACE]
    assert [r.date for r in race] == [base.goal.date]  # the race date stays fixed


def test_the_same_break_early_in_the_plan_does_not_ask_to_revise() -> None:
    base = plan16()
    off = [base.start + timedelta(days=d) for d in range(14, 28)]
    plan, _ = follow(base, week_start(5), skip=off)
    assert "revise_goal" not in codes(plan)
    assert "return_after_break" in codes(plan)


def test_lost_days_counts_stretches_that_swallow_planned_runs() -> None:
    base = plan16()
    weeks = [w.workouts for w in base.weeks]
    runs = sorted({w.date for w in base.workouts()} - {week_start(10) + timedelta(days=d) for d in range(10)})
    assert lost_days(weeks, runs, week_start(8), week_start(12)) >= 10
    assert lost_days(weeks, sorted(w.date for w in base.workouts()), week_start(8), week_start(12)) == 0


# --- intensity (docs/science.md#speed-budget) -------------------------------------------------------------


def _fast_easy_in_week(i: int):  # type: ignore[no-untyped-def]
    def behaviour(w, plan):  # type: ignore[no-untyped-def]
        if week_start(i) <= w.date < week_start(i + 1) and w.type is WorkoutType.EASY:
            return [{"work_pace": training_paces(plan.vdot).threshold}]
        return [{}]

    return behaviour


def test_easy_runs_at_threshold_pace_add_a_recovery_day_and_ease_quality() -> None:
    base = plan16()
    plan, _ = follow(base, week_start(9), behaviour=_fast_easy_in_week(8))
    assert codes(plan) == ["intensity_reduced"]
    c = plan.changes[0]
    assert "at marathon pace or faster" in c.reason
    nxt = plan.weeks[9].workouts
    assert nxt[0].type is WorkoutType.RECOVERY
    assert nxt[0].distance_m < base.weeks[9].workouts[0].distance_m
    assert sum(w.is_quality for w in nxt) < sum(w.is_quality for w in base.weeks[9].workouts)
    # dates never move, so tempo still comes before intervals
    assert [w.date for w in nxt] == [w.date for w in base.weeks[9].workouts]
    assert inv.tempo_before_intervals(plan) == []
    touched = {d.after.id for d in c.workouts}
    assert nxt[0].id in touched


def test_extra_hard_sessions_ease_the_next_week() -> None:
    base = plan16()
    template = next(w for w in base.workouts() if w.type is WorkoutType.INTERVALS)
    extra = [
        as_planned(replace(template, date=week_start(9) + timedelta(days=d)), 900 + d, base, start=time(12))
        for d in (2, 5)
    ]
    plan, acts = follow(base, week_start(10), extra=extra)
    assert codes(plan) == ["intensity_reduced"]
    assert "hard sessions against" in plan.changes[0].reason


def test_a_doubled_week_is_answered_by_the_spike_guard_not_by_acwr() -> None:
    base = plan16()

    def double_week(w, plan):  # type: ignore[no-untyped-def]
        if week_start(9) <= w.date < week_start(10):
            return [{"distance_factor": 2.0}]
        return [{}]

    plan, _ = follow(base, week_start(10), behaviour=double_week)
    spikes = [c for c in plan.changes if c.code == "run_spike"]
    assert spikes, "runs twice the recent longest must be answered"
    assert "longer than your longest run of the 30 days before it" in spikes[0].reason
    assert not any("acute:chronic" in c.reason for c in plan.changes)


# --- invariants of adapt ----------------------------------------------------------------------------------


SCENARIOS = {
    "missed": lambda b: follow(b, week_start(6), skip=[w.date for w in b.weeks[4].workouts][:4]),
    "sick": lambda b: follow(b, week_start(12), skip=[b.start + timedelta(days=d) for d in range(70, 84)]),
    "fast": lambda b: follow(b, week_start(10), behaviour=_fast_easy_in_week(8)),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_adapt_is_idempotent(name: str) -> None:
    plan, acts = SCENARIOS[name](plan16())
    as_of = plan.as_of
    assert as_of is not None
    again = adapt(plan, acts, as_of)
    assert again.changes == ()
    assert again.plan == plan
    # and in any activity order
    assert adapt(plan, list(reversed(acts)), as_of).plan == plan


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_past_is_never_rewritten(name: str) -> None:
    plan, acts = SCENARIOS[name](plan16())
    assert plan.as_of is not None
    later = plan.as_of + timedelta(days=10)
    result = adapt(plan, acts, later)
    before = {w.id: w for w in plan.workouts() if w.date < later}
    after = {w.id: w for w in result.plan.workouts() if w.date < later}
    assert after == before


def test_past_comes_from_the_stored_plan_even_if_it_differs_from_the_derivation() -> None:
    base = plan16()
    first = base.weeks[0].workouts[0]
    edited_first = replace(first, distance_m=first.distance_m + 1000, note="edited by coach")
    weeks = (replace(base.weeks[0], workouts=(edited_first, *base.weeks[0].workouts[1:])), *base.weeks[1:])
    stored = replace(base, weeks=weeks)
    result = adapt(stored, [], week_start(1))
    assert result.plan.weeks[0].workouts[0] == edited_first


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_adapted_plans_keep_the_caps_and_the_race(name: str) -> None:
    base = plan16()
    plan, _ = SCENARIOS[name](base)
    assert inv.session_caps(plan) == []
    assert inv.race_on_goal_date(plan) == []
    assert inv.phase_order(plan) == []
    assert inv.ids_unique_and_dated(plan) == []


def test_change_reasons_carry_numbers_and_touched_workouts() -> None:
    plan, _ = SCENARIOS["sick"](plan16())
    for c in plan.changes:
        assert any(ch.isdigit() for ch in c.reason)
        assert c.id == f"{c.code}@{c.week_start.isoformat()}"
        for d in c.workouts:
            assert d.before.id == d.after.id
            assert d.before != d.after


# --- undo ---------------------------------------------------------------------------------------------------


def test_undo_re_derives_the_plan_without_the_change() -> None:
    base = plan16()
    plan, acts = follow(base, week_start(9), behaviour=_fast_easy_in_week(8))
    assert plan.as_of is not None
    change = plan.changes[0]
    reverted = undo(plan, change.id, acts, plan.as_of)
    assert change.id not in [c.id for c in reverted.plan.changes]
    assert change.id in reverted.plan.suppressed
    assert reverted.plan.weeks[9] == base.weeks[9]
    # the suppression sticks: adapting again later does not bring the change back
    later = adapt(reverted.plan, acts, plan.as_of + timedelta(days=1))
    assert change.id not in [c.id for c in later.plan.changes]
    # and it can be undone only for the future: the past is still frozen
    assert reverted.plan.weeks[:9] == plan.weeks[:9]


def test_adapt_over_a_recovery_block_and_a_maintenance_block() -> None:
    from planner import Goal, GoalKind

    for kind in (GoalKind.RECOVERY, GoalKind.MAINTENANCE):
        base = generate_plan(athlete(), Goal(kind, START + timedelta(weeks=6, days=-1)), START)
        skip = [w.date for w in base.weeks[1].workouts]
        plan, acts = follow(base, week_start(3), skip=skip)
        assert plan.changes
        assert adapt(plan, acts, week_start(3)).changes == ()


def test_activities_after_as_of_are_ignored() -> None:
    # as_of is today: a run dated after it has not happened yet (a run dated today has: test_same_day.py)
    plan, acts = follow(plan16(), week_start(3))
    later = week_start(3) + timedelta(days=1)
    future = [run(10_000, later, 30.0), run(10_001, week_start(4), 3.0)]
    assert adapt(plan, acts + future, week_start(3)).plan == plan


def test_non_runs_do_not_count_toward_volume() -> None:
    base = plan16()

    def rides(w, plan):  # type: ignore[no-untyped-def]
        if week_start(3) <= w.date < week_start(4):
            return [{"sport_type": "Ride"}]
        return [{}]

    plan, _ = follow(base, week_start(4), behaviour=rides)
    assert "return_after_break" in codes(plan)  # a week of rides is a week without running


def test_generate_plan_race_goal_sanity() -> None:
    assert race_goal(16).date == date(2026, 6, 21)
