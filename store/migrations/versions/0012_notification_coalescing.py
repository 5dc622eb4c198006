"""notification coalescing and digests

`notification_outbox.merged_into`: the row whose one message carries this row (a coalesced delivery,
notify/delivery.py); and a partial index on the pending rows by athlete and type, the group such a delivery
merges.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_notification_outbox_merged_into_notification_outbox"),
            "notification_outbox",
            ["merged_into"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_notification_outbox_pending_athlete",
            ["athlete_id", "event_type"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notification_outbox_pending_athlete", postgresql_where=PENDING, sqlite_where=PENDING
        )
        batch_op.drop_constraint(
            op.f("fk_notification_outbox_merged_into_notification_outbox"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into")
