"""The same-run rule across copies of one source (docs/sources.md#one-run-one-activity) on the real PostgreSQL:
the same run twice on Strava (the watch synced it and the athlete uploaded it again) or in two files is one
activity; deleting either copy keeps the run while the other exists; a double run stays two; a hand pairing
stays with the run when Strava deletes its activity while another copy still holds it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import select

import planner
from composition.root import Container
from plans import commands
from sources.files.importer import FileImporter
from sources.files.synthetic import fit_file
from store import plan_repository, repository
from store.db import UnitOfWork
from store.models import ActivitySource, CopyRole
from store.plan_models import OverrideKind, PlanOverride
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    event_body,
    store_event,
)
from tests.integration.helpers_backfill import pages, summary
from tests.integration.test_activity_sources import (
    START,
    STRAVA_ID,
    copies,
    grant_dead_for,
    import_file,
    push,
    runs,
    spec,
    strava_run,
)
from tests.integration.test_plans_pipeline import current_plan, outbox, plan_row, start_plan

pytestmark = pytest.mark.integration

UPLOADED_AGAIN = STRAVA_ID + 7  # Strava gives the hand upload a later id


def upload(
    minutes_in: float = 0.1, *, name: str = "Morning Run", heart_rate: float | None = None, **kw: Any
) -> dict[str, Any]:
    """The hand upload of the run on Strava: its own id, title and (maybe) heart rate."""
    return {**strava_run(UPLOADED_AGAIN, minutes_in, **kw), "name": name, "average_heartrate": heart_rate}


def strava_ids(container: Container) -> list[tuple[str, int | None, str]]:
    return [
        (c.external_id, c.activity_id, c.role) for c in copies(container) if c.source == ActivitySource.STRAVA
    ]


def test_the_same_run_twice_on_strava_is_one_activity_under_the_first_id(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    assert push(container, strava, strava_run()) == "synced"
    # The hand upload of the watch's file: the same recording, a few seconds and metres apart, a new title.
    again = upload(km=10.05)
    assert push(container, strava, again) == "synced"
    [run] = runs(container)
    assert (run.id, run.name, run.distance_m) == (STRAVA_ID, "Easy run", 10_000.0)  # the first one's fields
    assert sorted(strava_ids(container)) == [
        (str(STRAVA_ID), STRAVA_ID, CopyRole.WHOLE),
        (str(UPLOADED_AGAIN), STRAVA_ID, CopyRole.WHOLE),
    ]


def test_the_first_id_keys_the_run_whatever_order_strava_delivers_them_in(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, upload(km=10.05))
    push(container, strava, strava_run())
    [run] = runs(container)
    assert (run.id, run.distance_m) == (STRAVA_ID, 10_000.0)
    assert {activity_id for _, activity_id, _ in strava_ids(container)} == {STRAVA_ID}


@pytest.mark.parametrize(
    ("second_minutes_in", "second_minutes"),
    [
        (11 * 60, 30),  # morning and evening
        (55, 20),  # a second run five minutes after the first ended (warm-up and race saved apart)
        (50, 50),  # back to back: the second starts as the first stops
    ],
)
def test_a_double_run_on_strava_stays_two_activities(
    container: Container,
    strava: responses.RequestsMock,
    importer: FileImporter,
    second_minutes_in: float,
    second_minutes: float,
) -> None:
    push(container, strava, strava_run(minutes=50, km=10))
    push(container, strava, strava_run(UPLOADED_AGAIN, second_minutes_in, minutes=second_minutes, km=10))
    assert [r.id for r in runs(container)] == [STRAVA_ID, UPLOADED_AGAIN]


def test_deleting_either_strava_activity_keeps_the_run_while_the_other_exists(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, upload(km=10.4, name="Upload"))
    assert [r.id for r in runs(container)] == [STRAVA_ID]
    assert push(container, strava, strava_run(), aspect="delete") == "deleted"
    [run] = runs(container)
    # The upload is the run now, under its own id and with its own fields.
    assert (run.id, run.name, run.distance_m) == (UPLOADED_AGAIN, "Upload", pytest.approx(10_400))
    assert strava_ids(container) == [(str(UPLOADED_AGAIN), UPLOADED_AGAIN, CopyRole.WHOLE)]
    assert push(container, strava, strava_run(UPLOADED_AGAIN), aspect="delete") == "deleted"
    assert runs(container) == []
    assert copies(container) == []


def test_deleting_the_upload_on_strava_leaves_the_run_as_it_was(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, upload(km=10.4, heart_rate=150.0))
    [before] = runs(container)
    # A confirmed delete of an activity whose row is the other one's run: the tombstone and its copy go.
    outcome = push(container, strava, strava_run(UPLOADED_AGAIN), aspect="delete")
    assert outcome == "tombstoned"
    [run] = runs(container)
    assert (run.id, run.distance_m, run.average_heartrate) == (STRAVA_ID, 10_000.0, before.average_heartrate)
    assert run.average_heartrate is None  # the upload never gave the run its fields
    assert strava_ids(container) == [(str(STRAVA_ID), STRAVA_ID, CopyRole.WHOLE)]
    # Then the first one: nothing is left, no run revived from the deleted upload.
    push(container, strava, strava_run(), aspect="delete")
    assert runs(container) == []


def test_an_edit_of_the_upload_on_strava_keeps_one_run_and_reaches_its_copy(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, strava_run(UPLOADED_AGAIN, 0.1))
    body = event_body(
        UPLOADED_AGAIN, "update", updates={"title": "Renamed"}, event_time=int(datetime.now(UTC).timestamp())
    )
    strava.replace(
        responses.GET,
        f"{STRAVA}/api/v3/activities/{UPLOADED_AGAIN}",
        json=upload(name="Renamed"),
        headers=RATE_HEADERS,
    )
    assert container.events.process(store_event(container, body)).outcome == "synced"
    [run] = runs(container)
    assert (run.id, run.name) == (STRAVA_ID, "Easy run")
    names = {c.external_id: (c.name, c.activity_id) for c in copies(container)}
    assert names == {str(STRAVA_ID): ("Easy run", STRAVA_ID), str(UPLOADED_AGAIN): ("Renamed", STRAVA_ID)}


def test_an_upload_cropped_on_strava_to_another_run_becomes_an_activity_of_its_own(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, strava_run(UPLOADED_AGAIN, 0.1))
    cropped = strava_run(UPLOADED_AGAIN, 35, minutes=15, km=3)
    strava.replace(
        responses.GET, f"{STRAVA}/api/v3/activities/{UPLOADED_AGAIN}", json=cropped, headers=RATE_HEADERS
    )
    body = event_body(
        UPLOADED_AGAIN, "update", updates={"type": "Run"}, event_time=int(datetime.now(UTC).timestamp())
    )
    assert container.events.process(store_event(container, body)).outcome == "synced"
    assert [(r.id, r.elapsed_time_s) for r in runs(container)] == [(STRAVA_ID, 3000), (UPLOADED_AGAIN, 900)]


def test_reconciliation_knows_the_upload_and_sees_it_gone(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, upload(name="Upload"))
    assert [r.id for r in runs(container)] == [STRAVA_ID]
    with container.sessions() as session:
        known = repository.known_activity_ids(session, ATHLETE_ID, [STRAVA_ID, UPLOADED_AGAIN, 5])
        held = repository.stored_activities_between(
            session, ATHLETE_ID, START - timedelta(days=1), START + timedelta(days=1)
        )
    # Known: a list naming the upload does not fetch it again. Held: Strava's list lacking it is a delete.
    assert known == {STRAVA_ID, UPLOADED_AGAIN}
    assert sorted((a.id, a.name) for a in held) == [(STRAVA_ID, "Easy run"), (UPLOADED_AGAIN, "Upload")]


def test_a_reconciliation_that_finds_the_upload_gone_from_strava_deletes_only_its_copy(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, upload())
    listing = pages(strava, [summary(STRAVA_ID, START, name="Easy run", distance=10_000.0, moving_time=2980)])
    # The upload's delete push was lost: Strava's list no longer has it.
    strava.replace(
        responses.GET,
        f"{STRAVA}/api/v3/activities/{UPLOADED_AGAIN}",
        status=404,
        json={"message": "Not Found"},
        headers=RATE_HEADERS,
    )
    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)
    assert listing.call_count >= 1
    assert (result.missing, result.deleted, result.changed) == (0, 1, 0)
    for event_id in result.queued:
        container.events.process(event_id)
    assert [r.id for r in runs(container)] == [STRAVA_ID]
    assert strava_ids(container) == [(str(STRAVA_ID), STRAVA_ID, CopyRole.WHOLE)]


def test_the_same_run_in_two_files_of_one_format_is_one_activity_and_either_may_go(
    container: Container, importer: FileImporter
) -> None:
    first = import_file(container, importer, fit_file(spec(km=10.0, device_product=4315)))
    second = import_file(container, importer, fit_file(spec(0.4, minutes=49, km=10.2, device_product=3990)))
    assert first.activity_id is not None
    assert second.activity_id == first.activity_id
    assert len(runs(container)) == 1
    with UnitOfWork(container.sessions) as uow:
        withdrawn = importer.withdraw(uow.session, ATHLETE_ID, first.file.digest)
        uow.commit()
    assert withdrawn is not None
    assert withdrawn.activity_id == first.activity_id
    [run] = runs(container)
    assert run.distance_m == pytest.approx(10_200)  # the remaining file's fields


def test_a_double_run_in_two_files_of_one_format_stays_two(
    container: Container, importer: FileImporter
) -> None:
    import_file(container, importer, fit_file(spec(minutes=50)))
    import_file(container, importer, fit_file(spec(55, minutes=20, km=4)))
    assert len(runs(container)) == 2


def _first_workout_run_on_strava(
    container: Container, strava: responses.RequestsMock
) -> tuple[int, list[planner.Workout], datetime]:
    """A plan whose workouts are all past, its first run done as planned and synced from Strava: the plan's id,
    its runs, and when that run started."""
    start_plan(container)  # last week's Monday
    with container.sessions() as session:
        plan_id = plan_row(session).id
    workouts = [w for w in current_plan(container).weeks[0].workouts if w.is_run]
    at = datetime.combine(workouts[0].date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    push(container, strava, strava_run(km=8, minutes=48, base=at))
    return plan_id, workouts, at


def test_the_same_run_twice_on_strava_fulfils_its_workout_once(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    plan_id, workouts, at = _first_workout_run_on_strava(container, strava)
    push(container, strava, strava_run(UPLOADED_AGAIN, 0.1, km=8, minutes=48, base=at))
    with container.sessions() as session:
        pairs = plan_repository.match_pairs(session, plan_id)
        inputs = plan_repository.activities_since(session, ATHLETE_ID, workouts[0].date)
    assert pairs == {(workouts[0].id, STRAVA_ID)}
    assert [a.id for a in inputs] == [STRAVA_ID]  # the plan counts the run once
    assert len(outbox(container, "workout.matched")) == 1


def _pairings(container: Container) -> set[tuple[str, int | None]]:
    with container.sessions() as session:
        rows = session.scalars(select(PlanOverride).where(PlanOverride.kind == OverrideKind.PAIR)).all()
        return {(o.workout_id, o.activity_id) for o in rows}


def _pair(container: Container, workout: planner.Workout, activity_id: int) -> None:
    with UnitOfWork(container.sessions) as uow:
        commands.pair(uow.session, ATHLETE_ID, workout.id, activity_id, now=datetime.now(UTC))
        uow.commit()


def test_a_hand_pairing_stays_with_the_run_when_strava_deletes_it_and_a_file_holds_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    plan_id, workouts, at = _first_workout_run_on_strava(container, strava)
    import_file(container, importer, fit_file(spec(km=8.2, minutes=48, base=at)))
    # The athlete says this run was the next workout (done a day early): a pairing by hand.
    _pair(container, workouts[1], STRAVA_ID)
    assert _pairings(container) == {(workouts[1].id, STRAVA_ID)}
    assert push(container, strava, strava_run(base=at), aspect="delete") == "deleted"
    [run] = runs(container)
    assert run.id < 0  # the file's run now
    assert _pairings(container) == {(workouts[1].id, run.id)}
    with container.sessions() as session:
        assert (workouts[1].id, run.id) in plan_repository.match_pairs(session, plan_id)


def test_a_hand_pairing_stays_with_the_run_when_strava_deletes_the_first_of_two_activities(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    plan_id, workouts, at = _first_workout_run_on_strava(container, strava)
    push(container, strava, strava_run(UPLOADED_AGAIN, 0.1, km=8, minutes=48, base=at))
    _pair(container, workouts[1], STRAVA_ID)
    announced = len(outbox(container, "workout.matched"))
    push(container, strava, strava_run(base=at), aspect="delete")
    assert [r.id for r in runs(container)] == [UPLOADED_AGAIN]
    assert _pairings(container) == {(workouts[1].id, UPLOADED_AGAIN)}
    with container.sessions() as session:
        assert (workouts[1].id, UPLOADED_AGAIN) in plan_repository.match_pairs(session, plan_id)
    # The run's match moved with it: nothing announced it a second time.
    assert len(outbox(container, "workout.matched")) == announced


def test_a_run_deleted_without_other_copies_takes_its_pairing_with_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    _, workouts, _ = _first_workout_run_on_strava(container, strava)
    _pair(container, workouts[1], STRAVA_ID)
    push(container, strava, strava_run(), aspect="delete")
    assert runs(container) == []
    assert _pairings(container) == set()


def test_the_retention_purge_files_the_rest_with_the_configured_priority(
    container: Container,
    strava: responses.RequestsMock,
    importer: FileImporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import workers.jobs as tasks
    from sources.files.synthetic import gpx_file

    push(container, strava, strava_run())
    import_file(container, importer, fit_file(spec(km=10.3)))
    import_file(container, importer, gpx_file(spec(0.2, km=9.8)))
    grant_dead_for(container, days=40)
    gpx_first = container.settings.model_copy(update={"source_priority": "file_gpx,file_fit,strava"})
    monkeypatch.setattr(tasks, "container", lambda: dataclasses.replace(container, settings=gpx_first))
    assert tasks.retention_purge(ATHLETE_ID).startswith("purged")
    [run] = runs(container)
    assert run.id < 0
    assert run.distance_m == pytest.approx(
        9800, rel=0.001
    )  # the GPX ranks first here; the default would pick the FIT
