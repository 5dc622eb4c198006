"""What an unverifiable event may cost, failures that must not loop, deletes for a dead grant, reconciliation's
repair of tombstones, the purge after a deauthorization and the retention job: real PostgreSQL, Strava mocked
at the HTTP level with `responses`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from composition.root import Container
from jobs import retention
from store import repository
from store.db import UnitOfWork
from store.models import Activity, ActivityTombstone, StravaConnection, StravaEvent
from store.plan_models import PlanChange, PlanPageLink, PlanVersion
from sync.events import EventProcessor, Processed, RetryPolicy
from sync.reconcile import athletes_due
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)
from tests.integration.helpers_backfill import pages
from tests.integration.test_plans_pipeline import (
    REFRESH_INVALID,
    TOKEN_URL,
    first_workout,
    run_on,
    start_plan,
)
from tests.security.conftest import table_rows_as_text
from webhooks.app import create_app

pytestmark = pytest.mark.integration

ANY_ACTIVITY = re.compile(rf"{re.escape(STRAVA)}/api/v3/activities/\d+")
NOT_FOUND = {"message": "Resource Not Found", "errors": []}


def processor(container: Container, allowance: int) -> EventProcessor:
    """The container's processor with a small allowance and no plan pipeline (these tests have no plan)."""
    policy = RetryPolicy(base_s=1, max_s=2, not_found_retries=3, unverified_allowance=allowance)
    return EventProcessor(container.sessions, container.gateway, container.tokens, policy)


def run_to_end(events: EventProcessor, event_id: int, limit: int = 10) -> Processed:
    """Process like the task does: again while the service asks for a retry."""
    for _ in range(limit):
        result = events.process(event_id)
        if result.outcome not in ("not_found_retrying", "retrying"):
            return result
    raise AssertionError(f"event {event_id} still retrying after {limit} attempts")


def counted(decision: str) -> float:
    value = REGISTRY.get_sample_value("runsmart_unverified_event_calls_total", {"decision": decision})
    return value or 0.0


def event_row(container: Container, event_id: int) -> StravaEvent:
    with container.sessions() as session:
        row = session.get(StravaEvent, event_id)
        assert row is not None
        return row


def stored(container: Container, activity_id: int) -> Activity | None:
    with container.sessions() as session:
        return session.get(Activity, activity_id)


def set_connection(container: Container, athlete_id: int = ATHLETE_ID, **values: Any) -> None:
    with UnitOfWork(container.sessions) as uow:
        uow.session.execute(
            update(StravaConnection).where(StravaConnection.athlete_id == athlete_id).values(**values)
        )
        uow.commit()


# --- what an unverifiable event may cost -------------------------------------------------------------


def test_events_for_athletes_without_a_connection_cost_no_call(
    container: Container, strava: responses.RequestsMock
) -> None:
    reads = strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    events = processor(container, allowance=5)
    for n in range(12):
        forged = store_event(
            container, event_body(800_000 + n, owner_id=31_337, event_time=1_700_000_000 + n)
        )
        assert run_to_end(events, forged).outcome == "ignored_unknown_athlete"
    assert reads.call_count == 0


