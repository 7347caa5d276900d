"""Price alerts.

Revision ID: 0007
Revises: 0006
Create Date: written by hand, kept in step with terminal/persistence/schema.py

One row per alert, kept after it fired (inactive) so its history survives a restart. The
price is exact (plain decimal text, as every order price); the price it fired at is the
market-data float.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=False),
        sa.Column("condition", sa.String(8), nullable=False),
        sa.Column("price", sa.Text(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.Column("triggered_count", sa.Integer(), nullable=False),
        sa.Column("last_triggered_ns", sa.BigInteger(), nullable=True),
        sa.Column("last_triggered_price", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alerts"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
