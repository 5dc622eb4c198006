"""file-only athletes

The sequence whose negated values are the ids of athletes made without Strava
(docs/sources.md#file-only-athletes): Strava's athlete ids are positive, so the two ranges never meet, and a sequence never hands an id out twice.
PostgreSQL only: the demo's SQLite takes one below the lowest id under its one writer
(store/athlete_repository.py).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQUENCE = sa.Sequence("file_only_athlete_ids", start=1, minvalue=1)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(SEQUENCE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(SEQUENCE))
