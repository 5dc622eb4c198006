"""A coach's review of adaptations the scorecard does not generate: the numbers in every reason must be the
numbers of the plan (docs/planner.md "Adaptation": every reason is plain language with the numbers)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from planner import (
    Activity,
    Athlete,
    Goal,
    GoalKind,
    Plan,
    Workout,
    WorkoutType,
    adapt,
    generate_plan,
    training_paces,
    undo,
)
from planner import sessions as s
from planner.generate import MIN_EASY_M, _fix_long_share, blueprint
from planner.plan import GoalVerdict, Phase
from planner.scorecard import (
    KINDS,
    PATTERNS,
    Profile,
    Tally,
    behaviour_for,
    check_vdot,
    profile,
)
from planner.scorecard import (
    START as COHORT_START,
)
from planner.synthetic import Simulation, SimWeek, simulate

from .helpers import START, athlete, race_goal, run

# (km, s/km) of each run done for a planned workout of week i, given the week's paces (easy, threshold)
Behaviour = Callable[[Workout, int, float, float], list[tuple[float, float]]]


def drive(plan: Plan, behaviour: Behaviour, until: date) -> tuple[Plan, list[Activity]]:
    """Adapt every Monday; the athlete runs ``behaviour``'s runs on the planned days."""
    paces = training_paces(plan.vdot)
    easy = sum(paces.easy) / 2
    acts: list[Activity] = []
    for i, week in enumerate(plan.weeks):
        if week.start >= until:
            break
        plan = adapt(plan, acts, week.start).plan
        for w in plan.weeks[i].workouts:
            if w.is_run and w.date < until:
                acts.extend(
                    run(1000 + len(acts), w.date, km, pace)
                    for km, pace in behaviour(w, i, easy, paces.threshold)
                )
    return adapt(plan, acts, until).plan, acts


def test_volume_rebuild_promises_a_hold_only_where_the_climb_holds() -> None:
    # one week at 75 %, five weeks without running, then 75 % of every run: after the run-free month "the most
    # you ran in a week before" is 0 km, and a hold at 0 km is no hold at all
    # (a 60 km runner: the return weeks stay above the maintenance floor, so the rebuild rule still binds)
    base = generate_plan(athlete(weekly_km=60.0, long_run_km=16.0), race_goal(16), START)
    plan, _ = drive(
        base,
        lambda w, i, easy, _: [] if 1 <= i <= 5 else [(0.75 * w.distance_m / 1000, easy)],
        START + timedelta(weeks=8),
    )
    rebuilds = [
        c for c in plan.changes if c.code == "volume_rebuild" and c.week_start > START + timedelta(weeks=5)
    ]
    assert rebuilds, [c.id for c in plan.changes]
    for c in rebuilds:
        held = re.search(r"a full week at ([\d.]+) km", c.reason)
        if held is None:
            continue
        climb = re.search(r"then ([\d., km]+): at most 15 %", c.reason)
        assert climb is not None, c.reason
        steps = [x.strip().removesuffix(" km") for x in climb.group(1).split(",")]
        assert held.group(1) in steps, c.reason  # the promised hold is a week of the climb


def test_spike_cap_reason_tells_the_two_distances_apart() -> None:
    # a 60 % long-run spike, a missed week and a week of easy runs at threshold pace, every change undone in
    # turn: the long runs after it are cut by less than a kilometre, which the reason must still show
    base = generate_plan(athlete(long_run_km=12.0), race_goal(14, 10_000.0), START)

    def behaviour(w: Workout, i: int, easy: float, threshold: float) -> list[tuple[float, float]]:
        km = w.distance_m / 1000
        if i == 1 and w.type is WorkoutType.LONG:
            return [(1.6 * km, easy)]
        if i == 3:
            return []
        return [(km, threshold if i == 5 and w.type is WorkoutType.EASY else easy)]

    as_of = START + timedelta(weeks=7)
    plan, acts = drive(base, behaviour, as_of)
    for change_id in [c.id for c in plan.changes]:
        if any(c.id == change_id for c in plan.changes):
            plan = undo(plan, change_id, acts, as_of).plan
    capped = [c for c in plan.changes if c.code == "spike_capped"]
    assert capped, [c.id for c in plan.changes]
    by_date = {w.date: w for w in plan.workouts()}
    for c in capped:
        cut = re.search(
            r"at most ([\d.]+) km instead of ([\d.]+) km|trimmed by \d+ m to ([\d.]+) km", c.reason
        )
        assert cut is not None, c.reason
        assert cut.group(3) or cut.group(1) != cut.group(2), c.reason
        day = re.search(r"before \w{3} (\d{2} \w{3})", c.reason)
        assert day is not None, c.reason
        shown = next(w for d, w in by_date.items() if f"{d:%d %b}" == day.group(1))
        limit_km = float(cut.group(1) or cut.group(3))
        assert shown.distance_m / 1000 <= limit_km + 0.05, (c.reason, shown.distance_m)


