"""`week.reviewed` is one payload (docs/notifications.md): the set-based review (PostgreSQL) and the per-athlete
path (the SQLite demo, built by jobs.service.week_reviewed_payload) write the same fields and values; the
per-athlete path adds only its per-workout rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

import planner
from composition.root import Container
from jobs import review, service
from store.db import UnitOfWork
from store.plan_models import NotificationOutbox
from tests.integration.test_jobs_weekly_review import (
    GOAL,
    PROFILE,
    START,
    SUNDAY,
    TOKYO,
    adapt,
    add_run,
    local,
    make_plan,
    reviews,
)

pytestmark = pytest.mark.integration


def test_both_review_paths_write_the_same_week_reviewed_payload(container: Container) -> None:
    make_plan(container, TOKYO)
    run_days = [w.date for w in planner.generate_plan(PROFILE, GOAL, START).weeks[0].workouts if w.is_run]
    add_run(container, TOKYO, 1, run_days[0], 8.0)
    add_run(container, TOKYO, 2, run_days[1], 12.3)
    add_run(container, TOKYO, 3, run_days[1] + timedelta(days=1), 30.0, run=False)
    adapt(container, TOKYO, local(SUNDAY, 12, 0, TOKYO))
    now = local(SUNDAY + timedelta(days=1), 20, 5, TOKYO)  # Monday evening: the week has ended

    assert review.review_all(container.sessions, now=now, hour=20).written == 1
    [set_based] = reviews(container)
    with UnitOfWork(container.sessions) as uow:  # forget it, so the per-athlete path writes the same week
        uow.session.execute(delete(NotificationOutbox).where(NotificationOutbox.id == set_based.id))
        uow.commit()
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, TOKYO, START, now=now) == "reviewed"
        uow.commit()
    [per_athlete] = reviews(container)

    assert per_athlete.idempotency_key == set_based.idempotency_key
    single = dict(per_athlete.payload)
    workouts = single.pop("workouts")
    assert len(workouts) == len(run_days)
    assert single == set_based.payload
    assert (single["planned_runs"], single["done_runs"]) == (len(run_days), 2)
