"""One run, one activity (docs/sources.md) on the real PostgreSQL: Strava's path (mocked at the HTTP level) and
file imports feeding the same runs, the same plan pipeline, and a purge of Strava data that leaves the files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import select

from composition.root import Container
from sources.files.importer import FileImporter, FileOutcome, Imported, importer_from_settings
from sources.files.synthetic import RunSpec, fit_file, gpx_file, tcx_file
from store import plan_repository, repository
from store.db import UnitOfWork
from store.models import Activity, ActivityCopy, ActivitySource, CopyRole, StravaConnection
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
    update_row,
)
from tests.integration.test_plans_pipeline import first_workout, outbox, plan_row, start_plan

pytestmark = pytest.mark.integration

TZ = "Europe/Amsterdam"
STRAVA_ID = 9_100_000_001
DAY = (datetime.now(UTC) - timedelta(days=2)).date()
START = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)


@pytest.fixture
def fit_first_importer(container: Container, tmp_path: Path) -> Iterator[FileImporter]:
    connect_athlete(container)
    settings = container.settings.model_copy(
        update={"import_files_dir": str(tmp_path / "files"), "source_priority": "file_fit,strava"}
    )
    return importer_from_settings(settings, [container.plans])


def spec(
    minutes_in: float = 0, *, minutes: float = 50, km: float = 10.0, base: datetime = START, **kw: Any
) -> RunSpec:
    return RunSpec(
        start=base + timedelta(minutes=minutes_in), elapsed_s=round(minutes * 60), distance_m=km * 1000, **kw
    )


def strava_run(
    activity_id: int = STRAVA_ID,
    minutes_in: float = 0,
    *,
    minutes: float = 50,
    km: float = 10.0,
    base: datetime = START,
    **kw: Any,
) -> dict[str, Any]:
    start = base + timedelta(minutes=minutes_in)
    local = start + timedelta(hours=2)
    return detailed_activity(
        activity_id,
        start_date=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        start_date_local=local.strftime("%Y-%m-%dT%H:%M:%SZ"),
        timezone=f"(GMT+01:00) {TZ}",
        distance=km * 1000,
        moving_time=round(minutes * 60) - 20,
        elapsed_time=round(minutes * 60),
        workout_type=None,
        name="Easy run",
        average_heartrate=None,
        max_heartrate=None,
        **kw,
    )


def push(
    container: Container, strava: responses.RequestsMock, body: dict[str, Any], aspect: str = "create"
) -> str:
    if aspect == "create":
        strava.get(f"{STRAVA}/api/v3/activities/{body['id']}", json=body, headers=RATE_HEADERS)
    else:
        strava.get(
            f"{STRAVA}/api/v3/activities/{body['id']}",
            status=404,
            json={"message": "Not Found"},
            headers=RATE_HEADERS,
        )
    event_id = store_event(
        container, event_body(body["id"], aspect, event_time=int(datetime.now(UTC).timestamp()))
    )
    return container.events.process(event_id).outcome


def import_file(container: Container, importer: FileImporter, data: bytes) -> Imported:
    with UnitOfWork(container.sessions) as uow:
        result = importer.import_bytes(uow.session, ATHLETE_ID, data)
        uow.commit()
    return result


def runs(container: Container) -> list[Activity]:
    with container.sessions() as session:
        return list(session.scalars(select(Activity).order_by(Activity.start_date)).all())


def copies(container: Container) -> list[ActivityCopy]:
    with container.sessions() as session:
        return list(session.scalars(select(ActivityCopy).order_by(ActivityCopy.id)).all())


def grant_dead_for(container: Container, days: int) -> None:
    """The athlete's Strava grant has waited `days` days for a new consent (what the retention purge reads)."""
    update_row(
        container,
        StravaConnection,
        ATHLETE_ID,
        status="needs_reauth",
        updated_at=datetime.now(UTC) - timedelta(days=days),
    )


def assert_only_the_fit_files_run_is_left(container: Container) -> None:
    [run] = runs(container)
    assert run.id < 0
    assert run.distance_m == pytest.approx(10_300)
    assert [c.source for c in copies(container)] == [ActivitySource.FILE_FIT]


def test_a_file_of_a_run_strava_holds_merges_into_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    assert push(container, strava, strava_run()) == "synced"
    merged = import_file(container, importer, fit_file(spec(1.5, minutes=49.5, km=10.2, heart_rate=151)))
    assert (merged.outcome, merged.activity_id, merged.role) == (
        FileOutcome.MERGED,
        STRAVA_ID,
        CopyRole.WHOLE,
    )
    [run] = runs(container)
    # Strava ranks first: its measured fields; the heart rate Strava lacks comes from the watch.
    assert (run.id, run.distance_m, run.name, run.average_heartrate) == (
        STRAVA_ID,
        10_000.0,
        "Easy run",
        151.0,
    )
    assert sorted(c.source for c in copies(container)) == [ActivitySource.FILE_FIT, ActivitySource.STRAVA]
    again = import_file(container, importer, fit_file(spec(1.5, minutes=49.5, km=10.2, heart_rate=151)))
    assert again.outcome is FileOutcome.ALREADY_IMPORTED
    assert len(copies(container)) == 2