def test_a_small_week_spreads_its_runs_instead_of_bunching_them() -> None:
    # a runner coming back from zero who can run any day: three short run/walk sessions in the first week must
    # not sit on three consecutive days (Sat, Sun, Mon) with four empty days between them
    plan = generate_plan(
        Athlete(weekly_km=0.0, runs_per_week=7, vdot=35.0),
        Goal(GoalKind.RECOVERY, START + timedelta(weeks=6, days=-1)),
        START,
    )
    for week in plan.weeks:
        days = sorted({w.date.weekday() for w in week.workouts if w.is_run})
        if 2 <= len(days) <= 3:
            gaps = [b - a for a, b in zip(days, days[1:], strict=False)] + [days[0] + 7 - days[-1]]
            assert min(gaps) >= 2, (week.start, days)
    assert any(2 <= len({w.date for w in week.workouts if w.is_run}) <= 3 for week in plan.weeks)


def test_a_goal_time_slower_than_walking_is_refused_in_one_line() -> None:
    # 27:46:39 for a 10K is hours typed where minutes were meant, not a running goal
    slow = Goal(
        GoalKind.RACE, START + timedelta(weeks=12, days=-1), 10_000.0, time_s=27 * 3600 + 46 * 60 + 39
    )
    try:
        generate_plan(athlete(), slow, START)
    except ValueError as e:
        message = str(e)
    else:
        raise AssertionError("an implausibly slow goal time was accepted")
    assert "\n" not in message
    assert "slower than walking" in message, message


def test_a_goal_slower_than_predicted_is_comfortable_not_realistic() -> None:
    fit = athlete(vdot=50.0)
    predicted = generate_plan(fit, race_goal(12, 10_000.0), START).predicted_time_s
    assert predicted is not None
    goal = replace(race_goal(12, 10_000.0), time_s=predicted * 1.3)  # well slower, but far from a walk
    plan = generate_plan(fit, goal, START)
    assert plan.goal_verdict is GoalVerdict.COMFORTABLE, plan.goal_verdict
    verdict = next(w for w in plan.warnings if w.startswith("Goal "))
    assert "comfortable" in verdict, verdict
    assert "realistic" not in verdict, verdict
    assert "% slower" not in verdict, verdict


def _needlessly_short_runs(plan: Plan, seed_km: float) -> list[tuple[date, float, float]]:
    """Easy and long runs under 30 minutes (docs/science.md#quality-caps: E runs ≥ 30 min), run/walk aside, in
    weeks where one run fewer would not break the spike rule (110 % of the longest run of the 30 days before the
    week, counting the athlete's long run as run the day before the plan)."""
    history = [(plan.start - timedelta(days=1), seed_km * 1000)]
    out = []
    for week in plan.weeks:
        recent = [m for d, m in history if week.start - timedelta(days=30) <= d < week.start]
        limit = 1.1 * max(recent) if recent else float("inf")
        easy = [w for w in week.workouts if w.type in (WorkoutType.EASY, WorkoutType.LONG) and not w.run_walk]
        total = sum(w.distance_m for w in easy)
        if len(easy) > 1 and total / (len(easy) - 1) <= limit:
            out += [(w.date, w.distance_m, w.duration_s) for w in easy if w.duration_s < 30 * 60]
        history += [(w.date, w.distance_m) for w in week.workouts if w.is_run]
    return out


