"""The scorecard (docs/scorecard.md): a seeded CI-sized cohort keeps every hard rule, and the checks do catch
violations when they are there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from planner.activity import Activity
from planner.adapt import AdaptResult, adapt
from planner.generate import generate_plan
from planner.plan import Change, Phase, Plan, WorkoutDiff, WorkoutType
from planner.scorecard import (
    KINDS,
    PATTERNS,
    RULES,
    START,
    Profile,
    Tally,
    behaviour_for,
    check_coherent,
    check_history,
    check_planned_spikes,
    check_reasons,
    check_volume,
    chunks,
    hard_violations,
    profile,
    render_markdown,
    run_cohort,
)
from planner.synthetic import Simulation, SimWeek, simulate

from .helpers import plan16, run

COHORT = len(KINDS) * len(PATTERNS) * 2  # every goal with every deviation pattern, twice


@pytest.fixture(scope="module")
def tally() -> Tally:
    return run_cohort(range(COHORT), seed=20261205)


def test_a_seeded_cohort_breaks_no_hard_rule(tally: Tally) -> None:
    assert hard_violations(tally) == {}, {r: tally.examples.get(r) for r in hard_violations(tally)}


def test_every_rule_is_exercised_and_every_pair_runs(tally: Tally) -> None:
    for rule in RULES:
        assert tally.checked[rule.name] > 0, rule.name
    assert set(tally.kinds) == set(KINDS)
    assert set(tally.patterns) == set(PATTERNS)
    assert tally.athletes == COHORT
    assert tally.refused < COHORT // 4


def test_the_cohort_spans_the_ranges() -> None:
    people = [profile(n, 3) for n in range(600)]
    weekly = [p.athlete.weekly_km for p in people]
    vdots = [p.athlete.vdot or 0 for p in people]
    weeks = [(p.goal.date - START).days // 7 + 1 for p in people]
    assert 15 <= min(weekly) < 25
    assert 110 < max(weekly) <= 120
    assert 30 <= min(vdots) < 33
    assert 67 < max(vdots) <= 70
    assert (min(weeks), max(weeks)) == (6, 24)
    assert profile(5, 3) == profile(5, 3)  # seeded


def _profile() -> Profile:
    return replace(profile(0, 1), pattern="partial_weeks")


def test_the_volume_check_catches_a_snap_back() -> None:
    plan = plan16()
    weeks = [
        SimWeek(4, START, plan, planned_km=47.0, done_km=23.0),
        SimWeek(5, START + timedelta(weeks=1), plan, planned_km=plan.weeks[5].planned_km, done_km=40.0),
    ]
    every_other_day = [run(500 + d, START + timedelta(days=d), 4.6) for d in range(-20, 7, 2)]
    t = Tally()
    check_volume(_profile(), Simulation(plan, activities=every_other_day, weeks=weeks), t)
    assert t.violated["next_over_actual"] == 1  # the baseline's week 5 is far above 120 % of 23 km
    assert t.checked["break_return"] == 0


def test_the_volume_check_judges_a_week_that_ends_a_break_as_a_return() -> None:
    # 40 km a week, then six days off and one run on the Sunday: next week must be a return (≤ 75 % of 40 km)
    plan = plan16()
    monday = START + timedelta(weeks=8)  # well after the cohort's start: the stated volume does not count
    before = [run(600 + d, monday - timedelta(days=d), 8.0) for d in range(1, 30, 2)]
    weeks = [
        SimWeek(3, monday - timedelta(weeks=1), plan, planned_km=40.0, done_km=40.0),
        SimWeek(4, monday, plan, planned_km=47.0, done_km=8.0),
        SimWeek(5, monday + timedelta(weeks=1), plan, planned_km=plan.weeks[5].planned_km, done_km=8.0),
    ]
    back = [run(700, monday + timedelta(days=6), 8.0)]
    t = Tally()
    check_volume(_profile(), Simulation(plan, activities=before + back, weeks=weeks), t)
    assert t.checked["break_return"] == 1
    assert t.violated["break_return"] == 1  # the baseline's week 5 is far above 75 % of what was run before
    assert t.checked["next_over_actual"] == 0


def test_the_spike_check_catches_a_planned_spike() -> None:
    plan = plan16()
    long_run = next(w for w in plan.weeks[1].workouts if w.type is WorkoutType.LONG)
    t = Tally()
    check_planned_spikes(
        _profile(), plan, [(plan.start - timedelta(days=1), 0.5 * long_run.distance_m)], plan.start, t
    )
    assert t.violated["planned_spike"] == 1
    t = Tally()
    check_planned_spikes(_profile(), plan, [(plan.start - timedelta(days=1), 14_000.0)], plan.start, t)
    assert t.violated["planned_spike"] == 0


def test_the_report_has_the_table_and_the_rules(tally: Tally) -> None:
    text = render_markdown(tally, seed=20261205, seconds=1.5)
    assert "| rule | kind | owner | checked | violated | rate |" in text
    for rule in RULES:
        assert f"| `{rule.name}` |" in text
    assert "1.5 s on 1 process" in text


def test_split_cohorts_merge_to_the_whole() -> None:
    whole = run_cohort(range(12), seed=5)
    parts = Tally()
    for numbers in chunks(12, 3):
        parts.merge(run_cohort(numbers, seed=5))
    assert (parts.checked, parts.violated, parts.athletes) == (whole.checked, whole.violated, whole.athletes)


def test_the_coherence_checks_catch_an_incoherent_plan() -> None:
    plan = plan16()  # a half marathon from 40 km a week
    t = Tally()
    check_coherent(_profile(), plan, t)
    assert hard_violations(t) == {}
    assert t.checked["quality_week_empty"] > 0
    # a quality week emptied of its sessions
    i = next(k for k, w in enumerate(plan.weeks) if w.phase is Phase.INTERVALS)
    emptied = tuple(w for w in plan.weeks[i].workouts if not w.is_quality)
    weeks = (*plan.weeks[:i], replace(plan.weeks[i], workouts=emptied), *plan.weeks[i + 1 :])
    t = Tally()
    check_coherent(_profile(), replace(plan, weeks=weeks), t)
    assert t.violated["quality_week_empty"] == 1
    # the same build (to 58 km) for a 5K runner of 20 km a week: more than history and distance justify
    t = Tally()
    small = replace(_profile(), athlete=replace(plan.athlete, weekly_km=20.0))
    check_coherent(small, replace(plan, athlete=small.athlete, goal=replace(plan.goal, distance_m=5000.0)), t)
    assert t.violated["volume_justified"] == 1
    # flagged unsafe, yet still a race plan with no word on what it offers
    t = Tally()
    check_coherent(_profile(), replace(plan, unsafe=True, unsafe_reason="too long"), t)
    assert t.violated["unsafe_offer"] == 1


def test_the_reason_check_catches_a_reason_that_names_another_week() -> None:
    p = replace(profile(3, 1), pattern="partial_weeks")
    plan = generate_plan(p.athlete, p.goal, START)
    behaviour, extra = behaviour_for(p, plan)
    sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
    t = Tally()
    check_reasons(p, sim, t)
    assert t.checked["reason_matches_plan"] > 0
    assert t.violated["reason_matches_plan"] == 0

    def inflated(c: Change) -> Change:
        if c.code != "volume_rebuild":
            return c
        return replace(c, facts={**c.facts, "next_week_m": float(c.facts["next_week_m"]) + 3000})

    weeks = [
        replace(w, plan=replace(w.plan, changes=tuple(map(inflated, w.plan.changes)))) for w in sim.weeks
    ]
    t = Tally()
    check_reasons(p, replace(sim, weeks=weeks), t)
    assert t.violated["reason_matches_plan"] == t.checked["reason_matches_plan"] > 0


def test_the_history_check_catches_a_rewritten_day(monkeypatch: pytest.MonkeyPatch) -> None:
    p = replace(profile(1, 1), pattern="missed_week")
    plan = generate_plan(p.athlete, p.goal, START)
    behaviour, extra = behaviour_for(p, plan)
    sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
    t = Tally()
    check_history(p, sim, t)
    assert t.checked["history_kept"] > 0
    assert t.violated["history_kept"] == 0

    def rewriting(plan: Plan, acts: list[Activity], day: object) -> AdaptResult:
        """Adaptation that rewrites the workouts of the synced day (what it did before the past was history)."""
        result = adapt(plan, acts, day)  # type: ignore[arg-type]
        weeks = tuple(
            replace(
                wk,
                workouts=tuple(
                    replace(w, distance_m=w.distance_m + 500) if w.date == day else w for w in wk.workouts
                ),
            )
            for wk in result.plan.weeks
        )
        return replace(result, plan=replace(result.plan, weeks=weeks))

    monkeypatch.setattr("planner.scorecard.adapt", rewriting)
    t = Tally()
    check_history(p, sim, t)
    assert t.violated["history_kept"] == t.checked["history_kept"] > 0  # every probe day holds a run

    def mislisting(plan: Plan, acts: list[Activity], day: object) -> AdaptResult:
        """Adaptation whose change lists a done workout as something the plan does not hold."""
        result = adapt(plan, acts, day)  # type: ignore[arg-type]
        done = next(w for w in result.plan.workouts() if w.date < day)  # type: ignore[operator]
        claim = WorkoutDiff(done, replace(done, distance_m=done.distance_m / 2))
        lying = Change("volume_rebuild@x", "volume_rebuild", done.date, "a lie", (claim,))
        return replace(result, plan=replace(result.plan, changes=(*result.plan.changes, lying)))

    monkeypatch.setattr("planner.scorecard.adapt", mislisting)
    t = Tally()
    check_history(p, sim, t)
    assert t.violated["history_kept"] == t.checked["history_kept"] > 0