def test_a_run_first_seen_in_a_file_takes_stravas_id_when_strava_brings_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    first = import_file(container, importer, gpx_file(spec(-1, minutes=51, km=9.9)))
    assert first.outcome is FileOutcome.IMPORTED
    assert first.activity_id is not None
    assert first.activity_id < 0
    push(container, strava, strava_run())
    [run] = runs(container)
    assert run.id == STRAVA_ID
    assert {c.activity_id for c in copies(container)} == {STRAVA_ID}


def test_the_same_run_from_two_files_is_one_activity_and_a_double_run_is_two(
    container: Container, importer: FileImporter
) -> None:
    import_file(container, importer, fit_file(spec()))
    assert (
        import_file(container, importer, tcx_file(spec(0.5, minutes=49, km=10.1))).outcome
        is FileOutcome.MERGED
    )
    evening = import_file(container, importer, gpx_file(spec(11 * 60, minutes=30, km=6)))
    assert evening.outcome is FileOutcome.IMPORTED
    assert [r.distance_m for r in runs(container)] == [10_000.0, pytest.approx(6000, rel=0.01)]


def test_a_treadmill_run_with_a_wrong_distance_merges_and_the_priority_picks_the_distance(
    container: Container, strava: responses.RequestsMock, fit_first_importer: FileImporter
) -> None:
    push(container, strava, strava_run(km=10.0, trainer=True))
    watch = import_file(container, fit_first_importer, fit_file(spec(0.3, km=8.1, indoor=True)))
    assert watch.outcome is FileOutcome.MERGED
    [run] = runs(container)
    assert run.distance_m == pytest.approx(8100)  # RUNSMART_SOURCE_PRIORITY=file_fit,strava
    assert run.name == "Easy run"  # the watch has no title: Strava's fills it