def test_small_weeks_plan_fewer_easy_runs_of_at_least_thirty_minutes() -> None:
    # low-volume runners free to run six days: each week is split into fewer runs, none of 10–12 minutes,
    # unless fewer runs would each be longer than the spike rule allows
    for vdot, weekly_km, long_km, goal in (
        (40.0, 12.0, 6.0, race_goal(12, 10_000.0)),
        (40.0, 12.0, 3.0, race_goal(12, 10_000.0)),
        (32.0, 8.0, 5.0, race_goal(10, 5_000.0)),
        (45.0, 15.0, 6.0, Goal(GoalKind.MAINTENANCE, START + timedelta(weeks=8, days=-1))),
    ):
        fit = athlete(weekly_km=weekly_km, long_run_km=long_km, runs_per_week=6, vdot=vdot)
        plan = generate_plan(fit, goal, START)
        assert not _needlessly_short_runs(plan, long_km), (
            vdot,
            weekly_km,
            _needlessly_short_runs(plan, long_km),
        )
        assert any(w.type is WorkoutType.EASY for w in plan.workouts())


def test_run_walk_return_weeks_keep_their_own_short_sessions() -> None:
    plan = generate_plan(
        Athlete(weekly_km=0.0, runs_per_week=4, vdot=35.0),
        Goal(GoalKind.RECOVERY, START + timedelta(weeks=8, days=-1)),
        START,
    )
    first = [w for w in plan.weeks[0].workouts if w.is_run]
    assert first, plan.weeks[0]
    assert all(w.run_walk is not None for w in first)
    assert all(w.duration_s < 30 * 60 for w in first)  # short run/walk sessions stay allowed


def _six_weeks_before(start: date, longest_km: float) -> list[Activity]:
    """Six weeks of four runs a week before ``start``, the longest of them ``longest_km``."""
    acts = []
    for week in range(6, 0, -1):
        monday = start - timedelta(weeks=week)
        for i, (day, km) in enumerate(((1, 7.0), (3, 6.5), (4, 6.0), (6, longest_km))):
            acts.append(run(5000 + 10 * week + i, monday + timedelta(days=day), km))
    return acts


def test_stored_runs_before_the_plan_outrank_the_stated_long_run() -> None:
    # the athlete states a 22 km long run, but six weeks of stored runs never went past 9.2 km
    plan = generate_plan(athlete(weekly_km=60.0, long_run_km=22.0), race_goal(16, 42_195.0), START)
    first_long = max(w.distance_m for w in plan.weeks[0].workouts if w.is_run)
    assert first_long > 1.1 * 9_200  # the generated plan trusts the stated figure
    acts = _six_weeks_before(START, 9.2)
    adapted = adapt(plan, acts, START).plan
    # every run of the first weeks within 110 % of the longest run (done or planned) of the 30 days before its week
    history = [(a.local_date, a.distance_m) for a in acts]
    for week in adapted.weeks[:5]:
        recent = [m for d, m in history if week.start - timedelta(days=30) <= d < week.start]
        for w in week.workouts:
            if w.is_run and w.type is not WorkoutType.RACE:
                assert w.distance_m <= 1.1 * max(recent) + 50, (w.date, w.distance_m, max(recent))
        history += [(w.date, w.distance_m) for w in week.workouts if w.is_run]
    assert max(w.distance_m for w in adapted.weeks[0].workouts if w.is_run) <= 1.1 * 9_200 + 50
    change = next(c for c in adapted.changes if c.code == "history_capped")
    assert "9.2 km" in change.reason, change.reason
    assert "22 km" in change.reason, change.reason
    assert adapt(adapted, acts, START).changes == ()  # idempotent


def test_the_stated_long_run_still_counts_without_stored_history() -> None:
    # runs only in the last few days before the plan do not cover the month: the stated long run fills in
    plan = generate_plan(athlete(weekly_km=60.0, long_run_km=22.0), race_goal(16, 42_195.0), START)
    acts = [run(7000 + i, START - timedelta(days=d), 6.0) for i, d in enumerate((5, 3, 1))]
    adapted = adapt(plan, acts, START).plan
    assert not [c for c in adapted.changes if c.code == "history_capped"]
    assert adapted.weeks[0].workouts == plan.weeks[0].workouts


