"""event source, backfill jobs, reconciliation runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:37:19.431723
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('backfill_jobs',
    sa.Column('athlete_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('after_epoch', sa.BigInteger(), nullable=False),
    sa.Column('before_epoch', sa.BigInteger(), nullable=False),
    sa.Column('next_page', sa.Integer(), nullable=False),
    sa.Column('pages_done', sa.Integer(), nullable=False),
    sa.Column('activities_seen', sa.Integer(), nullable=False),
    sa.Column('activities_queued', sa.Integer(), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['athlete_id'], ['athletes.id'], name=op.f('fk_backfill_jobs_athlete_id_athletes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('athlete_id', name=op.f('pk_backfill_jobs'))
    )
    op.create_table('reconciliation_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('athlete_id', sa.BigInteger(), nullable=False),
    sa.Column('after_epoch', sa.BigInteger(), nullable=False),
    sa.Column('before_epoch', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=False),
    sa.Column('found_missing', sa.Integer(), nullable=False),
    sa.Column('found_deleted', sa.Integer(), nullable=False),
    sa.Column('found_changed', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['athlete_id'], ['athletes.id'], name=op.f('fk_reconciliation_runs_athlete_id_athletes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs'))
    )
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_runs_athlete', ['athlete_id', 'started_at'], unique=False)

    with op.batch_alter_table('strava_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='webhook', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('strava_events', schema=None) as batch_op:
        batch_op.drop_column('source')

    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_runs_athlete')

    op.drop_table('reconciliation_runs')
    op.drop_table('backfill_jobs')
