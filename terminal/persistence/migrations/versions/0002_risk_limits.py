"""Risk limits per account and per instrument.

Revision ID: 0002
Revises: 0001
Create Date: written by hand, kept in step with terminal/persistence/schema.py

One row per scope ("account" or "instrument") and subject (the account or instrument id);
`limits` holds only the limits set there, each as its plain string, so adding a limit needs
no migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_limits",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", name="pk_risk_limits"),
    )


def downgrade() -> None:
    op.drop_table("risk_limits")
