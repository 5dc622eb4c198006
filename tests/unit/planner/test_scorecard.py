"""The scorecard (docs/scorecard.md): a seeded CI-sized cohort keeps every hard rule, and the checks do catch
violations when they are there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from planner.plan import WorkoutType
from planner.scorecard import (
    KINDS,
    PATTERNS,
    RULES,
    START,
    Profile,
    Tally,
    check_planned_spikes,
    check_volume,
    chunks,
    hard_violations,
    profile,
    render_markdown,
    run_cohort,
)
from planner.synthetic import Simulation, SimWeek

from .helpers import plan16

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
    t = Tally()
    check_volume(_profile(), Simulation(plan, weeks=weeks), t)
    assert t.violated["next_over_actual"] == 1  # the baseline's week 5 is far above 120 % of 23 km


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
