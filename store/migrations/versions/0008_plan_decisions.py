"""plan decisions: a change is a decision about (week, cause), revised in place with its history (issue: one decision, one message)

`plan_decisions` holds each decision's latest revision; `plan_changes` becomes the history (its rows are the
revisions, numbered per decision, with the status each one left the decision in). Existing rows are numbered in
version order and each (plan, change id) gets its decision: undone if the athlete undid it, else active (the
plan service withdraws, at its next stored version, one the plan no longer holds).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Portable (PostgreSQL and the demo's SQLite): correlated subqueries, no window functions or UPDATE … FROM.
_NUMBER_REVISIONS = """
UPDATE plan_changes SET revision = (
    SELECT count(*) FROM plan_changes earlier
    WHERE earlier.plan_id = plan_changes.plan_id AND earlier.change_id = plan_changes.change_id
      AND earlier.version <= plan_changes.version
)
"""
_BACKFILL_DECISIONS = """
INSERT INTO plan_decisions
    (plan_id, change_id, code, week_start, revision, status, reason, change, first_version, version,
     created_at, updated_at)
SELECT latest.plan_id, latest.change_id, latest.code, latest.week_start, latest.revision,
       CASE WHEN latest.undone THEN 'undone' ELSE 'active' END, latest.reason, latest.change,
       (SELECT min(c.version) FROM plan_changes c
        WHERE c.plan_id = latest.plan_id AND c.change_id = latest.change_id),
       latest.version,
       (SELECT min(c.created_at) FROM plan_changes c
        WHERE c.plan_id = latest.plan_id AND c.change_id = latest.change_id),
       latest.created_at
FROM plan_changes latest
WHERE latest.revision = (
    SELECT max(c.revision) FROM plan_changes c
    WHERE c.plan_id = latest.plan_id AND c.change_id = latest.change_id
)
"""


def upgrade() -> None:
    op.create_table(
        "plan_decisions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "change",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_decisions_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_decisions")),
        sa.UniqueConstraint("plan_id", "change_id", name="uq_plan_decisions_plan_change"),
    )
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
    op.execute(_NUMBER_REVISIONS)
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_plan_changes_plan_change_revision", ["plan_id", "change_id", "revision"]
        )
    op.execute(_BACKFILL_DECISIONS)


def downgrade() -> None:
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.drop_constraint("uq_plan_changes_plan_change_revision", type_="unique")
        batch_op.drop_column("status")
        batch_op.drop_column("revision")
    op.drop_table("plan_decisions")
