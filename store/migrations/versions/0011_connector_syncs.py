"""connector syncs: what each athlete's upcoming workouts look like on intervals.icu

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An athlete's opt-in to a calendar connector; the API key is a Fernet ciphertext (docs/connectors.md).
    op.create_table(
        "connector_connections",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("connector", sa.String(length=32), nullable=False),
        sa.Column("remote_athlete_id", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_plan_id", sa.BigInteger(), nullable=True),
        sa.Column("synced_version", sa.Integer(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_connector_connections_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", "connector", name=op.f("pk_connector_connections")),
    )
    # Per connection and workout: what we last pushed there (a digest) and when.
    op.create_table(
        "connector_syncs",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("connector", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("workout_date", sa.Date(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id", "connector"],
            ["connector_connections.athlete_id", "connector_connections.connector"],
            name=op.f("fk_connector_syncs_athlete_id_connector_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", "connector", "external_id", name=op.f("pk_connector_syncs")),
    )


def downgrade() -> None:
    op.drop_table("connector_syncs")
    op.drop_table("connector_connections")
