"""What the planner really produces, said by the catalogue: over the scorecard's simulated athletes (every goal
with every deviation pattern), every change and every notice is rendered from its code and facts, never from
the planner's English, and every workout of the adapted plans reads cleanly, in both unit systems."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from messages import catalogue, examples, reasons, workouts
from planner import Plan, generate_plan
from planner.plan import Change, Notice
from planner.scorecard import KINDS, PATTERNS, START, behaviour_for, profile
from planner.synthetic import simulate
from tests.unit.messages.checks import problems

SEED = 11
EVERY = 2  # every other athlete of the cohort: every code still occurs, in a few seconds
FALLBACKS = {"change_without_facts", "notice_without_facts"}


def _cohort() -> Iterator[tuple[Plan, list[Change]]]:
    for n in range(0, len(KINDS) * len(PATTERNS), EVERY):
        p = profile(n, SEED)
        plan = generate_plan(p.athlete, p.goal, START)
        if plan.unsafe:
            yield plan, []
            continue
        behaviour, extra = behaviour_for(p, plan)
        sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
        yield sim.plan, [c for w in sim.weeks for c in w.plan.changes] + list(sim.plan.changes)


@pytest.fixture(scope="module")
def cohort() -> list[tuple[Plan, list[Change]]]:
    return list(_cohort())


def _fallback_headlines() -> set[str]:
    audience = examples.AUDIENCES[0]
    return {catalogue.render(name, audience, reason="x", text="x").headline for name in FALLBACKS}


def test_every_change_is_said_from_its_facts_in_both_unit_systems(
    cohort: list[tuple[Plan, list[Change]]],
) -> None:
    changes = {(c.id, c.facts): c for _, made in cohort for c in made}.values()
    assert len({c.code for c in changes}) >= 5, "the cohort no longer exercises the rules"
    fallback = _fallback_headlines()
    for change in changes:
        for audience in examples.AUDIENCES:
            said = reasons.change_message(audience, change)
            assert said.headline not in fallback, (change.code, dict(change.facts))
            for text in (said.headline, said.body, *said.details):
                assert not problems(text, audience.units), (change.code, text, problems(text, audience.units))


def test_every_notice_is_said_from_its_facts(cohort: list[tuple[Plan, list[Change]]]) -> None:
    notices: list[Notice] = [n for plan, _ in cohort for n in plan.notices]
    assert notices
    fallback = _fallback_headlines()
    for notice in notices:
        for audience in examples.AUDIENCES:
            said = reasons.notice_message(audience, notice)
            assert said.headline not in fallback, (notice.code, dict(notice.facts))
            for text in (said.headline, said.body, *said.details):
                assert not problems(text, audience.units), (notice.code, text)


def test_every_workout_of_the_adapted_plans_reads_cleanly(cohort: list[tuple[Plan, list[Change]]]) -> None:
    seen = {w for plan, _ in cohort for w in plan.workouts()}
    assert any(w.note for w in seen)
    for w in seen:
        for audience in examples.AUDIENCES:
            text = workouts.describe(audience, w).text()
            assert not problems(text, audience.units), (w.note, text, problems(text, audience.units))