def _training_km(plan: Plan, i: int) -> float:
    return (
        sum(w.distance_m for w in plan.weeks[i].workouts if w.is_run and w.type is not WorkoutType.RACE)
        / 1000
    )


def test_alternating_full_and_empty_weeks_do_not_shrink_the_plan_to_nothing() -> None:
    # every other week without a run: each return comes back towards the same load (the most the athlete ran in
    # a week before the gaps began), so the returns do not compound 40 → 24 → 15 → 9 km
    base = generate_plan(athlete(weekly_km=40.0, long_run_km=12.0), race_goal(12, 10_000.0), START)
    plan, _ = drive(
        base,
        lambda w, i, easy, _: [] if i % 2 == 1 else [(w.distance_m / 1000, easy)],
        START + timedelta(weeks=11),
    )
    returns = [c for c in plan.changes if c.code == "return_after_break"]
    assert len(returns) >= 4, [c.id for c in plan.changes]
    build = [i for i, wk in enumerate(plan.weeks) if i >= 2 and wk.phase is not Phase.TAPER]
    # Daniels' return after 6–28 days off starts at 50 % of the load before the break (docs/science.md)
    assert all(_training_km(plan, i) >= 0.5 * 40.0 for i in build), [_training_km(plan, i) for i in build]


def test_a_race_that_drifts_out_of_safe_reach_is_said_plainly_once() -> None:
    # a runner who does 40 % of every run: the plan follows what was done, and the 10K soon is more than twice
    # the longest run that can safely be reached before it
    base = generate_plan(athlete(weekly_km=30.0, long_run_km=8.0), race_goal(12, 10_000.0), START)
    assert not base.unsafe
    plan, _ = drive(
        base, lambda w, i, easy, _: [(0.4 * w.distance_m / 1000, easy)], START + timedelta(weeks=11)
    )
    flagged = [c for c in plan.changes if c.code == "race_out_of_reach"]
    assert len(flagged) == 1, [c.id for c in plan.changes]
    found = re.search(
        r"\(10 km, [^)]*\) is now ([\d.]+)× the longest run .* \(([\d.]+) km\)", flagged[0].reason
    )
    assert found is not None, flagged[0].reason
    assert float(found.group(1)) > 2.0
    assert abs(10 / float(found.group(2)) - float(found.group(1))) < 0.1  # the ratio of the numbers shown


def test_a_runner_on_plan_is_never_told_the_race_is_out_of_reach() -> None:
    base = generate_plan(athlete(weekly_km=30.0, long_run_km=8.0), race_goal(12, 10_000.0), START)
    plan, _ = drive(base, lambda w, i, easy, _: [(w.distance_m / 1000, easy)], START + timedelta(weeks=11))
    assert not [c for c in plan.changes if c.code == "race_out_of_reach"]


def test_a_weeks_only_run_is_an_easy_run_never_cut_to_nothing() -> None:
    # the long-run share (≤ 30 % of the week) cannot hold in a week of one run: cutting the run to its share of
    # itself planned "long runs" of 0.0 km; the week's only run is planned as an easy run instead
    ctx = blueprint(athlete(weekly_km=8.0), race_goal(12, 10_000.0), START).ctx
    alone = (s.long_run(ctx, START + timedelta(days=6), 4_000.0),)
    fixed = _fix_long_share(ctx, alone)
    assert [(w.type, w.distance_m) for w in fixed] == [(WorkoutType.EASY, 4_000.0)]


def test_unsafe_plans_hold_no_empty_runs() -> None:
    # unsafe goals are refused, but the plan that shows why must still be a sane plan
    for weekly_km, long_km, runs, distance, weeks in (
        (10.0, 3.0, 5, 42_195.0, 6),
        (6.0, 2.0, 6, 42_195.0, 10),
        (5.0, None, 3, 21_097.5, 8),
        (40.0, 14.0, 5, 42_195.0, 3),
    ):
        fit = athlete(weekly_km=weekly_km, long_run_km=long_km, runs_per_week=runs)
        plan = generate_plan(fit, race_goal(weeks, distance), START)
        assert plan.unsafe, (weekly_km, distance, weeks)
        assert all(w.distance_m >= 1_000 for w in plan.workouts() if w.is_run), plan.weeks


