"""activity sources: provenance per source, stored files, one activity per run

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# The normalized fields a copy shares with `activities` (docs/sources.md); the backfill copies them over.
SHARED = (
    "name", "sport_type", "is_run", "start_date", "start_date_local", "local_date", "timezone", "distance_m",
    "moving_time_s", "elapsed_time_s", "elevation_gain_m", "average_heartrate", "max_heartrate", "workout_type",
    "manual", "trainer", "private", "laps", "splits_metric",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "activity_copies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.BigInteger(), nullable=True),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sport_type", sa.String(length=40), nullable=False),
        sa.Column("is_run", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_date_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("moving_time_s", sa.Integer(), nullable=False),
        sa.Column("elapsed_time_s", sa.Integer(), nullable=False),
        sa.Column("elevation_gain_m", sa.Float(), nullable=False),
        sa.Column("average_heartrate", sa.Float(), nullable=True),
        sa.Column("max_heartrate", sa.Float(), nullable=True),
        sa.Column("workout_type", sa.Integer(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("trainer", sa.Boolean(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=True),
        sa.Column("laps", JSON, nullable=False),
        sa.Column("splits_metric", JSON, nullable=False),
        sa.Column("device", sa.String(length=120), nullable=True),
        sa.Column("file_digest", sa.String(length=64), nullable=True),
        sa.Column("file_bytes", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_copies_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_activity_copies_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_copies")),
        sa.UniqueConstraint("athlete_id", "source", "external_id", name="uq_activity_copies_source_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_activity_copies_activity", "activity_copies", ["activity_id"], unique=False)
    op.create_index(
        "ix_activity_copies_athlete_start", "activity_copies", ["athlete_id", "start_date"], unique=False
    )
    # Every run stored so far came from Strava: each gets its Strava copy, so that a file of the same run merges
    # with it and a purge of the Strava data leaves nothing of Strava's behind.
    columns = ", ".join(SHARED)
    op.execute(
        f"INSERT INTO activity_copies (athlete_id, source, external_id, activity_id, role, {columns}, received_at) "
        f"SELECT athlete_id, 'strava', CAST(id AS VARCHAR(64)), id, 'whole', {columns}, fetched_at "
        "FROM activities WHERE id > 0"
    )


def downgrade() -> None:
    # Runs first seen in a file have no Strava id: the code before this revision would reconcile them away as
    # deleted Strava runs, so they go with the table that explains them.
    op.execute("DELETE FROM activities WHERE id < 0")
    op.drop_index("ix_activity_copies_athlete_start", table_name="activity_copies")
    op.drop_index("ix_activity_copies_activity", table_name="activity_copies")
    op.drop_table("activity_copies")
