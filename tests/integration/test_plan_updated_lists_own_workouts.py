"""A `plan.updated` lists the workouts its own decisions changed, and no other (docs/notifications.md), on the
real PostgreSQL: in a version where a decision changes some workouts and the athlete's own move changes
another, the message names the decision and lists its workouts, each from what the athlete had before the
version to what they have now; the moved workout is not among them. The API's answer still lists every
workout the version changed, the move too (docs/api.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import planner
from composition.root import Container
from messages import Audience
from plans import commands
from store.db import UnitOfWork
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from tests.integration.test_plan_same_day import (
    MONDAYS_AND_SATURDAYS_FREE,
    SEASON_START,
    at,
    first_week_as_planned,
    install,
    store_run,
    workout_on,
)
from tests.integration.test_plans_pipeline import TZ, current_plan, outbox

pytestmark = pytest.mark.integration

MONDAY = SEASON_START + timedelta(days=7)  # the second week: the first is run as planned
SPIKE_KM = 26.0  # over twice the 12 km long run of the weeks before: the 110 % rule answers at once


def a_first_week_run_as_planned(container: Container) -> None:
    """ATHLETE_ID connected, with a plan on which Mondays and Saturdays are free (a spike run on a Monday is
    answered in its week, and a Friday run can be moved to the Saturday after it), its first week run as
    planned."""
    connect_athlete(container)
    install(container, SEASON_START, at(SEASON_START, 6), MONDAYS_AND_SATURDAYS_FREE)
    first_week_as_planned(container, 8_100)


def what_changes(row: NotificationOutbox) -> list[str]:
    """The message's "What changes" lines, as the athlete reads them."""
    body = row.payload["message"]["body"]
    if "What changes:" not in body:
        return []
    listed = body.split("What changes:", 1)[1].splitlines()
    return [line.removeprefix("• ") for line in listed if line.startswith("• ")]


def summary(plan: planner.Plan, workout_id: str) -> dict[str, Any] | None:
    """A workout as the payload summarises it (docs/notifications.md), or None when the plan has no such one."""
    found = [w for w in plan.workouts() if w.id == workout_id]
    if not found:
        return None
    w = found[0]
    return {"date": w.date.isoformat(), "type": w.type.value, "distance_m": w.distance_m}


def test_a_decision_and_a_move_in_one_version_list_only_the_decisions_workouts(
    container: Container,
) -> None:
    a_first_week_run_as_planned(container)
    # The move: the next week's Friday run to its Saturday, a week the spike's answer does not reach.
    friday, saturday = MONDAY + timedelta(days=11), MONDAY + timedelta(days=12)
    before = current_plan(container)
    moved = workout_on(before, friday)
    assert not [w for w in before.workouts() if w.date == saturday], "Saturday is free to move to"
    sent = len(outbox(container, "plan.updated"))

    # The Monday's spike run is stored but not adapted to yet; the athlete's move that morning adapts the plan:
    # one version holds the spike's answer and the move.
    store_run(container, MONDAY, 8_200, SPIKE_KM)
    with UnitOfWork(container.sessions) as uow:
        outcome = commands.move(uow.session, ATHLETE_ID, moved.id, saturday, now=at(MONDAY, 9, 30))
        uow.commit()

    spike = next(c for c in outcome.changes if c.code == "run_spike")
    spiked = {d.after.id for d in spike.workouts}
    spike_weeks = {before.week_of(d.after.date) for d in spike.workouts}
    assert spiked
    assert moved.id not in spiked, "the spike's answer leaves the moved run alone: the test needs it"
    # Not vacuous: the version changed both the spike's workouts and the moved one, and the API says both.
    changed = {w.workout_id: w for w in outcome.workouts}
    assert changed[moved.id].workout.date == saturday
    assert spiked & changed.keys()

    updates = outbox(container, "plan.updated")
    assert len(updates) == sent + 1, "one message, about the spike"
    payload = updates[-1].payload
    assert "run_spike" in {c["code"] for c in payload["changes"]}
    listed = {w["workout_id"] for w in payload["workouts"]}
    assert moved.id not in listed, "the athlete's own move is not the spike's doing"
    assert spiked & changed.keys() <= listed
    # Besides the workouts the spike names, only those added or removed in a week it changed.
    others = [changed[i] for i in listed - spiked]
    assert all(None in (c.before, c.after) and before.week_of(c.workout.date) in spike_weeks for c in others)
    after = current_plan(container)
    for entry in payload["workouts"]:
        # From what the athlete had before this version to what they have now.
        for side, plan in (("before", before), ("after", after)):
            shown = entry[side]
            assert (shown and {k: shown[k] for k in ("date", "type", "distance_m")}) == summary(
                plan, entry["workout_id"]
            ), (side, entry)
    reader = Audience.of(None, TZ).at(at(MONDAY, 9, 30))
    lines = what_changes(updates[-1])
    assert lines, "the message says what changes"
    assert not [line for line in lines if line.startswith(reader.day(friday))], lines
    assert [line for line in lines if line.startswith(reader.day(MONDAY + timedelta(days=1)))], lines


def test_a_move_alone_still_sends_nothing(container: Container) -> None:
    a_first_week_run_as_planned(container)
    friday = workout_on(current_plan(container), MONDAY + timedelta(days=4))
    sent = len(outbox(container, "plan.updated"))
    with UnitOfWork(container.sessions) as uow:
        to = friday.date + timedelta(days=1)
        outcome = commands.move(uow.session, ATHLETE_ID, friday.id, to, now=at(MONDAY, 9, 30))
        uow.commit()
    assert outcome.stored, "the move is a new version ..."
    assert outcome.workouts, "... that the API answers with"
    assert not outcome.decisions
    assert len(outbox(container, "plan.updated")) == sent, "no decision explains it: nothing is sent"