def test_under_done_weeks_never_shrink_the_plan_below_a_maintenance_week() -> None:
    # a runner who does 20–60 % of every run: the plan follows what was done, but never below two easy runs of
    # 30 minutes a week (docs/science.md#maintenance-floor), and never above the plan itself
    for weekly_km, long_km, runs in ((30.0, 8.0, 4), (50.0, 14.0, 5), (20.0, 6.0, 3)):
        base = generate_plan(
            athlete(weekly_km=weekly_km, long_run_km=long_km, runs_per_week=runs),
            race_goal(14, 10_000.0),
            START,
        )
        easy = sum(training_paces(base.vdot).easy) / 2
        floor_km = 2 * 30 * 60 / easy
        for share in (0.2, 0.3, 0.4, 0.5, 0.6):

            def partly(w: Workout, i: int, e: float, _: float, c: float = share) -> list[tuple[float, float]]:
                return [(c * w.distance_m / 1000, e)]

            plan, _ = drive(base, partly, START + timedelta(weeks=12))
            for i in range(12):
                planned = sum(w.distance_m for w in plan.weeks[i].workouts if w.is_run) / 1000
                baseline_km = sum(w.distance_m for w in base.weeks[i].workouts if w.is_run) / 1000
                # the 110 % rule may hold a floor week's runs shorter, but never under the shortest planned run
                assert planned >= min(floor_km, baseline_km, 2 * MIN_EASY_M / 1000) - 0.05, (
                    weekly_km,
                    share,
                    i,
                    planned,
                )
                short = [
                    w
                    for w in plan.weeks[i].workouts
                    if w.is_run and not w.run_walk and w.distance_m < MIN_EASY_M - 1
                ]
                assert not short, (weekly_km, share, i, short)


def test_the_return_reason_states_the_share_the_plan_really_has() -> None:
    # breaks of 6–40 days in week 2: the share the reason states is the first return week's km over the load
    # before the break, both as the reason shows them (a 7-day break of 24 of 40 km is 60 %, not "about half")
    base = generate_plan(athlete(weekly_km=40.0, long_run_km=12.0), race_goal(16, 10_000.0), START)
    seen = 0
    for off in (6, 7, 9, 13, 20, 35):
        first_off = START + timedelta(weeks=2, days=1)
        back = first_off + timedelta(days=off)

        def behaviour(w: Workout, i: int, easy: float, _: float, a: date = first_off, b: date = back) -> list:
            return [] if a <= w.date < b else [(w.distance_m / 1000, easy)]

        plan, _ = drive(base, behaviour, back + timedelta(weeks=2))
        returns = [c for c in plan.changes if c.code == "return_after_break"]
        for c in returns:
            found = re.search(r"come back at (\d+) % of the ([\d.]+) km .*15 % a week: ([\d.]+) km", c.reason)
            assert found is not None, c.reason
            assert "about" not in c.reason, c.reason
            share, ref, first = int(found.group(1)), float(found.group(2)), float(found.group(3))
            assert abs(100 * first / ref - share) <= 1.5, c.reason
            seen += 1
    assert seen >= 4


def test_spike_caps_under_gps_error_make_no_change_but_real_ones_do() -> None:
    # the long runs of weeks 0–3 are run at X km, so week 4's planned long run L is over 110 % of the 30-day
    # longest by L − 1.1 X: an excess under GPS error (100 m, or 1 % of the run) is noise and makes no change,
    # a real one is still capped
    base = generate_plan(athlete(weekly_km=40.0, long_run_km=12.0), race_goal(14, 10_000.0), START)
    long4 = next(w for w in base.weeks[4].workouts if w.type is WorkoutType.LONG)
    for excess_m, capped in ((20.0, False), (60.0, False), (95.0, False), (400.0, True), (1500.0, True)):
        done_long_km = (long4.distance_m - excess_m) / 1.1 / 1000

        def behaviour(w: Workout, i: int, easy: float, _: float, x: float = done_long_km) -> list:
            return [(x if w.type is WorkoutType.LONG else w.distance_m / 1000, easy)]

        plan, _ = drive(base, behaviour, START + timedelta(weeks=4))
        caps = [c for c in plan.changes if c.code == "spike_capped"]
        week4_long = next(w for w in plan.weeks[4].workouts if w.type is WorkoutType.LONG)
        assert bool(caps) is capped, (excess_m, [c.reason for c in caps])
        if capped:
            assert week4_long.distance_m <= long4.distance_m - excess_m + 50, (excess_m, week4_long)
        else:
            assert week4_long == long4, (excess_m, week4_long)