def test_forged_creates_spend_at_most_the_athletes_allowance_and_reconciliation_finds_the_real_run(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    connect_athlete(container, 777, access="access-777", refresh="refresh-777")
    reads = strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    events = processor(container, allowance=5)
    spent, refused = counted("spent"), counted("refused")

    outcomes = [
        run_to_end(
            events, store_event(container, event_body(900_000 + n, event_time=1_700_000_000 + n))
        ).outcome
        for n in range(10)
    ]

    # 10 made-up ids would have cost 40 reads (a read and 3 not-found retries each); the allowance is 5.
    assert reads.call_count == 5
    assert outcomes[:1] == ["gone"]  # the first event used its read and 3 retries: 4 of the 5
    assert outcomes[2:] == ["deferred_to_reconcile"] * 8
    assert outcomes[1] in ("not_found_allowance_spent", "deferred_to_reconcile")
    assert counted("spent") - spent == 5
    assert counted("refused") - refused >= 9
    # Another athlete's allowance is their own.
    strava.get(f"{STRAVA}/api/v3/activities/42", json=detailed_activity(42, 777), headers=RATE_HEADERS)
    other = store_event(container, event_body(42, owner_id=777, event_time=1_700_000_500))
    assert run_to_end(events, other).outcome == "synced"

    # The athlete's real run, pushed during the flood, waits for reconciliation, which its events put on the
    # nightly list; the listing's own events are never refused.
    real = store_event(container, event_body(43, event_time=1_700_000_600))
    assert run_to_end(events, real).outcome == "deferred_to_reconcile"
    now = datetime.now(UTC)
    with container.sessions() as session:
        assert ATHLETE_ID in athletes_due(session, now)
    pages(strava, [{"id": 43, "athlete": {"id": ATHLETE_ID}, "name": "Real run"}])
    strava.get(f"{STRAVA}/api/v3/activities/43", json=detailed_activity(43), headers=RATE_HEADERS)
    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)
    assert [run_to_end(events, event_id).outcome for event_id in result.queued] == ["synced"]
    assert stored(container, 43) is not None


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def push_at(container: Container, body: dict[str, Any], received_at: datetime) -> int:
    with UnitOfWork(container.sessions) as uow:
        event_id = repository.insert_event_if_new(uow.session, {**body, "received_at": received_at})
        uow.commit()
    assert event_id is not None
    return event_id


def sweep(container: Container, events: EventProcessor, now: datetime) -> list[Processed]:
    """What inbox.redrive does at `now`: every row that is due, processed."""
    with container.sessions() as session:
        due = repository.events_to_redrive(
            session, now=now, stale_before=now - timedelta(minutes=10), limit=500
        )
    return [events.process(event_id) for event_id in due]