def test_a_run_split_in_two_files_is_two_runs_until_the_whole_arrives(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    import_file(container, importer, fit_file(spec(minutes=29, km=6)))
    import_file(container, importer, fit_file(spec(31, minutes=29, km=6)))
    assert len(runs(container)) == 2  # two recordings, no overlap: the run is counted once, in two parts
    push(container, strava, strava_run(minutes=60, km=12))
    [run] = runs(container)
    assert (run.id, run.distance_m) == (STRAVA_ID, 12_000.0)
    assert sorted(c.role for c in copies(container)) == [CopyRole.PART, CopyRole.PART, CopyRole.WHOLE]


def test_strava_holding_the_pieces_and_a_file_the_whole_counts_the_run_once(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run(STRAVA_ID, minutes=29, km=6))
    push(container, strava, strava_run(STRAVA_ID + 1, 31, minutes=29, km=6))
    whole = import_file(container, importer, fit_file(spec(minutes=60, km=12)))
    assert (whole.outcome, whole.role) == (FileOutcome.MERGED, CopyRole.COVER)
    assert sum(r.distance_m for r in runs(container)) == 12_000.0


def test_deleting_a_run_on_strava_keeps_it_while_a_file_has_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    import_file(container, importer, fit_file(spec(km=10.3)))
    assert push(container, strava, strava_run(), aspect="delete") == "deleted"
    assert_only_the_fit_files_run_is_left(container)


def test_taking_back_a_file_keeps_the_run_strava_has_and_drops_a_run_only_the_file_had(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    merged = import_file(container, importer, fit_file(spec(km=10.3)))
    alone = import_file(container, importer, gpx_file(spec(11 * 60, minutes=30, km=6)))
    for imported, kept in ((merged, STRAVA_ID), (alone, None)):
        with UnitOfWork(container.sessions) as uow:
            withdrawn = importer.withdraw(uow.session, ATHLETE_ID, imported.file.digest)
            uow.commit()
        assert withdrawn is not None
        assert withdrawn.activity_id == kept
        importer.forget_unused(withdrawn)
        assert not importer.originals.path(imported.file.digest, imported.file.format).exists()
    assert [r.id for r in runs(container)] == [STRAVA_ID]


def test_a_purge_of_strava_data_leaves_the_files_runs_and_nothing_of_stravas(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    push(container, strava, strava_run(STRAVA_ID + 1, 24 * 60))  # Strava only
    import_file(container, importer, fit_file(spec(km=10.3)))  # merges with the first
    import_file(container, importer, gpx_file(spec(-24 * 60, minutes=30, km=6)))  # file only
    strava.post(
        f"{STRAVA}/oauth/token",
        status=400,
        json={"errors": [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}]},
    )
    event_id = store_event(
        container, event_body(ATHLETE_ID, "update", object_type="athlete", updates={"authorized": "false"})
    )
    assert container.events.process(event_id).outcome == "deauthorized"
    remaining = runs(container)
    assert len(remaining) == 2
    assert all(r.id < 0 for r in remaining)
    assert all(c.source != ActivitySource.STRAVA for c in copies(container))
    assert sorted(r.distance_m for r in remaining) == [pytest.approx(6000, rel=0.01), pytest.approx(10_300)]


def test_reconciliation_never_sees_a_file_first_run_as_a_missing_strava_run(
    container: Container, importer: FileImporter
) -> None:
    import_file(container, importer, fit_file(spec()))
    with container.sessions() as session:
        listed = repository.stored_activities_between(
            session, ATHLETE_ID, START - timedelta(days=1), START + timedelta(days=1)
        )
    assert listed == []


def test_a_merged_run_fulfils_its_workout_once(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    start_plan(container)  # last week's Monday: its workouts are all past
    with container.sessions() as session:
        plan_id = plan_row(session).id
    workout = first_workout(container)
    at = datetime.combine(workout.date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    km = 8.0
    import_file(container, importer, fit_file(spec(km=km, minutes=48, base=at)))
    push(container, strava, strava_run(km=km, minutes=48, base=at))
    with container.sessions() as session:
        pairs = plan_repository.match_pairs(session, plan_id)
    assert pairs == {(workout.id, STRAVA_ID)}
    # Announced once, when the file brought it; Strava's copy changed nothing.
    assert len(outbox(container, "workout.matched")) == 1


def test_an_import_for_an_unknown_athlete_changes_nothing(
    container: Container, importer: FileImporter
) -> None:
    from sources.files.importer import UnknownAthlete

    with UnitOfWork(container.sessions) as uow, pytest.raises(UnknownAthlete):
        importer.import_bytes(uow.session, 424242, fit_file(spec()))
    assert copies(container) == []


def test_the_retention_purge_of_a_dead_grant_keeps_the_files_runs_too(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    from jobs import retention

    push(container, strava, strava_run())
    import_file(container, importer, fit_file(spec(km=10.3)))
    grant_dead_for(container, days=8)
    with UnitOfWork(container.sessions) as uow:
        now = datetime.now(UTC)
        assert retention.purge_dead_grant(uow.session, ATHLETE_ID, now=now, days=7).startswith("purged")
        uow.commit()
    assert_only_the_fit_files_run_is_left(container)


def test_a_rename_on_strava_reaches_the_merged_run_and_stravas_copy(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run())
    import_file(container, importer, gpx_file(spec(km=10.1, name="Watch title")))
    body = event_body(
        STRAVA_ID, "update", updates={"title": "Sunday tempo"}, event_time=int(datetime.now(UTC).timestamp())
    )
    assert container.events.process(store_event(container, body)).outcome == "updated_locally"
    [run] = runs(container)
    assert run.name == "Sunday tempo"
    names = {c.source: c.name for c in copies(container)}
    assert names == {ActivitySource.STRAVA: "Sunday tempo", ActivitySource.FILE_GPX: "Watch title"}


def test_a_run_cropped_on_strava_lets_go_of_a_file_that_is_no_longer_it(
    container: Container, strava: responses.RequestsMock, importer: FileImporter
) -> None:
    push(container, strava, strava_run(minutes=50))
    import_file(container, importer, fit_file(spec(minutes=50)))
    assert len(runs(container)) == 1
    # The athlete cut the activity down to its last 15 minutes on Strava: the watch's 50 minutes are not it.
    cropped = strava_run(minutes_in=35, minutes=15, km=3)
    strava.replace(
        responses.GET, f"{STRAVA}/api/v3/activities/{STRAVA_ID}", json=cropped, headers=RATE_HEADERS
    )
    body = event_body(
        STRAVA_ID, "update", updates={"type": "Run"}, event_time=int(datetime.now(UTC).timestamp())
    )
    assert container.events.process(store_event(container, body)).outcome == "synced"
    filed = {c.source: c.role for c in copies(container)}
    # The watch's whole run contains Strava's 15 minutes: Strava's run stays, the file covers it.
    assert filed == {ActivitySource.STRAVA: CopyRole.WHOLE, ActivitySource.FILE_FIT: CopyRole.COVER}
    [run] = runs(container)
    assert (run.id, run.elapsed_time_s) == (STRAVA_ID, 900)