def test_a_treadmill_run_without_distance_counts_by_its_time() -> None:
    # the long run of week 2 on a treadmill, recorded as 0 km over 1.6× the planned long run's time at easy pace:
    # it is a spike by its time (docs/science.md#runs-without-distance), not a 0 km run
    base = generate_plan(athlete(weekly_km=40.0, long_run_km=12.0), race_goal(14, 10_000.0), START)
    for factor, spike in ((1.6, True), (1.0, False)):
        acts: list[Activity] = []
        plan = base
        for i in range(4):
            plan = adapt(plan, acts, plan.weeks[i].start).plan
            for w in plan.weeks[i].workouts:
                if not w.is_run:
                    continue
                easy = sum(training_paces(plan.vdot).easy) / 2
                a = run(3000 + len(acts), w.date, w.distance_m / 1000, easy)
                if i == 2 and w.type is WorkoutType.LONG:
                    a = replace(
                        a, distance_m=0.0, moving_time_s=round(factor * a.moving_time_s), trainer=True
                    )
                acts.append(a)
        spikes = [c for c in plan.changes if c.code == "run_spike"]
        assert bool(spikes) is spike, (factor, [c.reason for c in spikes])
        for c in spikes:  # the reason says the distance is an estimate from the run's time
            assert re.search(r"was about [\d.]+ km by its \d+ minutes", c.reason), c.reason
        rebuilds = [c for c in plan.changes if c.code == "volume_rebuild"]
        assert not rebuilds, [c.reason for c in rebuilds]  # the treadmill week counts as run


def _fast_tuneup_profiles(count: int) -> list[Profile]:
    n_kinds = len(KINDS)
    first = PATTERNS.index("fast_tuneup") * n_kinds
    cycle = n_kinds * len(PATTERNS)
    return [profile(first + k % n_kinds + cycle * (k // n_kinds), 20261205) for k in range(count)]


def test_the_fast_tuneup_pattern_raises_the_vdot_within_its_bounds() -> None:
    # a tune-up race faster than predicted is answered by fitness_up, and the raised VDOT stays within the
    # scorecard's bounds: never above the race, never up more than 2 points in 28 days
    raised = 0
    for p in _fast_tuneup_profiles(12):
        plan = generate_plan(p.athlete, p.goal, COHORT_START)
        if plan.unsafe:
            continue
        behaviour, extra = behaviour_for(p, plan)
        sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
        raised += any(c.code == "fitness_up" for c in sim.plan.changes)
        t = Tally()
        check_vdot(p, plan, sim, t)
        assert t.checked["vdot_bounded"] > 0
        assert t.violated["vdot_bounded"] == 0, t.examples
    assert raised >= 8, raised


def test_the_vdot_check_catches_a_raise_above_the_evidence_and_too_fast() -> None:
    p = _fast_tuneup_profiles(1)[0]
    plan = generate_plan(p.athlete, p.goal, COHORT_START)
    high = replace(plan, vdot=plan.vdot + 2.5)  # no race at all: above any evidence, and 2.5 points in a week
    weeks = [
        SimWeek(0, plan.start, plan, planned_km=plan.weeks[0].planned_km, done_km=0.0),
        SimWeek(1, plan.start + timedelta(weeks=1), high, planned_km=plan.weeks[1].planned_km, done_km=0.0),
    ]
    t = Tally()
    check_vdot(p, plan, Simulation(replace(high, as_of=plan.start + timedelta(weeks=1)), weeks=weeks), t)
    assert t.violated["vdot_bounded"] == 2, t.examples
