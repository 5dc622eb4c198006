"""Plans, workouts and changes round-trip through plain JSON losslessly (for the Postgres store)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from planner import (
    Goal,
    GoalKind,
    RaceResult,
    change_from_dict,
    change_to_dict,
    generate_plan,
    plan_from_dict,
    plan_to_dict,
    workout_from_dict,
    workout_to_dict,
)
from planner.serialize import SCHEMA_VERSION

from .helpers import START, athlete, follow, plan16


def _through_json(d: object) -> object:
    return json.loads(json.dumps(d))


def test_generated_plan_round_trips() -> None:
    plan = plan16(max_hr=188.0, run_days=(0, 1, 3, 4, 6))
    assert plan_from_dict(_through_json(plan_to_dict(plan))) == plan  # type: ignore[arg-type]


def test_adapted_plan_with_changes_and_suppressions_round_trips() -> None:
    base = plan16()
    off = [base.start + timedelta(days=d) for d in range(70, 84)]
    plan, _ = follow(base, START + timedelta(weeks=12), skip=off)
    assert plan.changes
    plan = replace(plan, suppressed=frozenset({"intensity_reduced@2026-01-05", "spike_capped@2026-01-12"}))
    back = plan_from_dict(_through_json(plan_to_dict(plan)))  # type: ignore[arg-type]
    assert back == plan
    assert plan_to_dict(back) == plan_to_dict(plan)


@pytest.mark.parametrize("kind", [GoalKind.RECOVERY, GoalKind.MAINTENANCE])
def test_block_plans_round_trip(kind: GoalKind) -> None:
    a = athlete(vdot=None, recent_race=RaceResult(10000, 2700.0), long_run_km=None)
    plan = generate_plan(a, Goal(kind, START + timedelta(weeks=5)), START)
    assert plan_from_dict(_through_json(plan_to_dict(plan))) == plan  # type: ignore[arg-type]


def test_workouts_and_changes_round_trip_alone() -> None:
    base = plan16()
    plan, _ = follow(base, START + timedelta(weeks=5), skip=[w.date for w in base.weeks[3].workouts][:3])
    for w in plan.workouts():
        assert workout_from_dict(_through_json(workout_to_dict(w))) == w  # type: ignore[arg-type]
    assert plan.changes
    for c in plan.changes:
        assert change_from_dict(_through_json(change_to_dict(c))) == c  # type: ignore[arg-type]


def test_json_is_plain() -> None:
    d = plan_to_dict(plan16())
    assert d["schema"] == SCHEMA_VERSION
    text = json.dumps(d)  # no custom encoder needed
    assert '"type": "long"' in text
    assert d["weeks"][0]["workouts"][0]["date"] == "2026-03-02"


def test_newer_schema_is_refused() -> None:
    d = plan_to_dict(plan16())
    d["schema"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="newer"):
        plan_from_dict(d)


def test_goal_time_break_and_run_walk_round_trip() -> None:
    a = athlete(weekly_km=40, break_days=60, cross_training=True)
    plan = generate_plan(a, Goal(GoalKind.RACE, START + timedelta(weeks=20, days=-1), 42195, 4 * 3600), START)
    assert plan.predicted_time_s is not None
    assert plan.goal_verdict.value in ("comfortable", "realistic", "ambitious", "out_of_reach")
    back = plan_from_dict(_through_json(plan_to_dict(plan)))  # type: ignore[arg-type]
    assert back == plan
    walk = generate_plan(
        athlete(weekly_km=0, long_run_km=None), Goal(GoalKind.RECOVERY, START + timedelta(weeks=6)), START
    )
    assert any(w.run_walk for w in walk.workouts())
    assert plan_from_dict(_through_json(plan_to_dict(walk))) == walk  # type: ignore[arg-type]


def test_a_plan_stored_before_the_new_fields_still_loads() -> None:
    d = plan_to_dict(plan16())
    for key in ("predicted_time_s", "goal_verdict"):
        del d[key]
    for key in ("break_days", "cross_training"):
        del d["athlete"][key]
    del d["goal"]["time_s"]
    for week in d["weeks"]:
        for w in week["workouts"]:
            del w["run_walk"]
    d["schema"] = 1
    back = plan_from_dict(_through_json(d))  # type: ignore[arg-type]
    assert back.athlete.break_days == 0
    assert back.goal.time_s is None
    assert back.weeks == plan16().weeks
