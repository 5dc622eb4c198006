"""All SQL about the athletes' plan page links (store/plan_models.py `PlanPageLink`).

Functions take the session first and never commit. Writers hold `repository.lock_athlete` first, so two
concurrent issues for one athlete cannot both insert.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.plan_models import PlanPageLink
from store.repository import _affected


def link_exists(session: Session, athlete_id: int) -> bool:
    return session.get(PlanPageLink, athlete_id) is not None


def save_link(session: Session, athlete_id: int, token_digest: str, now: datetime) -> None:
    """The athlete's link is now the one with this digest; any earlier one stops working."""
    row = session.get(PlanPageLink, athlete_id)
    if row is None:
        session.add(PlanPageLink(athlete_id=athlete_id, token_digest=token_digest, created_at=now))
    else:
        row.token_digest, row.created_at = token_digest, now
    session.flush()


def delete_link(session: Session, athlete_id: int) -> bool:
    """Whether there was a link to revoke."""
    return _affected(session, delete(PlanPageLink).where(PlanPageLink.athlete_id == athlete_id)) > 0


def athlete_for_digest(session: Session, token_digest: str) -> int | None:
    stmt = select(PlanPageLink.athlete_id).where(PlanPageLink.token_digest == token_digest)
    return session.scalars(stmt).first()
