"""SQL of activity sources (docs/sources.md): each source's copy of a run in `activity_copies`, and the one
`activities` row per run that the planner reads. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, defer

from store.models import Activity, ActivityCopy, ActivitySource
from store.plan_models import PlanMatch, PlanOverride


def is_strava_key(column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """SQL for `store.models.is_strava_id`: Strava's ids are positive, file-first runs negative."""
    return column > 0


# --- copies -----------------------------------------------------------------------------------------------


def add_copy(session: Session, values: dict[str, Any]) -> ActivityCopy:
    """A new copy row, flushed: its id is known (a file-first run is keyed by it, docs/sources.md)."""
    copy = ActivityCopy(**values)
    session.add(copy)
    session.flush()
    return copy


def find_copy(session: Session, athlete_id: int, source: str, external_id: str) -> ActivityCopy | None:
    return session.scalars(
        select(ActivityCopy).where(
            ActivityCopy.athlete_id == athlete_id,
            ActivityCopy.source == source,
            ActivityCopy.external_id == external_id,
        )
    ).first()


def file_copy(session: Session, athlete_id: int, digest: str) -> ActivityCopy | None:
    """The athlete's copy made from the file with this sha256, whatever its format."""
    return session.scalars(
        select(ActivityCopy).where(ActivityCopy.athlete_id == athlete_id, ActivityCopy.file_digest == digest)
    ).first()


def copies_of(session: Session, activity_id: int) -> list[ActivityCopy]:
    # populate_existing: a delete of the run (Strava's path, a purge) may have unfiled them behind our back.
    stmt = (
        select(ActivityCopy)
        .where(ActivityCopy.activity_id == activity_id)
        .order_by(ActivityCopy.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt).all())


def unfiled_copies(session: Session, athlete_id: int) -> list[ActivityCopy]:
    """Copies whose run row is gone (deleted by Strava's path or a purge: the foreign key set them NULL)."""
    stmt = (
        select(ActivityCopy)
        .where(ActivityCopy.athlete_id == athlete_id, ActivityCopy.activity_id.is_(None))
        .order_by(ActivityCopy.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt).all())


def delete_copy(session: Session, copy: ActivityCopy) -> None:
    session.delete(copy)
    session.flush()


def digest_in_use(session: Session, digest: str) -> bool:
    """Whether any athlete's copy still names the stored file with this sha256."""
    stmt = select(ActivityCopy.id).where(ActivityCopy.file_digest == digest).limit(1)
    return session.execute(stmt).first() is not None


def purge_strava_copies(session: Session, athlete_id: int) -> int:
    """Delete the athlete's Strava copies (the purge of Strava data, docs/strava.md); how many went."""
    stmt = delete(ActivityCopy).where(
        ActivityCopy.athlete_id == athlete_id, ActivityCopy.source == ActivitySource.STRAVA
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


# --- runs (the `activities` rows) -------------------------------------------------------------------------


def run(session: Session, activity_id: int) -> Activity | None:
    return session.get(Activity, activity_id)


def runs_between(session: Session, athlete_id: int, after: datetime, before: datetime) -> Sequence[Activity]:
    """The athlete's runs starting in [after, before), by start; the raw Strava JSON left out."""
    return session.scalars(
        select(Activity)
        .options(defer(Activity.raw))
        .where(Activity.athlete_id == athlete_id, Activity.start_date >= after, Activity.start_date < before)
        .order_by(Activity.start_date, Activity.id)
    ).all()


def strava_runs_out_of_step(session: Session, athlete_id: int) -> list[tuple[Activity, ActivityCopy | None]]:
    """Runs keyed by a Strava id whose Strava copy is missing or differs from what Strava's path last wrote
    (a newer read: `fetched_at`; a rename or privacy edit applied from an event body: name, private)."""
    strava = aliased(ActivityCopy)
    stmt = (
        select(Activity, strava)
        .options(defer(Activity.raw))
        .outerjoin(strava, and_(strava.activity_id == Activity.id, strava.source == ActivitySource.STRAVA))
        .where(
            Activity.athlete_id == athlete_id,
            is_strava_key(Activity.id),
            or_(
                strava.id.is_(None),
                strava.received_at != Activity.fetched_at,
                strava.name != Activity.name,
                strava.private.is_distinct_from(Activity.private),
            ),
        )
        .order_by(Activity.start_date, Activity.id)
        .execution_options(populate_existing=True)
    )
    return [(row, copy) for row, copy in session.execute(stmt).all()]


def add_run(session: Session, values: dict[str, Any]) -> Activity:
    run_row = Activity(**values)
    session.add(run_row)
    session.flush()
    return run_row


def delete_run(session: Session, run_row: Activity) -> None:
    """Remove a run row (its copies were re-filed or unfiled by the caller first); its matches and pairings go
    with it (ON DELETE CASCADE)."""
    session.delete(run_row)
    session.flush()


def move_plan_rows(session: Session, old_id: int, new_id: int) -> None:
    """Matches and hand pairings of run `old_id` now name run `new_id` (two rows became one run); where the
    plan already holds the same pair for `new_id`, the old row is left to go with its run."""
    match = aliased(PlanMatch)
    session.execute(
        update(PlanMatch)
        .where(
            PlanMatch.activity_id == old_id,
            ~exists().where(
                match.plan_id == PlanMatch.plan_id,
                match.workout_id == PlanMatch.workout_id,
                match.activity_id == new_id,
            ),
        )
        .values(activity_id=new_id)
        .execution_options(synchronize_session=False)
    )
    edit = aliased(PlanOverride)
    session.execute(
        update(PlanOverride)
        .where(
            PlanOverride.activity_id == old_id,
            ~exists().where(
                edit.plan_id == PlanOverride.plan_id,
                edit.kind == PlanOverride.kind,
                edit.workout_id == PlanOverride.workout_id,
                edit.activity_id == new_id,
            ),
        )
        .values(activity_id=new_id)
        .execution_options(synchronize_session=False)
    )
