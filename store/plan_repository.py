"""All SQL about plans, their versions, decisions, matches, hand edits and the notification outbox.

Functions take the session first and never commit. Callers hold `repository.lock_athlete` for every write
about an athlete's plan; `bump_version` is the optimistic second line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, defer

from store.models import Activity, Athlete, StravaConnection
from store.plan_models import (
    DecisionStatus,
    NotificationOutbox,
    Plan,
    PlanChange,
    PlanDecision,
    PlanMatch,
    PlanOverride,
    PlanVersion,
    PlanWeek,
)
from store.repository import _affected, _insert_for


class StaleVersion(RuntimeError):
    """The plan moved on under us: another transaction stored a version since we read it."""


# --- plans and versions -------------------------------------------------------------------------------


def active_plan(session: Session, athlete_id: int) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.athlete_id == athlete_id, Plan.active.is_(True))).first()


def active_plan_and_version(session: Session, athlete_id: int) -> tuple[Plan, PlanVersion] | None:
    """The active plan, freshly read, with its current version: one statement for `active_plan`,
    `session.refresh` and `current_version`.

    populate_existing overwrites a Plan already in the session with the row as read now, as `session.refresh`
    did: a caller that holds the athlete's lock reads what the previous lock holder committed.
    """
    stmt = (
        select(Plan, PlanVersion)
        .outerjoin(PlanVersion, (PlanVersion.plan_id == Plan.id) & (PlanVersion.version == Plan.version))
        .where(Plan.athlete_id == athlete_id, Plan.active.is_(True))
        .execution_options(populate_existing=True)
    )
    found = session.execute(stmt).first()
    if found is None:
        return None
    plan, version = found
    if version is None:  # as `current_version`'s .one() did: a plan without its current version is corrupt
        raise NoResultFound(f"plan {plan.id} has no version {plan.version}")
    return plan, version


def deactivate_plans(session: Session, athlete_id: int, *, now: datetime) -> None:
    session.execute(
        update(Plan)
        .where(Plan.athlete_id == athlete_id, Plan.active.is_(True))
        .values(active=False, updated_at=now)
    )
    session.flush()


def create_plan(session: Session, values: dict[str, Any]) -> Plan:
    plan = Plan(**values)
    session.add(plan)
    session.flush()
    return plan


def current_version(session: Session, plan: Plan) -> PlanVersion:
    return session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == plan.version)
    ).one()


def add_first_version(
    session: Session, plan: Plan, *, plan_json: dict[str, Any], as_of: date | None, cause: str, now: datetime
) -> PlanVersion:
    row = PlanVersion(
        plan_id=plan.id, version=plan.version, plan=plan_json, as_of=as_of, cause=cause, created_at=now
    )
    session.add(row)
    session.flush()
    write_plan_weeks(session, plan.id, plan.version, plan_json)
    return row


def bump_version(
    session: Session,
    plan: Plan,
    *,
    plan_json: dict[str, Any],
    as_of: date | None,
    cause: str,
    now: datetime,
) -> int:
    """Store the next version; raises StaleVersion when `plan.version` is no longer the stored one."""
    read = plan.version
    stmt = (
        update(Plan)
        .where(Plan.id == plan.id, Plan.version == read)
        .values(version=read + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if _affected(session, stmt) != 1:
        raise StaleVersion(f"plan {plan.id} is no longer at version {read}")
    plan.version, plan.updated_at = read + 1, now
    session.add(
        PlanVersion(
            plan_id=plan.id, version=read + 1, plan=plan_json, as_of=as_of, cause=cause, created_at=now
        )
    )
    session.flush()
    write_plan_weeks(session, plan.id, read + 1, plan_json)
    return read + 1


def week_rows(plan_json: dict[str, Any]) -> list[tuple[date, float, int]]:
    """(week start, planned run km, planned runs) per week of a plan JSON — `planner.Week.planned_km`'s sum."""
    rows = []
    for week in plan_json.get("weeks", []):
        runs = [w for w in week.get("workouts", []) if w.get("type") != "rest"]
        km = sum(float(w.get("distance_m") or 0.0) for w in runs) / 1000.0
        rows.append((date.fromisoformat(week["start"]), km, len(runs)))
    return rows