def test_a_spent_allowance_delays_the_delete_of_a_stored_run_by_about_one_window(
    container: Container, strava: responses.RequestsMock
) -> None:
    # Spent by one forged delete (allowance 1): the next delete of a stored run is parked as a row, makes no
    # call, and is read and applied by the sweeper once the window frees: well within the 48-hour term.
    connect_athlete(container)
    clock = SimulatedClock(datetime.now(UTC))
    window = timedelta(hours=1)
    policy = RetryPolicy(base_s=1, max_s=2, unverified_allowance=1, unverified_window_s=3600)
    events = EventProcessor(container.sessions, container.gateway, container.tokens, policy, now=clock)
    url = f"{STRAVA}/api/v3/activities/51"
    strava.get(url, json=detailed_activity(51), headers=RATE_HEADERS)
    created = push_at(container, event_body(51, event_time=int(clock.now.timestamp())), clock.now)
    assert events.process(created).outcome == "synced"

    clock.advance(minutes=5)
    forged = push_at(container, event_body(51, "delete", event_time=int(clock.now.timestamp())), clock.now)
    assert events.process(forged).outcome == "ignored_delete_not_confirmed"  # one read: the allowance
    spent_at = clock.now

    clock.advance(minutes=5)  # the athlete really deletes the run
    strava.replace(responses.GET, url, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    real = push_at(container, event_body(51, "delete", event_time=int(clock.now.timestamp())), clock.now)
    reads_before = len(strava.calls)
    assert events.process(real).outcome == "delete_parked"
    assert len(strava.calls) == reads_before  # parked, not read
    parked = event_row(container, real)
    assert parked.status == "pending"
    assert parked.next_attempt_at is not None
    assert spent_at + window < parked.next_attempt_at <= spent_at + window + timedelta(minutes=1)
    assert stored(container, 51) is not None
    with container.sessions() as session:
        assert repository.pending_webhook_events(session) == 0  # backfills do not wait for a parked delete

    # When the call frees, a push timed for it yields to the parked delete: no read, left to reconciliation.
    clock.now = parked.next_attempt_at
    others = strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    timed = push_at(container, event_body(52, event_time=int(clock.now.timestamp())), clock.now)
    assert events.process(timed).outcome == "deferred_to_reconcile"
    assert others.call_count == 0

    applied_at = None
    while applied_at is None and clock.now < spent_at + 2 * window:
        if any(result.outcome == "deleted" for result in sweep(container, events, clock.now)):
            applied_at = clock.now
        clock.advance(minutes=1)
    assert applied_at is not None
    assert applied_at - spent_at <= window + timedelta(minutes=2)
    assert stored(container, 51) is None
    assert event_row(container, real).outcome == "deleted"


def test_a_delete_that_a_later_read_disproves_costs_no_call(
    container: Container, strava: responses.RequestsMock
) -> None:
    # Strava showed us the run after the claimed deletion (by its event_time, or because the delete reached us
    # before that read), and an event_time ahead of our clock is no claim at all: no call for any of them.
    connect_athlete(container)
    clock = SimulatedClock(datetime.now(UTC))
    events = EventProcessor(
        container.sessions,
        container.gateway,
        container.tokens,
        RetryPolicy(unverified_allowance=5),
        now=clock,
    )
    read = strava.get(f"{STRAVA}/api/v3/activities/61", json=detailed_activity(61), headers=RATE_HEADERS)
    early = push_at(container, event_body(61, "delete", event_time=int(clock.now.timestamp())), clock.now)
    clock.advance(minutes=10)
    synced = push_at(container, event_body(61, event_time=int(clock.now.timestamp())), clock.now)
    assert events.process(synced).outcome == "synced"
    clock.advance(minutes=30)
    stale = int((clock.now - timedelta(minutes=45)).timestamp())  # before the read, beyond any clock skew
    replayed = push_at(container, event_body(61, "delete", event_time=stale), clock.now)
    future = int((clock.now + timedelta(hours=2)).timestamp())
    ahead = push_at(container, event_body(61, "delete", event_time=future), clock.now)

    assert events.process(early).outcome == "ignored_delete_disproved_by_read"
    assert events.process(replayed).outcome == "ignored_delete_disproved_by_read"
    assert events.process(ahead).outcome == "ignored_delete_not_credible"
    assert read.call_count == 1  # the create's
    assert stored(container, 61) is not None


# --- failures that must not loop silently ---------------------------------------------------------------


def test_an_unclassified_4xx_fails_the_event_for_good_with_its_reason(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    read = strava.get(
        ANY_ACTIVITY,
        status=400,
        json={
            "message": "Bad Request",
            "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}],
        },
        headers=RATE_HEADERS,
    )
    event_id = store_event(container, event_body())

    result = container.events.process(event_id)

    assert (result.outcome, result.retry_in_s) == ("rejected", None)
    row = event_row(container, event_id)
    assert (row.status, row.outcome, row.attempts, row.next_attempt_at) == ("failed", "rejected", 1, None)
    assert row.last_error is not None
    assert "400" in row.last_error
    # Never re-driven: the same request would get the same answer.
    far = datetime.now(UTC) + timedelta(days=30)
    with container.sessions() as session:
        assert event_id not in repository.events_to_redrive(session, now=far, stale_before=far, limit=100)
    assert read.call_count == 1


def test_an_unexpected_error_is_recorded_then_raised_and_retried_within_bounds(container: Container) -> None:
    connect_athlete(container)

    class Broken:
        def get_activity(self, *_: Any, **__: Any) -> dict[str, Any]:
            raise RuntimeError("a bug, not Strava")

    events = EventProcessor(
        container.sessions,
        Broken(),
        container.tokens,
        RetryPolicy(base_s=1, max_s=2, max_retries=2),  # type: ignore[arg-type]
    )
    event_id = store_event(container, event_body())
    outcomes = []
    for _ in range(3):
        with pytest.raises(RuntimeError):  # the task fails visibly, with its traceback
            events.process(event_id)
        outcomes.append(event_row(container, event_id).outcome)
    assert outcomes == ["retrying", "retrying", "failed"]
    row = event_row(container, event_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "internal error (RuntimeError)")
    assert row.next_attempt_at is not None  # re-driven an hour later, like any exhausted retry


# --- deletes for a dead grant, and tombstones that Strava contradicts -----------------------------------


def test_a_delete_for_a_dead_grant_removes_the_owners_run_until_strava_shows_it_again(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    read = strava.get(f"{STRAVA}/api/v3/activities/61", json=detailed_activity(61), headers=RATE_HEADERS)
    assert container.events.process(store_event(container, event_body(61))).outcome == "synced"
    set_connection(container, status="needs_reauth")

    delete = store_event(container, event_body(61, "delete", event_time=1_700_000_100))
    assert container.events.process(delete).outcome == "deleted_unconfirmed"
    assert stored(container, 61) is None
    assert event_row(container, delete).status == "done"
    with container.sessions() as session:
        assert session.scalars(select(ActivityTombstone)).all() == []  # nothing keeps it from coming back
    unknown = store_event(container, event_body(62, "delete", event_time=1_700_000_200))
    assert container.events.process(unknown).outcome == "ignored_delete_unverifiable"
    assert read.call_count == 1

    # Forged after all: once the athlete reconnects, Strava still lists the run, and it comes back.
    connect_athlete(container, access="access-2", refresh="refresh-2")
    pages(strava, [{"id": 61, "athlete": {"id": ATHLETE_ID}}])
    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)
    assert [container.events.process(event_id).outcome for event_id in result.queued] == ["synced"]
    assert stored(container, 61) is not None


def test_reconciliation_restores_a_tombstoned_run_that_strava_lists_for_its_owner(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    with UnitOfWork(container.sessions) as uow:
        uow.session.add(ActivityTombstone(id=71, athlete_id=ATHLETE_ID, deleted_at=datetime.now(UTC)))
        uow.commit()
    pages(strava, [{"id": 71, "athlete": {"id": ATHLETE_ID}}])
    strava.get(f"{STRAVA}/api/v3/activities/71", json=detailed_activity(71), headers=RATE_HEADERS)

    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)

    assert result.missing == 1
    assert [container.events.process(event_id).outcome for event_id in result.queued] == ["synced"]
    assert stored(container, 71) is not None
    with container.sessions() as session:
        assert session.get(ActivityTombstone, 71) is None


# --- deauthorization: the purge and the feed --------------------------------------------------------------

RUN_ID = 7_350_123_457
RUN_NAME = "Dijkpad-loop-8842"


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    from pydantic import SecretStr

    container.settings.api_keys = SecretStr("app-key-0123456789abcdef")
    app = create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)
    with TestClient(app) as client:
        yield client


def issue_feed(api: TestClient) -> str:
    response = api.post(
        f"/api/v1/athletes/{ATHLETE_ID}/ical",
        params={"rotate": True},
        headers={"Authorization": "Bearer app-key-0123456789abcdef"},
    )
    assert response.status_code == 200
    return str(response.json()["url"]).rsplit("/ical/", 1)[1]


def deauthorize(container: Container, strava: responses.RequestsMock) -> None:
    strava.post(TOKEN_URL, status=400, json=REFRESH_INVALID)
    body = event_body(ATHLETE_ID, "update", object_type="athlete", updates={"authorized": "false"})
    assert container.events.process(
        store_event(container, {**body, "event_time": 1_800_000_000})
    ).outcome == ("deauthorized")


def test_a_deauthorization_leaves_no_text_derived_from_strava_and_closes_the_feed(
    container: Container, strava: responses.RequestsMock, api: TestClient, clean_db: str
) -> None:
    connect_athlete(container)
    start_plan(container)
    workout = first_workout(container)
    strava.get(
        f"{STRAVA}/api/v3/activities/{RUN_ID}",
        json={**run_on(workout.date, RUN_ID, distance_m=workout.distance_m), "name": RUN_NAME},
        headers=RATE_HEADERS,
    )
    assert container.events.process(store_event(container, event_body(RUN_ID))).outcome == "synced"
    feed = issue_feed(api)
    assert api.get(f"/ical/{feed}").status_code == 200
    page = api.post(
        f"/api/v1/athletes/{ATHLETE_ID}/plan-page-link",
        headers={"Authorization": "Bearer app-key-0123456789abcdef"},
    ).json()["url"]
    page_path = "/p/" + str(page).rsplit("/p/", 1)[1]
    assert api.get(page_path).status_code == 200
    needles = (str(RUN_ID), RUN_NAME)
    before = table_rows_as_text(clean_db)
    # Not vacuous: the run, its match notification and the plan's changes are there to be purged.
    assert any(n in row for rows in before.values() for row in rows for n in needles)
    with container.sessions() as session:
        assert session.scalars(select(PlanChange)).all()
        adapted_to = max(session.scalars(select(PlanVersion.version)))

    deauthorize(container, strava)

    after = table_rows_as_text(clean_db)
    found = sorted({table for table, rows in after.items() for row in rows for n in needles if n in row})
    assert found == []
    with container.sessions() as session:
        versions = {v.version: v for v in session.scalars(select(PlanVersion))}
        # The version numbers go on; the one the runs adapted is back to the athlete's own first version.
        assert versions[adapted_to].plan == versions[1].plan
        assert set(versions) <= {1, adapted_to, adapted_to + 1}
        assert all(c.version > adapted_to for c in session.scalars(select(PlanChange)))
    outbox_types = {row.split(",")[2] for row in after["notification_outbox"]}
    assert outbox_types <= {"connection.revoked", "plan.updated"}
    assert "connection.revoked" in outbox_types
    # The feed's URL is dead, and a URL issued after the disconnect says so.
    assert api.get(f"/ical/{feed}").status_code == 404
    assert api.get(f"/ical/{issue_feed(api)}").status_code == 410
    # The plan page's link is forgotten too, so a later reconnect does not revive it.
    with container.sessions() as session:
        assert session.scalars(select(PlanPageLink)).all() == []
    assert api.get(page_path).status_code == 404


# --- retention ----------------------------------------------------------------------------------------


def test_raw_payloads_are_dropped_after_their_retention_and_the_runs_stay(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    for activity_id in (81, 82):
        strava.get(
            f"{STRAVA}/api/v3/activities/{activity_id}",
            # Two runs on two days: overlapping activities of one athlete are one run (docs/sources.md).
            json=detailed_activity(activity_id, start_date=f"2026-07-{activity_id - 60}T10:12:00Z"),
            headers=RATE_HEADERS,
        )
        container.events.process(
            store_event(container, event_body(activity_id, event_time=1_700_000_000 + activity_id))
        )
    now = datetime.now(UTC)
    with UnitOfWork(container.sessions) as uow:
        uow.session.execute(
            update(Activity).where(Activity.id == 81).values(fetched_at=now - timedelta(days=7, minutes=1))
        )
        uow.commit()

    for dropped in (1, 0):  # the second run finds nothing left to drop
        with UnitOfWork(container.sessions) as uow:
            assert retention.drop_expired_raw_payloads(uow.session, now=now, days=7) == dropped
            uow.commit()

    old, fresh = stored(container, 81), stored(container, 82)
    assert old is not None
    assert fresh is not None
    assert (old.raw, old.distance_m, old.is_run) == (None, 10012.3, True)
    assert fresh.raw is not None
    assert fresh.raw["id"] == 82


def test_an_athlete_whose_grant_stays_dead_past_the_retention_is_purged_once(
    container: Container, strava: responses.RequestsMock
) -> None:
    now = datetime.now(UTC)
    for athlete_id, status, dead_for in (
        (ATHLETE_ID, "needs_reauth", timedelta(days=8)),
        (501, "needs_reauth", timedelta(days=2)),  # may still reconnect
        (502, "active", timedelta(days=30)),
    ):
        connect_athlete(container, athlete_id, access=f"a-{athlete_id}", refresh=f"r-{athlete_id}")
        strava.get(
            f"{STRAVA}/api/v3/activities/{athlete_id}",
            json=detailed_activity(athlete_id, athlete_id),
            headers=RATE_HEADERS,
        )
        body = event_body(athlete_id, owner_id=athlete_id)
        assert container.events.process(store_event(container, body)).outcome == "synced"
        set_connection(container, athlete_id, status=status, updated_at=now - dead_for)

    with container.sessions() as session:
        assert list(retention.dead_grants_due(session, now=now, days=7)) == [ATHLETE_ID]
    with UnitOfWork(container.sessions) as uow:
        assert retention.purge_dead_grant(uow.session, ATHLETE_ID, now=now, days=7).startswith("purged")
        uow.commit()

    assert stored(container, ATHLETE_ID) is None
    assert stored(container, 501) is not None
    assert stored(container, 502) is not None
    with container.sessions() as session:
        assert list(retention.dead_grants_due(session, now=now, days=7)) == []
        assert session.scalars(select(StravaEvent).where(StravaEvent.owner_id == ATHLETE_ID)).all() == []
        connection = session.get(StravaConnection, ATHLETE_ID)
        assert connection is not None
        assert connection.data_purged_at == now
    # An athlete who reconnected between the selection and the purge keeps everything.
    set_connection(container, 501, status="active", updated_at=now)
    with UnitOfWork(container.sessions) as uow:
        assert retention.purge_dead_grant(uow.session, 501, now=now, days=1).startswith("skipped")
        uow.commit()
    assert stored(container, 501) is not None


def test_the_retention_job_runs_daily_on_the_maintenance_queue() -> None:
    import workers.jobs  # noqa: F401 - registers the tasks, as the worker's `include` does
    from workers.celery_app import app

    entry = app.conf.beat_schedule["retention"]
    assert entry["task"] == "jobs.retention_tick"
    assert "jobs.retention_tick" in app.tasks
    assert "jobs.retention_purge" in app.tasks
    assert app.amqp.router.route({}, "jobs.retention_purge")["queue"].name == "maintenance"


def test_the_retention_tasks_drop_raw_payloads_and_fan_out_one_purge_per_athlete(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.jobs as tasks

    connect_athlete(container)
    strava.get(f"{STRAVA}/api/v3/activities/91", json=detailed_activity(91), headers=RATE_HEADERS)
    assert container.events.process(store_event(container, event_body(91))).outcome == "synced"
    long_ago = datetime.now(UTC) - timedelta(days=40)
    set_connection(container, status="needs_reauth", updated_at=long_ago)
    with UnitOfWork(container.sessions) as uow:
        uow.session.execute(update(Activity).values(fetched_at=long_ago))
        uow.commit()
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "container", lambda: container)
    monkeypatch.setattr(tasks, "send", lambda *args, **kwargs: sent.append((*args, kwargs["queue"])))

    assert tasks.retention_tick() == 1
    assert sent == [("jobs.retention_purge", ATHLETE_ID, "maintenance")]
    run = stored(container, 91)
    assert run is not None
    assert run.raw is None
    assert tasks.retention_purge(ATHLETE_ID).startswith("purged")
    assert stored(container, 91) is None
    assert (
        tasks.retention_purge(ATHLETE_ID) == "skipped: already purged"
    )  # a redelivered task changes nothing
