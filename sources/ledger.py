"""Filing copies under runs: one `activities` row per run, whatever number of sources hold it
(docs/sources.md#one-run-one-activity).

Every write happens in the caller's transaction under the athlete's row lock (taken by the caller: Strava's
event path, or the file import), so two copies of one run are never filed at the same time.

- A run Strava holds is keyed by Strava's id: Strava's own path writes that row, and the ledger adds the
  other sources' copies to it and picks its fields (`sources.merge`).
- Two Strava activities of the same run (the watch synced it and the athlete uploaded it again) are one run,
  keyed by the lower id; the other's copy is filed under it as a whole copy that gives no fields, and its row
  goes. Strava's pieces of a run are never merged: only the same-run rule joins two Strava activities.
- A run first seen in a file is keyed by the negated id of that copy; when Strava's copy of it arrives, the run
  moves to Strava's id (its matches and hand pairings follow it).
- When a run's last whole copy goes, its remaining copies are filed again from scratch: the pieces of a run
  become runs of their own, a file that held the whole run becomes that run, another Strava activity of it
  becomes the run under its own id. The run's matches and hand pairings go to the run that holds the best
  of those copies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sources import merge
from sources.matching import Relation, Span, relation
from store import source_repository as repo
from store.db import as_utc
from store.models import Activity, ActivityCopy, ActivitySource, CopyRole, is_strava_id

log = logging.getLogger(__name__)

# Runs that may hold a copy start at most this long before it (the longest activity a file may describe,
# sources/files/checks.py) and at most the clock tolerance after its end.
NEIGHBOURHOOD = timedelta(days=7)
ROLE_BY_RELATION = {
    Relation.SAME_RUN: CopyRole.WHOLE,
    Relation.PART_OF: CopyRole.PART,
    Relation.CONTAINS: CopyRole.COVER,
}
# The columns a copy and its run share: a Strava copy takes them from the row Strava's path wrote.
SHARED = (*merge.MEASURED, *merge.FILLED)


@dataclass(frozen=True)
class Filed:
    activity_id: int
    role: CopyRole
    copies: int  # how many copies the run holds now (1: the run is new)


def span_of(row: Activity | ActivityCopy) -> Span:
    return Span(
        start=as_utc(row.start_date),
        elapsed_s=row.elapsed_time_s,
        distance_m=row.distance_m,
        sport_type=row.sport_type,
        indoor=bool(row.trainer) or row.sport_type == "VirtualRun",
    )


class Ledger:
    def __init__(
        self,
        priority: Sequence[ActivitySource] = merge.DEFAULT_PRIORITY,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.priority = tuple(priority)
        self._now = now

    # --- entry points ------------------------------------------------------------------------------------

    def file(self, session: Session, athlete_id: int, values: dict[str, Any]) -> Filed:
        """Add a new copy (`activity_copies` columns without its run) and file it under its run."""
        copy = repo.add_copy(session, {**values, "athlete_id": athlete_id, "role": CopyRole.WHOLE})
        run_id = self._place(session, copy)
        return Filed(run_id, CopyRole(copy.role), len(repo.copies_of(session, run_id)))

    def withdraw(self, session: Session, copy: ActivityCopy) -> int | None:
        """The copy's source no longer has the run: the copy goes; the id of the run that still holds what
        the copy held (None: nothing does any more)."""
        run_id = copy.activity_id
        repo.delete_copy(session, copy)
        run = repo.run(session, run_id) if run_id is not None else None
        if run is None:
            return None
        rest = repo.copies_of(session, run.id)
        if not rest:
            if not is_strava_id(run.id):  # a Strava-keyed row is Strava's path's to delete
                repo.delete_run(session, run)
                return None
            return run.id
        if is_strava_id(run.id) or any(c.role == CopyRole.WHOLE for c in rest):
            self._recompute(session, run)
            return run.id
        return self._dissolve(session, run)

    def sync_strava(self, session: Session, athlete_id: int) -> None:
        """Bring the athlete's Strava copies in step with the rows Strava's path wrote (new, re-read,
        renamed, deleted, purged runs), then file again the copies whose run row went."""
        unfiled = repo.unfiled_copies(session, athlete_id)
        twins = []
        for copy in unfiled:
            if copy.source != ActivitySource.STRAVA:
                continue
            row = repo.run(session, _strava_id(copy))
            if row is not None:
                self._attach(session, copy, row, CopyRole.WHOLE)
            elif repo.is_deleted_on_strava(session, copy):
                repo.delete_copy(session, copy)
            else:
                # Strava deleted (or Strava's path removed) the other activity of this run, the one it was
                # filed under; this activity is still on Strava (its own delete takes its copy, and a purge
                # all of them): it is the run now.
                twins.append(copy)
        for copy in sorted(twins, key=_strava_id):
            self._revive(session, copy)
        self._take_strava_copies(session, athlete_id)
        for copy in unfiled:
            if copy.source != ActivitySource.STRAVA:
                self._place(session, copy)
        self._restore_plan_rows(session)

    def heir(self, copies: Sequence[ActivityCopy]) -> int | None:
        """Of copies once filed under one run, the run holding the best of them now (the source priority
        among whole copies first): the run that still holds what that run held."""
        placed = [c for c in copies if c.activity_id is not None]
        return merge.ranked(placed, self.priority)[0].activity_id if placed else None

    # --- filing one copy -----------------------------------------------------------------------------------

    def _place(self, session: Session, copy: ActivityCopy) -> int:
        span = span_of(copy)
        related = [
            (row, relation(span, span_of(row))) for row in self._neighbours(session, copy.athlete_id, span)
        ]
        same = [row for row, rel in related if rel is Relation.SAME_RUN]
        if same:
            # Strava's run first (it is the one Strava's edits reach), then the closest start.
            target = min(same, key=lambda r: (not is_strava_id(r.id), _start_gap(span, r)))
            return self._attach_and_merge(session, copy, target, CopyRole.WHOLE)
        containers = [row for row, rel in related if rel is Relation.PART_OF]
        if containers:
            target = min(containers, key=lambda r: (r.elapsed_time_s, r.id))
            return self._attach_and_merge(session, copy, target, CopyRole.PART)
        pieces = [row for row, rel in related if rel is Relation.CONTAINS]
        strava_pieces = [row for row in pieces if is_strava_id(row.id)]
        if strava_pieces:
            # Strava holds the pieces as runs of their own and its runs are never merged: they count the
            # whole once, and this copy is kept under the first of them without giving fields.
            target = min(strava_pieces, key=lambda r: (as_utc(r.start_date), r.id))
            return self._attach_and_merge(session, copy, target, CopyRole.COVER)
        run = self._new_run(session, copy)
        for piece in pieces:
            self._absorb(session, piece, into=run, role=CopyRole.PART)
        self._recompute(session, run)
        return run.id

    def _neighbours(self, session: Session, athlete_id: int, span: Span) -> Sequence[Activity]:
        slack = timedelta(seconds=max(span.elapsed_s, 0)) + NEIGHBOURHOOD
        return repo.runs_between(session, athlete_id, span.start - slack, span.end + NEIGHBOURHOOD)

    def _new_run(self, session: Session, copy: ActivityCopy) -> Activity:
        copy.role = CopyRole.WHOLE
        values = merge.merged_fields([copy], self.priority)
        run = repo.add_run(
            session,
            {**values, "id": -copy.id, "athlete_id": copy.athlete_id, "raw": None, "fetched_at": self._now()},
        )
        self._attach(session, copy, run, CopyRole.WHOLE)
        return run

    def _attach_and_merge(self, session: Session, copy: ActivityCopy, run: Activity, role: CopyRole) -> int:
        self._attach(session, copy, run, role)
        self._recompute(session, run)
        return run.id

    def _attach(self, session: Session, copy: ActivityCopy, run: Activity, role: CopyRole) -> None:
        copy.activity_id = run.id
        copy.role = role
        session.flush()

    def _absorb(
        self, session: Session, source_run: Activity, *, into: Activity, role: CopyRole | None
    ) -> None:
        """Two rows were one run: `source_run`'s copies, matches and pairings move to `into`; it goes."""
        for copy in repo.copies_of(session, source_run.id):
            self._attach(session, copy, into, role or CopyRole(copy.role))
        repo.move_plan_rows(session, source_run.id, into.id)
        repo.delete_run(session, source_run)
        log.info("sources.merged", extra={"athlete_id": into.athlete_id, "into": into.id})

    def _dissolve(self, session: Session, run: Activity) -> int | None:
        """A file-first run left without a whole copy: its copies are filed again from scratch."""
        copies = repo.copies_of(session, run.id)
        for copy in copies:
            copy.activity_id = None
        session.flush()
        repo.delete_run(session, run)
        longest_first = sorted(copies, key=lambda c: (-c.elapsed_time_s, c.id))
        placed = [self._place(session, copy) for copy in longest_first]
        return placed[0] if placed else None

    def _recompute(self, session: Session, run: Activity) -> None:
        copies = _field_copies(run, repo.copies_of(session, run.id))
        if not any(c.role == CopyRole.WHOLE for c in copies):
            return  # a Strava-keyed row before its Strava copy is taken: Strava's path wrote it whole
        for name, value in merge.merged_fields(copies, self.priority).items():
            if getattr(run, name) != value:
                setattr(run, name, value)
        session.flush()

    # --- Strava's copies ---------------------------------------------------------------------------------

    def _take_strava_copies(self, session: Session, athlete_id: int) -> None:
        """Every Strava-keyed row out of step gets its own copy first, so that twins compare copies; then
        each is settled among its neighbours."""
        taken = [
            (row, self._take(session, row, copy))
            for row, copy in repo.strava_runs_out_of_step(session, athlete_id)
        ]
        for row, (copy, reread) in taken:
            if repo.run(session, row.id) is not None:  # not joined into a twin's run just now
                self._settle(session, row, copy, reread=reread)

    def _take(self, session: Session, row: Activity, copy: ActivityCopy | None) -> tuple[ActivityCopy, bool]:
        """Strava's copy of the row as Strava's path wrote it; whether it is a new read."""
        strava_values = {name: getattr(row, name) for name in SHARED}
        if copy is None:
            copy = repo.add_copy(
                session,
                {
                    **strava_values,
                    "athlete_id": row.athlete_id,
                    "source": ActivitySource.STRAVA,
                    "external_id": str(row.id),
                    "activity_id": row.id,
                    "role": CopyRole.WHOLE,
                    "received_at": row.fetched_at,
                },
            )
            return copy, True
        if as_utc(copy.received_at) != as_utc(row.fetched_at) or copy.activity_id != row.id:
            # A new read from Strava (of a twin too, whose row Strava's path wrote again): the row holds
            # exactly Strava's fields until they are merged again.
            for name, value in strava_values.items():
                setattr(copy, name, value)
            copy.received_at = row.fetched_at
            self._attach(session, copy, row, CopyRole.WHOLE)
            return copy, True
        # A title or privacy edit applied from an event body: a field that differs from what the merge would
        # give was written by Strava's path.
        expected = merge.merged_fields(_field_copies(row, repo.copies_of(session, row.id)), self.priority)
        for name in ("name", "private"):
            if getattr(row, name) != expected[name]:
                setattr(copy, name, getattr(row, name))
        session.flush()
        return copy, False

    def _settle(self, session: Session, row: Activity, copy: ActivityCopy, *, reread: bool) -> None:
        if reread:
            self._refile_strangers(session, row, copy)
            self._adopt(session, row, copy)
            row = self._join_twins(session, row, copy)
        self._recompute(session, row)

    def _revive(self, session: Session, copy: ActivityCopy) -> None:
        """A Strava activity whose copy was filed under another Strava activity's run becomes a run of its own,
        keyed by its own id, with the fields of its last read."""
        values = {name: getattr(copy, name) for name in SHARED}
        row = repo.add_run(
            session,
            {**values, "id": _strava_id(copy), "athlete_id": copy.athlete_id, "raw": None,
             "fetched_at": copy.received_at},
        )  # fmt: skip
        self._attach(session, copy, row, CopyRole.WHOLE)
        self._settle(session, row, copy, reread=True)

    def _join_twins(self, session: Session, row: Activity, copy: ActivityCopy) -> Activity:
        """Strava activities that are the same run as this one (by their own copies) become one run, keyed by
        the lowest id (the activity Strava created first, whatever order they arrived in); the run it is."""
        span = span_of(copy)
        others = [
            r
            for r in self._neighbours(session, row.athlete_id, span)
            if is_strava_id(r.id) and r.id != row.id
        ]
        own = repo.strava_copies_of_runs(session, row.athlete_id, [r.id for r in others])
        twins = [r for r in others if relation(span, span_of(own.get(r.id, r))) is Relation.SAME_RUN]
        if not twins:
            return row
        keep = min([row, *twins], key=lambda r: r.id)
        for other in (row, *twins):
            if other is not keep:
                self._absorb(session, other, into=keep, role=None)
        kept_copy = copy if keep is row else own.get(keep.id)
        if kept_copy is not None:
            self._refile_strangers(session, keep, kept_copy)  # roles were the absorbed run's: checked again
        return keep

    def _adopt(self, session: Session, strava_run: Activity, strava_copy: ActivityCopy) -> None:
        """File-first runs that are this Strava run (or pieces of it) join it; one it is a piece of is filed
        again, so that its copies find their places around this run."""
        span = span_of(strava_copy)
        for row in self._neighbours(session, strava_run.athlete_id, span):
            if is_strava_id(row.id):
                continue
            rel = relation(span_of(row), span)
            if rel is Relation.SAME_RUN:
                self._absorb(session, row, into=strava_run, role=None)
            elif rel is Relation.PART_OF:
                self._absorb(session, row, into=strava_run, role=CopyRole.PART)
            elif rel is Relation.CONTAINS:
                self._dissolve(session, row)

    def _refile_strangers(self, session: Session, row: Activity, strava_copy: ActivityCopy) -> None:
        """Strava's copy changed (the athlete cropped the run on Strava, say): the other copies filed under
        it are checked again; one that is no longer this run is filed anew (another Strava activity of it
        becomes a run of its own)."""
        span = span_of(strava_copy)
        strangers, twins_apart = [], []
        for copy in repo.copies_of(session, row.id):
            if copy.id == strava_copy.id:
                continue
            rel = relation(span_of(copy), span)
            if copy.source == ActivitySource.STRAVA:
                if rel is not Relation.SAME_RUN:
                    copy.activity_id = None
                    twins_apart.append(copy)
                continue
            role = ROLE_BY_RELATION.get(rel)
            if role is None:
                copy.activity_id = None
                strangers.append(copy)
            else:
                copy.role = role
        session.flush()
        for copy in twins_apart:
            self._revive(session, copy)
        for copy in strangers:
            self._place(session, copy)

    def _restore_plan_rows(self, session: Session) -> None:
        """The matches and hand pairings of runs Strava's path deleted while other copies held them go to the
        run that holds those copies now (docs/sources.md#deleting-and-withdrawing)."""
        for orphaned in repo.take_orphaned_plan_rows(session):
            heir = self.heir(repo.copies_by_id(session, orphaned.copy_ids))
            if heir is not None:
                repo.restore_plan_rows(session, orphaned, heir)


def _strava_id(copy: ActivityCopy) -> int:
    return int(copy.external_id)


def _field_copies(run: Activity, copies: Sequence[ActivityCopy]) -> list[ActivityCopy]:
    """The copies that may give a run its fields: of Strava's, only the run's own (the one Strava's edits of
    this run reach); another Strava activity of the same run is kept, not shown, so deleting it on Strava
    leaves the run as it was."""
    if not is_strava_id(run.id):
        return list(copies)
    own = str(run.id)
    return [c for c in copies if c.source != ActivitySource.STRAVA or c.external_id == own]


def _start_gap(span: Span, row: Activity) -> float:
    return abs((as_utc(row.start_date) - span.start).total_seconds())
