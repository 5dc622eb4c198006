"""Every change and plan notice carries exactly the facts its code declares (planner/reasons.py), over a broad
sweep of athletes and adaptations: the facts are what an athlete-facing catalogue renders from, so a missing
or unnamed fact would be a message that cannot be said."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from planner import Goal, GoalKind, Plan, WorkoutType, adapt, generate_plan
from planner.plan import Change, Facts, Notice
from planner.reasons import FACTS, NOTICE_FACTS, ChangeCode, NoticeCode, UndeclaredFacts, checked
from planner.scorecard import KINDS, PATTERNS, START, behaviour_for, profile
from planner.serialize import (
    change_from_dict,
    change_to_dict,
    notice_from_dict,
    notice_to_dict,
    plan_from_dict,
    plan_to_dict,
)
from planner.synthetic import simulate

from . import helpers as h

SWEEP_SEEDS = (11, 29)


def _cohort_plans() -> Iterator[tuple[Plan, list[Change]]]:
    """The scorecard's athletes, every goal with every deviation pattern, for two seeds: the generated plan and
    every change any weekly adaptation made."""
    for seed in SWEEP_SEEDS:
        for n in range(len(KINDS) * len(PATTERNS)):
            p = profile(n, seed)
            plan = generate_plan(p.athlete, p.goal, START)
            if plan.unsafe:
                yield plan, []
                continue
            behaviour, extra = behaviour_for(p, plan)
            sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
            yield plan, [c for w in sim.weeks for c in w.plan.changes] + list(sim.plan.changes)


def _special_plans() -> Iterator[tuple[Plan, list[Change]]]:
    """Athletes the cohort does not draw: breaks before the plan, goal times, short and from-zero plans, stored
    runs before the plan, long runs run short (so planned ones are capped)."""
    race = h.race_goal(16, 42_195.0)
    for kw in ({"break_days": 30}, {"break_days": 20, "cross_training": True}, {"weekly_km": 0.0}):
        yield (
            generate_plan(h.athlete(**kw), Goal(GoalKind.RECOVERY, h.START + timedelta(weeks=8)), h.START),
            [],
        )
    for time_s in (3 * 3600, 4 * 3600, 5 * 3600):
        yield generate_plan(h.athlete(), replace(race, time_s=time_s), h.START), []
    yield generate_plan(h.athlete(), h.race_goal(4, 10_000.0), h.START), []
    stated = generate_plan(h.athlete(weekly_km=60.0, long_run_km=22.0), race, h.START)
    before = [h.run(9000 + d, h.START - timedelta(days=d), 9.2) for d in range(2, 43, 3)]
    yield stated, list(adapt(stated, before, h.START).plan.changes)
    base = generate_plan(h.athlete(weekly_km=40.0, long_run_km=12.0), h.race_goal(14, 10_000.0), h.START)

    def short_long(w: object, plan: Plan) -> list[dict[str, object]]:
        return [{"distance_factor": 0.6}] if getattr(w, "type", None) is WorkoutType.LONG else [{}]

    plan, _ = h.follow(base, h.START + timedelta(weeks=6), behaviour=short_long)  # type: ignore[arg-type]
    yield plan, list(plan.changes)


@pytest.fixture(scope="module")
def swept() -> tuple[list[Notice], list[Change]]:
    notices: list[Notice] = []
    changes: list[Change] = []
    for plan, made in [*_cohort_plans(), *_special_plans()]:
        notices.extend(plan.notices)
        changes.extend(made)
    return notices, changes


def test_every_change_carries_exactly_the_facts_of_its_code(
    swept: tuple[list[Notice], list[Change]],
) -> None:
    _, changes = swept
    for c in changes:
        assert set(c.facts) == FACTS[ChangeCode(c.code)], (c.code, sorted(c.facts))
        assert all(isinstance(v, (bool, int, float, str)) for v in c.facts.values()), c.facts
    assert {ChangeCode(c.code) for c in changes} == set(ChangeCode)  # the sweep reaches every rule


def test_every_notice_carries_exactly_the_facts_of_its_code(
    swept: tuple[list[Notice], list[Change]],
) -> None:
    notices, _ = swept
    for n in notices:
        assert set(n.facts) == NOTICE_FACTS[NoticeCode(n.code)], (n.code, sorted(n.facts))
    assert {NoticeCode(n.code) for n in notices} == set(NoticeCode)


def test_warnings_are_the_notices_texts_and_the_unsafe_reason_is_one_of_them() -> None:
    for n in range(len(KINDS) * len(PATTERNS)):
        p = profile(n, SWEEP_SEEDS[0])
        plan = generate_plan(p.athlete, p.goal, START)
        assert plan.warnings == tuple(x.text for x in plan.notices)
        unsafe = [x for x in plan.notices if x.code == NoticeCode.RACE_TOO_LONG]
        assert [x.text for x in unsafe] == ([plan.unsafe_reason] if plan.unsafe else [])


def test_facts_agree_with_the_reason_they_stand_behind(swept: tuple[list[Notice], list[Change]]) -> None:
    # a sample of facts the English reason also states: the catalogue and the default wording must agree
    _, changes = swept
    for c in changes:
        f = c.facts
        if c.code == ChangeCode.VOLUME_REBUILD:
            assert f"You ran {_km(f['done_m'])} of {_km(f['planned_m'])} planned km" in c.reason, (
                f,
                c.reason,
            )
        if c.code == ChangeCode.RUN_SPIKE:
            assert f"{round(float(f['over_share']) * 100)}% longer" in c.reason, (f, c.reason)
        if c.code == ChangeCode.RETURN_AFTER_BREAK:
            assert f"No runs for {f['days_off']} days" in c.reason, (f, c.reason)


def _km(metres: object) -> str:
    x = float(metres) / 1000  # type: ignore[arg-type]
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or x >= 10 else f"{x:.1f}"


def test_facts_round_trip_through_json_and_old_dicts_load_without_them(
    swept: tuple[list[Notice], list[Change]],
) -> None:
    notices, changes = swept
    for c in changes[:200]:
        back = change_from_dict(json.loads(json.dumps(change_to_dict(c))))
        assert back == c
        assert back.facts == c.facts
        types = {k: type(v) for k, v in c.facts.items()}
        assert {k: type(v) for k, v in back.facts.items()} == types
    for n in notices:
        assert notice_from_dict(json.loads(json.dumps(notice_to_dict(n)))) == n
    old = change_to_dict(changes[0])
    del old["facts"]
    assert change_from_dict(old).facts == {}
    plan = generate_plan(h.athlete(), replace(h.race_goal(), time_s=5400.0), h.START)
    stored = plan_to_dict(plan)
    del stored["notices"]
    stored["schema"] = 2
    back_plan = plan_from_dict(stored)
    assert back_plan.notices == ()
    assert back_plan.warnings == plan.warnings


def test_undeclared_facts_are_refused() -> None:
    declared = dict.fromkeys(FACTS[ChangeCode.REVISE_GOAL], 1)
    assert checked(ChangeCode.REVISE_GOAL, declared) == Facts(declared)
    with pytest.raises(UndeclaredFacts, match="missing"):
        checked(ChangeCode.REVISE_GOAL, {"lost_days": 12})
    with pytest.raises(UndeclaredFacts, match="undeclared"):
        checked(ChangeCode.REVISE_GOAL, {**declared, "mood": "sad"})


def test_facts_are_an_immutable_hashable_mapping() -> None:
    f = Facts({"b": 2, "a": 1.5})
    assert f == {"a": 1.5, "b": 2}
    assert list(f) == ["a", "b"]
    assert f["b"] == 2
    assert hash(f) == hash(Facts({"a": 1.5, "b": 2}))
    c = Change("x@2026-01-05", "revise_goal", h.START, "r", facts={"lost_days": 3})
    assert isinstance(c.facts, Facts)
    assert hash(c) == hash(replace(c))
    with pytest.raises(KeyError):
        f["c"]
