"""API tokens and paired devices.

Revision ID: 0004
Revises: 0003
Create Date: written by hand, kept in step with terminal/persistence/schema.py

Only the SHA-256 of each secret is stored (the secrets are 256-bit random, so a slow hash
adds nothing); `token_id` is the public part of the token and names it everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scopes", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("expires_ns", sa.BigInteger(), nullable=True),
        sa.Column("revoked_ns", sa.BigInteger(), nullable=True),
        sa.Column("last_used_ns", sa.BigInteger(), nullable=True),
        sa.Column("uses", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_kind_created_ns", "api_tokens", ["kind", "created_ns"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_kind_created_ns", table_name="api_tokens")
    op.drop_table("api_tokens")
