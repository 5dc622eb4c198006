"""events and activities: what a forged or unverifiable event may change (owner checks, tombstones, retention)

`strava_connections.data_purged_at`: when the athlete's Strava data was last purged (deauthorization or the
retention job), so the job purges each dead grant once. `activities.raw` becomes nullable: the raw Strava
payload is dropped on its own once it is older than the retention allows, the normalized run stays.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strava_connections") as batch:
        batch.add_column(sa.Column("data_purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("activities") as batch:
        batch.alter_column("raw", existing_type=sa.JSON(), nullable=True)
    # The retention job looks for old raw payloads by fetch time.
    op.create_index("ix_activities_fetched_at", "activities", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_activities_fetched_at", table_name="activities")
    op.execute("UPDATE activities SET raw = '{}' WHERE raw IS NULL")
    with op.batch_alter_table("activities") as batch:
        batch.alter_column("raw", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("strava_connections") as batch:
        batch.drop_column("data_purged_at")
