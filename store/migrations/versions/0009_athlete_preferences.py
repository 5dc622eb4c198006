"""athlete preferences: units (km or miles) for athlete-facing text

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every existing athlete reads kilometres, as before; the server default fills their rows.
    op.add_column(
        "athletes",
        sa.Column("units", sa.String(length=8), server_default="metric", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("athletes", "units")
