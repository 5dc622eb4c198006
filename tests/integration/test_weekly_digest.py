"""The weekly digest on the real PostgreSQL (docs/notifications.md, `week.reviewed`): each athlete's week is judged
when it ends where they are, and the digest written set-based on their Monday: planned against done, the week
ahead with the decisions that change it; its message rendered at delivery in the athlete's units; a re-run
writes and sends nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import planner
from composition.root import Container
from jobs import review, service
from messages import Audience, reasons
from notify.delivery import DeliveryPolicy, Notifier
from notify.receiver import Receiver
from store.db import UnitOfWork
from store.models import Athlete
from store.plan_models import DecisionStatus, NotificationOutbox, PlanDecision
from tests.integration.conftest import update_row
from tests.integration.helpers_notify import receiver_webhook
from tests.integration.test_jobs_weekly_review import (
    GOAL,
    LA,
    PROFILE,
    START,
    SUNDAY,
    TOKYO,
    adapt,
    add_run,
    local,
    make_plan,
    review_both_ways,
    reviews,
)

pytestmark = pytest.mark.integration

NEXT = MONDAY = START + timedelta(days=7)
HOUR = 7  # the review hour (the default), Monday morning where the athlete is
PLAN = planner.generate_plan(PROFILE, GOAL, START)
RUN_DAYS = [w.date for w in PLAN.weeks[0].workouts if w.is_run]


def changing_next_week(container: Container, athlete_id: int) -> list[PlanDecision]:
    """Independently of the review's SQL: the athlete's active decisions with a workout dated next week."""
    with container.sessions() as session:
        active = session.scalars(
            select(PlanDecision)
            .where(PlanDecision.status == DecisionStatus.ACTIVE)
            .order_by(PlanDecision.week_start, PlanDecision.id)
        ).all()
        plan_ids = {r.payload["plan_id"] for r in reviews(container) if r.athlete_id == athlete_id}
    return [
        d
        for d in active
        if d.plan_id in plan_ids
        and any(
            NEXT <= date.fromisoformat(x["after"]["date"]) < NEXT + timedelta(days=7)
            for x in d.change["workouts"]
        )
    ]


def deliver_all(container: Container, receiver: Receiver) -> list[str]:
    notifier = Notifier(
        container.sessions,
        app=receiver_webhook(receiver),
        policy=DeliveryPolicy(),
        cipher=container.cipher,
    )
    return [notifier.deliver(row.id).outcome for row in reviews(container)]


def seasons(container: Container) -> None:
    """Tokyo ran two of five planned runs; Los Angeles all of them. Each plan adapted as the runs were synced."""
    for athlete_id in (TOKYO, LA):
        make_plan(container, athlete_id)
    add_run(container, TOKYO, 1, RUN_DAYS[0], 8.0)
    add_run(container, TOKYO, 2, RUN_DAYS[1], 12.3)
    planned = [w for w in PLAN.weeks[0].workouts if w.is_run]
    for n, workout in enumerate(planned):
        add_run(container, LA, 10 + n, workout.date, workout.distance_m / 1000)
    adapt(container, TOKYO, local(SUNDAY, 12, 0, TOKYO))
    adapt(container, LA, local(SUNDAY, 12, 0, LA))
    update_row(container, Athlete, LA, units="imperial")


def close_weeks(container: Container, now: datetime) -> list[int]:
    """What the review tick does in the first hour of a Monday: each athlete whose week just ended is judged."""
    with container.sessions() as session:
        closing = list(review.closing_athletes(session, now=now))
    for athlete_id in closing:
        with UnitOfWork(container.sessions) as uow:
            assert service.close_week(uow.session, athlete_id, now=now) in ("adapted", "unchanged")
            uow.commit()
    return closing


def test_each_athlete_gets_the_digest_at_the_end_of_their_own_week(
    container: Container, receiver: Receiver
) -> None:
    seasons(container)
    assert changing_next_week(container, TOKYO) == []  # the planner judges a week once it is over
    # Midnight in Tokyo is 15:00 UTC on Sunday, still Sunday morning in Los Angeles: only Tokyo's week ended.
    assert close_weeks(container, local(MONDAY, 0, 5, TOKYO)) == [TOKYO]
    assert close_weeks(container, local(MONDAY, 0, 5, LA)) == [LA]
    assert close_weeks(container, local(MONDAY, 1, 5, LA)) == []  # once

    assert review.review_all(container.sessions, now=local(MONDAY, 6, 55, TOKYO), hour=HOUR).written == 0
    # Monday 07:05 in Tokyo is Sunday 22:05 UTC (and Sunday afternoon in Los Angeles): Tokyo's digest only.
    tokyo_morning = local(MONDAY, 7, 5, TOKYO)
    assert tokyo_morning.date() == SUNDAY
    assert review.review_all(container.sessions, now=tokyo_morning, hour=HOUR).written == 1
    assert review.review_all(container.sessions, now=local(MONDAY, 7, 5, LA), hour=HOUR).written == 1
    tokyo, la = reviews(container)
    assert (tokyo.athlete_id, la.athlete_id) == (TOKYO, LA)
    assert {tokyo.payload["week_start"], la.payload["week_start"]} == {START.isoformat()}

    # Planned against done, and the week ahead with the decisions that change it.
    runs = len(RUN_DAYS)
    assert (tokyo.payload["done_km"], tokyo.payload["done_runs"], tokyo.payload["planned_runs"]) == (
        20.3,
        2,
        runs,
    )
    assert (la.payload["done_runs"], la.payload["planned_runs"]) == (runs, runs)
    expected = changing_next_week(container, TOKYO)
    assert expected, "the under-done week changes the week ahead"
    upcoming = tokyo.payload["next_week"]
    assert upcoming["week_start"] == NEXT.isoformat()
    assert [d["id"] for d in upcoming["decisions"]] == [d.change_id for d in expected]
    assert [d["id"] for d in la.payload["next_week"]["decisions"]] == [
        d.change_id for d in changing_next_week(container, LA)
    ]

    assert deliver_all(container, receiver) == ["delivered", "delivered"]
    by_athlete = {m.json()["data"]["athlete_id"]: m.json()["data"] for m in receiver.webhooks()}
    tokyo_message, la_message = by_athlete[TOKYO]["message"], by_athlete[LA]["message"]
    assert tokyo_message["headline"] == f"Your week of 6 Jul: 20.3 km of {tokyo.payload['planned_km']:g} km"
    assert f"and did 2 of {runs} planned runs" in tokyo_message["body"]
    assert f"The week ahead, from Mon 13 Jul: {upcoming['planned_km']:g} km" in tokyo_message["body"]
    tokyo_reader = Audience.of("metric", "Asia/Tokyo").on(NEXT)  # read the Monday after the week
    for decision in expected:  # each decision's own message, as the catalogue words it, says why
        said = reasons.change_message(tokyo_reader, planner.change_from_dict(decision.change))
        assert said.headline in tokyo_message["body"]
        assert said.body in tokyo_message["body"]
    assert " mi" in la_message["headline"]
    assert " km" not in la_message["body"]  # the athlete's units
    assert by_athlete[TOKYO]["reasons"][0] == tokyo_message["body"].split("\n\n")[0]


def test_the_review_runs_again_and_nothing_is_written_or_sent_twice(
    container: Container, receiver: Receiver
) -> None:
    seasons(container)
    la_morning = local(MONDAY, 7, 5, LA)  # both weeks have ended: Tuesday 00:05 in Tokyo (catch-up window)
    assert review.review_all(container.sessions, now=la_morning, hour=HOUR).written == 2
    assert deliver_all(container, receiver) == ["delivered", "delivered"]
    again = review.review_all(container.sessions, now=la_morning + timedelta(hours=1), hour=HOUR)
    assert (again.scanned, again.written) == (2, 0)
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, TOKYO, START, now=la_morning) == "already reviewed"
        uow.commit()
    assert deliver_all(container, receiver) == ["already_delivered", "already_delivered"]
    assert len(receiver.webhooks()) == 2
    assert len(reviews(container)) == 2


def test_a_digest_rendered_once_is_sent_the_same_on_every_retry(
    container: Container, receiver: Receiver
) -> None:
    seasons(container)
    assert review.review_all(container.sessions, now=local(MONDAY, 7, 5, TOKYO), hour=HOUR).written == 1
    [row] = reviews(container)
    receiver.responses[:] = [500]
    now = datetime.now(UTC)
    clock = [now]
    notifier = Notifier(
        container.sessions,
        app=receiver_webhook(receiver),
        policy=DeliveryPolicy(base_s=1, max_s=1),
        cipher=container.cipher,
        clock=lambda: clock[0],
    )
    assert notifier.deliver(row.id).outcome == "retrying"
    update_row(
        container, Athlete, TOKYO, units="imperial"
    )  # changed between attempts: the message already sent stays
    clock[0] = now + timedelta(seconds=5)
    assert notifier.deliver(row.id).outcome == "delivered"
    first, second = receiver.webhooks()
    assert first.body == second.body
    with container.sessions() as session:
        stored = session.get(NotificationOutbox, row.id)
        assert stored is not None
        assert stored.payload["message"] == first.json()["data"]["message"]


def test_the_tick_closes_the_weeks_that_just_ended_and_nothing_else(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import jobs

    seasons(container)
    sent: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(jobs, "container", lambda: container)
    monkeypatch.setattr(jobs, "send", lambda task, *args, **kwargs: sent.append((task, args)) or True)
    monkeypatch.setattr(jobs, "_now", lambda: local(MONDAY, 0, 5, TOKYO))
    assert jobs.weekly_review_tick() == 0  # no digest before the review hour
    assert sent == [("jobs.week_close", (TOKYO,))]


def test_both_review_paths_write_the_same_digest_figures_and_decisions(container: Container) -> None:
    seasons(container)
    close_weeks(container, local(MONDAY, 0, 5, TOKYO))
    set_based, per_athlete = review_both_ways(container, TOKYO, local(MONDAY, 7, 5, TOKYO), hour=HOUR)
    single = dict(per_athlete.payload)
    single.pop("workouts")
    assert single == set_based.payload
    assert len(single["next_week"]["decisions"]) == len(changing_next_week(container, TOKYO)) > 0