def write_plan_weeks(session: Session, plan_id: int, version: int, plan_json: dict[str, Any]) -> None:
    """Replace the plan's `plan_weeks` with this version's weeks (the weekly review's set-based input)."""
    session.execute(delete(PlanWeek).where(PlanWeek.plan_id == plan_id))
    session.add_all(
        PlanWeek(plan_id=plan_id, week_start=start, planned_km=km, planned_runs=runs, version=version)
        for start, km, runs in week_rows(plan_json)
    )
    session.flush()


def versions(session: Session, plan_id: int) -> Sequence[PlanVersion]:
    return session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan_id).order_by(PlanVersion.version)
    ).all()


# --- decisions and their revisions ---------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionRevision:
    """The next revision of one decision, as the plan service worked it out (plans/decisions.py)."""

    change_id: str
    code: str
    week_start: date
    revision: int  # 1 for a new decision, else the stored revision + 1
    status: DecisionStatus
    reason: str
    change: dict[str, Any]  # planner.change_to_dict


def decisions(session: Session, plan_id: int) -> Sequence[PlanDecision]:
    """The plan's decisions, newest first (by the version that first made them), then by change id."""
    return session.scalars(
        select(PlanDecision)
        .where(PlanDecision.plan_id == plan_id)
        .order_by(PlanDecision.first_version.desc(), PlanDecision.change_id)
    ).all()


def decision(session: Session, plan_id: int, change_id: str) -> PlanDecision | None:
    return session.scalars(
        select(PlanDecision).where(PlanDecision.plan_id == plan_id, PlanDecision.change_id == change_id)
    ).first()


def revisions(session: Session, plan_id: int) -> Sequence[PlanChange]:
    """Every revision of every decision of the plan, by decision, oldest revision first."""
    return session.scalars(
        select(PlanChange)
        .where(PlanChange.plan_id == plan_id)
        .order_by(PlanChange.change_id, PlanChange.revision, PlanChange.id)
    ).all()


def record_revisions(
    session: Session, plan_id: int, version: int, revised: Iterable[DecisionRevision], *, now: datetime
) -> None:
    """Revise each decision in place (a new one is created at revision 1) and keep the revision as history.

    Raises StaleVersion when a revision does not follow the stored one: the caller read the decisions
    without the athlete's lock, or another writer got in between."""
    known = {d.change_id: d for d in decisions(session, plan_id)}
    for r in revised:
        row = known.get(r.change_id)
        if (row.revision if row is not None else 0) + 1 != r.revision:
            raise StaleVersion(
                f"decision {r.change_id} of plan {plan_id} is not at revision {r.revision - 1}"
            )
        if row is None:
            row = PlanDecision(
                plan_id=plan_id,
                change_id=r.change_id,
                code=r.code,
                week_start=r.week_start,
                first_version=version,
                created_at=now,
            )
            session.add(row)
            known[r.change_id] = row
        row.revision, row.status, row.reason, row.change = r.revision, r.status.value, r.reason, r.change
        row.version, row.updated_at = version, now
        undone = r.status is DecisionStatus.UNDONE
        session.add(
            PlanChange(
                plan_id=plan_id,
                change_id=r.change_id,
                version=version,
                revision=r.revision,
                status=r.status.value,
                code=r.code,
                week_start=r.week_start,
                reason=r.reason,
                change=r.change,
                undone=undone,
                undone_at=now if undone else None,
                created_at=now,
            )
        )
        if undone:
            _mark_undone(session, plan_id, r.change_id, now=now)
    session.flush()


def _mark_undone(session: Session, plan_id: int, change_id: str, *, now: datetime) -> None:
    # Every revision of an undone decision is marked: the weekly review leaves their reasons out.
    session.execute(
        update(PlanChange)
        .where(PlanChange.plan_id == plan_id, PlanChange.change_id == change_id, PlanChange.undone.is_(False))
        .values(undone=True, undone_at=now)
        .execution_options(synchronize_session=False)
    )


# --- matches and hand edits ---------------------------------------------------------------------------


def match_pairs(session: Session, plan_id: int) -> set[tuple[str, int]]:
    rows = session.execute(
        select(PlanMatch.workout_id, PlanMatch.activity_id).where(PlanMatch.plan_id == plan_id)
    )
    return {(w, a) for w, a in rows}


def matches(session: Session, plan_id: int) -> Sequence[PlanMatch]:
    return session.scalars(select(PlanMatch).where(PlanMatch.plan_id == plan_id)).all()


