"""SQL of activity sources (docs/sources.md): each source's copy of a run in `activity_copies`, and the one
`activities` row per run that the planner reads. Functions take the session first and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, delete, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, defer

from store.models import Activity, ActivityCopy, ActivitySource, ActivityTombstone
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


def copies_by_id(session: Session, ids: Iterable[int]) -> list[ActivityCopy]:
    wanted = list(ids)
    if not wanted:
        return []
    stmt = select(ActivityCopy).where(ActivityCopy.id.in_(wanted)).order_by(ActivityCopy.id)
    return list(session.scalars(stmt.execution_options(populate_existing=True)).all())


def strava_copies_of_runs(
    session: Session, athlete_id: int, run_ids: Sequence[int]
) -> dict[int, ActivityCopy]:
    """Each Strava-keyed run's own Strava copy (the one named by the run's id), by run id."""
    if not run_ids:
        return {}
    stmt = select(ActivityCopy).where(
        ActivityCopy.athlete_id == athlete_id,
        ActivityCopy.source == ActivitySource.STRAVA,
        ActivityCopy.external_id.in_([str(run_id) for run_id in run_ids]),
    )
    return {int(copy.external_id): copy for copy in session.scalars(stmt).all()}


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


def is_deleted_on_strava(session: Session, copy: ActivityCopy) -> bool:
    """Whether Strava's path recorded the deletion of the Strava activity this copy is of (its tombstone)."""
    return session.get(ActivityTombstone, int(copy.external_id)) is not None


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
    """Runs keyed by a Strava id whose own Strava copy is missing or differs from what Strava's path last wrote
    (a newer read: `fetched_at`; a rename or privacy edit applied from an event body: name, private). The copy
    is the one named by the run's id, wherever it is filed: the copy of a Strava activity filed under another
    one's run (the same run twice on Strava) is found when Strava's path writes that activity's row again."""
    strava = aliased(ActivityCopy)
    own_copy = and_(
        strava.athlete_id == Activity.athlete_id,
        strava.source == ActivitySource.STRAVA,
        strava.external_id == cast(Activity.id, String),
    )
    stmt = (
        select(Activity, strava)
        .options(defer(Activity.raw))
        .outerjoin(strava, own_copy)
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


# --- Strava's deletes and reconciliation (docs/sources.md#deleting-and-withdrawing) ---------------------------

# session.info key: (the root transaction, {deleted run id: OrphanedPlanRows}) of the runs Strava's path deleted
# in that transaction while other copies still held them. Their matches and hand pairings would go with the row
# (ON DELETE CASCADE) before the sources hook files those copies again; they are kept here until it does.
_ORPHANED = "runsmart.orphaned_plan_rows"


@dataclass
class OrphanedPlanRows:
    copy_ids: list[int]  # the other copies the deleted run held
    matches: list[dict[str, Any]] = field(default_factory=list)
    pairings: list[dict[str, Any]] = field(default_factory=list)


def forget_strava_activity(session: Session, athlete_id: int, activity_id: int) -> None:
    """Before Strava's path deletes the athlete's run `activity_id`: Strava's copy of that activity goes (Strava
    deleted it), and, when other copies still hold the run, its matches and hand pairings are kept for the run
    that holds those copies next (`take_orphaned_plan_rows`)."""
    session.execute(
        delete(ActivityCopy).where(
            ActivityCopy.athlete_id == athlete_id,
            ActivityCopy.source == ActivitySource.STRAVA,
            ActivityCopy.external_id == str(activity_id),
        )
    )
    others = session.scalars(
        select(ActivityCopy.id)
        .where(ActivityCopy.athlete_id == athlete_id, ActivityCopy.activity_id == activity_id)
        .order_by(ActivityCopy.id)
    ).all()
    if not others:
        return
    orphaned = OrphanedPlanRows(copy_ids=list(others))
    for match in session.scalars(select(PlanMatch).where(PlanMatch.activity_id == activity_id)):
        orphaned.matches.append(
            {"plan_id": match.plan_id, "workout_id": match.workout_id, "source": match.source,
             "created_at": match.created_at}
        )  # fmt: skip
    for edit in session.scalars(select(PlanOverride).where(PlanOverride.activity_id == activity_id)):
        orphaned.pairings.append(
            {"plan_id": edit.plan_id, "kind": edit.kind, "workout_id": edit.workout_id,
             "moved_from": edit.moved_from, "moved_to": edit.moved_to, "created_at": edit.created_at}
        )  # fmt: skip
    held = session.info.get(_ORPHANED)
    if held is None or held[0] is not session.get_transaction():
        held = session.info[_ORPHANED] = (session.get_transaction(), dict[int, OrphanedPlanRows]())
    held[1][activity_id] = orphaned


def take_orphaned_plan_rows(session: Session) -> list[OrphanedPlanRows]:
    """What `forget_strava_activity` kept in this transaction, once (an earlier transaction's is dropped)."""
    held = session.info.pop(_ORPHANED, None)
    if held is None or held[0] is not session.get_transaction():
        return []
    return list(held[1].values())


def restore_plan_rows(session: Session, orphaned: OrphanedPlanRows, run_id: int) -> None:
    """The deleted run's matches and hand pairings, now on run `run_id`; a pair the plan already holds for it
    is not added twice."""
    for match in orphaned.matches:
        if session.get(PlanMatch, (match["plan_id"], match["workout_id"], run_id)) is None:
            session.add(PlanMatch(**match, activity_id=run_id))
    for pairing in orphaned.pairings:
        held = session.scalars(
            select(PlanOverride.id).where(
                PlanOverride.plan_id == pairing["plan_id"],
                PlanOverride.kind == pairing["kind"],
                PlanOverride.workout_id == pairing["workout_id"],
                PlanOverride.activity_id == run_id,
            )
        ).first()
        if held is None:
            session.add(PlanOverride(**pairing, activity_id=run_id))
    session.flush()


def strava_copy_ids(session: Session, athlete_id: int, ids: Sequence[int]) -> set[int]:
    """Of Strava's activity ids `ids`, those the athlete's Strava copies hold (filed under their own run or
    under another Strava activity's run: the same run twice on Strava)."""
    if not ids:
        return set()
    stmt = select(ActivityCopy.external_id).where(
        ActivityCopy.athlete_id == athlete_id,
        ActivityCopy.source == ActivitySource.STRAVA,
        ActivityCopy.external_id.in_([str(i) for i in ids]),
    )
    return {int(external_id) for external_id in session.scalars(stmt).all()}


def strava_twins_between(
    session: Session, athlete_id: int, after: datetime, before: datetime
) -> list[Activity]:
    """The Strava activities starting in [after, before) that are filed under another Strava activity's run (the
    same run twice on Strava), each as the run Strava holds, with the fields its last read gave: reconciliation
    compares them with Strava's list like every stored run. Transient rows, never added to the session."""
    stmt = select(ActivityCopy).where(
        ActivityCopy.athlete_id == athlete_id,
        ActivityCopy.source == ActivitySource.STRAVA,
        ActivityCopy.start_date >= after,
        ActivityCopy.start_date < before,
        ActivityCopy.activity_id.is_not(None),
        ActivityCopy.external_id != cast(ActivityCopy.activity_id, String),
    )
    return [
        Activity(
            id=int(copy.external_id),
            athlete_id=copy.athlete_id,
            name=copy.name,
            sport_type=copy.sport_type,
            is_run=copy.is_run,
            start_date=copy.start_date,
            distance_m=copy.distance_m,
            moving_time_s=copy.moving_time_s,
            elapsed_time_s=copy.elapsed_time_s,
            fetched_at=copy.received_at,
        )  # fmt: skip
        for copy in session.scalars(stmt).all()
    ]
