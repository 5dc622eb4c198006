"""Announce new outbox rows to the workers once, and only once, their transaction has committed.

Installed on the container's session factory, so any writer of outbox rows (the plan pipeline, the internal
API, the scheduled jobs) gets them delivered right after its commit without knowing about Celery. ORM inserts
and `plan_repository.enqueue_notification`'s INSERT .. RETURNING are announced by id; set-based inserts (whose
ids are not returned, e.g. the weekly review's INSERT .. SELECT) by a "kick" that makes a worker deliver every
fresh pending row. (A kick per event would re-send every fresh row each time: quadratic under a burst.)
A lost publish loses nothing: `notify.redrive` finds them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from store.plan_models import NotificationOutbox
from store.plan_repository import NEW_OUTBOX_IDS, OUTBOX_IDS_RECORDED

log = logging.getLogger(__name__)
_IDS = NEW_OUTBOX_IDS
_KICK = "notify.outbox_kick"

# publish(ids, kick): ids of new rows; kick=True when rows were inserted whose ids are unknown.
Publish = Callable[[Sequence[int], bool], object]
TABLE = NotificationOutbox.__tablename__


def install(sessions: sessionmaker[Session], publish: Publish) -> None:
    @event.listens_for(sessions, "do_orm_execute")
    def _statement(state: ORMExecuteState) -> None:
        table = getattr(state.statement, "table", None)
        into_outbox = state.is_insert and getattr(table, "name", None) == TABLE
        if into_outbox and not state.execution_options.get(OUTBOX_IDS_RECORDED):
            state.session.info[_KICK] = True

    @event.listens_for(sessions, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        ids = [obj.id for obj in session.new if isinstance(obj, NotificationOutbox) and obj.id is not None]
        if ids:
            session.info.setdefault(_IDS, []).extend(ids)

    @event.listens_for(sessions, "after_commit")
    def _publish(session: Session) -> None:
        ids = list(dict.fromkeys(session.info.pop(_IDS, [])))
        kick = bool(session.info.pop(_KICK, False))
        if not ids and not kick:
            return
        try:
            publish(ids, kick)
        except Exception:  # the rows are committed; the sweeper delivers them if this publish is lost
            log.warning("notify.publish_failed", extra={"count": len(ids), "kick": kick})

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_IDS, None)
        session.info.pop(_KICK, None)