def match_sources(session: Session, plan_id: int) -> dict[tuple[str, int], str]:
    """The plan's current matches: (workout id, activity id) → source."""
    rows = session.execute(
        select(PlanMatch.workout_id, PlanMatch.activity_id, PlanMatch.source).where(
            PlanMatch.plan_id == plan_id
        )
    )
    return {(w, a): source for w, a, source in rows}


def replace_matches(
    session: Session,
    plan_id: int,
    rows: Iterable[tuple[str, int, str]],
    *,
    now: datetime,
    current: Mapping[tuple[str, int], str] | None = None,
) -> None:
    """Make the plan's matches exactly `rows` (workout id, activity id, source), writing only the difference.

    A pair that stays with the same source keeps its row, so `created_at` is when the pair was matched; a
    removed pair is deleted, and a new pair, or one whose source changed, is written with `created_at=now`.
    `current` is `match_sources` as the caller read it in this transaction under the athlete's lock (read
    here when not given).
    """
    wanted = {(w, a): source for w, a, source in rows}
    if current is None:
        current = match_sources(session, plan_id)
    gone = [pair for pair, source in current.items() if wanted.get(pair) != source]
    new = [(pair, source) for pair, source in wanted.items() if current.get(pair) != source]
    if gone:
        session.execute(
            delete(PlanMatch).where(
                PlanMatch.plan_id == plan_id,
                tuple_(PlanMatch.workout_id, PlanMatch.activity_id).in_(gone),
            )
        )
    if new:
        session.execute(
            _insert_for(session)(PlanMatch),
            [
                {"plan_id": plan_id, "workout_id": w, "activity_id": a, "source": source, "created_at": now}
                for (w, a), source in new
            ],
        )


def overrides(session: Session, plan_id: int) -> Sequence[PlanOverride]:
    return session.scalars(
        select(PlanOverride).where(PlanOverride.plan_id == plan_id).order_by(PlanOverride.id)
    ).all()


def add_override(session: Session, plan_id: int, *, now: datetime, **values: Any) -> None:
    session.add(PlanOverride(plan_id=plan_id, created_at=now, **values))
    session.flush()


def delete_overrides(
    session: Session, plan_id: int, *, kind: str, workout_id: str, activity_id: int | None = None
) -> int:
    stmt = delete(PlanOverride).where(
        PlanOverride.plan_id == plan_id, PlanOverride.kind == kind, PlanOverride.workout_id == workout_id
    )
    if activity_id is not None:
        stmt = stmt.where(PlanOverride.activity_id == activity_id)
    return _affected(session, stmt)


# --- inputs -------------------------------------------------------------------------------------------


def activities_since(session: Session, athlete_id: int, since: date) -> Sequence[Activity]:
    # The planner never reads the raw Strava JSON: leaving it out saves decoding ~10 kB per stored run.
    return session.scalars(
        select(Activity)
        .options(defer(Activity.raw))
        .where(Activity.athlete_id == athlete_id, Activity.local_date >= since)
        .order_by(Activity.start_date_local, Activity.id)
    ).all()


def get_activity(session: Session, activity_id: int) -> Activity | None:
    return session.get(Activity, activity_id)


def get_athlete(session: Session, athlete_id: int) -> Athlete | None:
    return session.get(Athlete, athlete_id)


def athletes_overview(session: Session) -> Sequence[tuple[Athlete, str | None, Plan | None]]:
    """Every athlete with their connection status and active plan (for `runsmart athletes list`)."""
    stmt = (
        select(Athlete, StravaConnection.status, Plan)
        .outerjoin(StravaConnection, StravaConnection.athlete_id == Athlete.id)
        .outerjoin(Plan, (Plan.athlete_id == Athlete.id) & Plan.active.is_(True))
        .order_by(Athlete.id)
    )
    return [(a, s, p) for a, s, p in session.execute(stmt)]


def activity_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Activity.athlete_id, func.count()).group_by(Activity.athlete_id))
    return {athlete_id: count for athlete_id, count in rows}


# --- the outbox ---------------------------------------------------------------------------------------


# session.info key: ids of the outbox rows this session inserted with Core statements (their ids come back
# through RETURNING). notify/publish.py announces them after the commit, as it does the ORM-added rows.
NEW_OUTBOX_IDS = "store.new_outbox_ids"
# Execution option on such a statement: its new ids are recorded under NEW_OUTBOX_IDS, so no "kick" is needed.
OUTBOX_IDS_RECORDED = "runsmart_outbox_ids_recorded"


