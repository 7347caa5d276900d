"""Pairing codes for companion devices, and the event log devices sync from.

Revision ID: 0006
Revises: 0005
Create Date: written by hand, kept in step with terminal/persistence/schema.py

A code is stored as its SHA-256 only; it is single use (used_ns) and short lived. The device
event log is append-only with a growing sequence number; old rows are pruned by age.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pairing_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("expires_ns", sa.BigInteger(), nullable=False),
        sa.Column("used_ns", sa.BigInteger(), nullable=True),
        sa.Column("device_id", sa.String(32), nullable=True),
        sa.Column("confirmation", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_pairing_codes"),
    )
    op.create_table(
        "device_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_device_events"),
        sqlite_autoincrement=True,  # sequence numbers are never reused after pruning
    )
    op.create_index("ix_device_events_ts_ns", "device_events", ["ts_ns"])


def downgrade() -> None:
    op.drop_index("ix_device_events_ts_ns", table_name="device_events")
    op.drop_table("device_events")
    op.drop_table("pairing_codes")