def enqueue_notification(
    session: Session,
    *,
    athlete_id: int,
    event_type: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
) -> bool:
    """Insert once per idempotency key; False when that notification was already written."""
    insert = _insert_for(session)
    stmt = (
        insert(NotificationOutbox)
        .values(
            athlete_id=athlete_id,
            event_type=event_type,
            payload=payload,
            idempotency_key=idempotency_key,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(NotificationOutbox.id)
        .execution_options(**{OUTBOX_IDS_RECORDED: True})
    )
    # RETURNING, not rowcount: drivers report -1 for INSERT .. ON CONFLICT (see store/repository.py).
    new_id = session.execute(stmt).scalar_one_or_none()
    if new_id is not None:
        session.info.setdefault(NEW_OUTBOX_IDS, []).append(new_id)
    return new_id is not None


def notifications(session: Session, athlete_id: int) -> Sequence[NotificationOutbox]:
    return session.scalars(
        select(NotificationOutbox)
        .where(NotificationOutbox.athlete_id == athlete_id)
        .order_by(NotificationOutbox.id)
    ).all()


# --- purging what was derived from Strava data ---------------------------------------------------------


def purge_strava_derived(session: Session, athlete_id: int, *, now: datetime) -> dict[str, int]:
    """Delete the plan rows derived from the athlete's Strava data (docs/operations.md, Retention).

    Decisions and their revisions quote runs in their reasons (dates, distances, paces), matches and pairings name them, every adapted version
    is computed from them and the outbox payloads repeat all of it. What the athlete gave us (goal, profile, the
    first version made from them, moves) stays; each plan's current version is reset to its first version's
    content under the same number, so the version count never goes backwards and the plan pipeline, run after
    a purge, adapts from there without the runs.
    """
    plan_ids = select(Plan.id).where(Plan.athlete_id == athlete_id).scalar_subquery()
    counts = {
        "changes": _affected(session, delete(PlanChange).where(PlanChange.plan_id.in_(plan_ids))),
        "decisions": _affected(session, delete(PlanDecision).where(PlanDecision.plan_id.in_(plan_ids))),
        "matches": _affected(session, delete(PlanMatch).where(PlanMatch.plan_id.in_(plan_ids))),
        "pairings": _affected(
            session,
            delete(PlanOverride).where(
                PlanOverride.plan_id.in_(plan_ids), PlanOverride.activity_id.is_not(None)
            ),
        ),
        "notifications": _affected(
            session, delete(NotificationOutbox).where(NotificationOutbox.athlete_id == athlete_id)
        ),
        "versions": 0,
    }
    for plan in session.scalars(select(Plan).where(Plan.athlete_id == athlete_id)).all():
        counts["versions"] += _reset_to_first_version(session, plan, now=now)
    session.flush()
    return counts


def _reset_to_first_version(session: Session, plan: Plan, *, now: datetime) -> int:
    first = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == 1)
    ).first()
    if first is None or plan.version == 1:
        return 0
    removed = _affected(
        session,
        delete(PlanVersion).where(
            PlanVersion.plan_id == plan.id, PlanVersion.version.not_in([1, plan.version])
        ),
    )
    session.execute(
        update(PlanVersion)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.version == plan.version)
        .values(plan=first.plan, as_of=first.as_of, cause="purged", created_at=now)
        .execution_options(synchronize_session=False)
    )
    plan.suppressed = list(first.plan.get("suppressed", []))
    plan.updated_at = now
    write_plan_weeks(session, plan.id, plan.version, first.plan)
    return removed


def athletes_with_channels(session: Session) -> Sequence[int]:
    """Ids of athletes with at least one notification channel (their URLs are re-encrypted on key rotation)."""
    # JSON '[]' compares equal across dialects: PostgreSQL normalises jsonb, SQLite stores json.dumps' text.
    stmt = select(Athlete.id).where(Athlete.notification_urls != text("'[]'")).order_by(Athlete.id)
    return session.scalars(stmt).all()


# --- scheduled jobs ------------------------------------------------------------------------------------


def active_plans_with_athletes(session: Session) -> Sequence[tuple[Plan, Athlete]]:
    """Every active plan with its athlete (the scheduled jobs' selection, jobs/service.py)."""
    stmt = select(Plan, Athlete).join(Athlete, Athlete.id == Plan.athlete_id).where(Plan.active.is_(True))
    return [(p, a) for p, a in session.execute(stmt)]
