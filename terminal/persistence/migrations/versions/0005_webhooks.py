"""Webhooks: outbound endpoints, their outbox and delivery log; inbound hooks, the requests
they received and the message ids they accepted (replay protection).

Revision ID: 0005
Revises: 0004
Create Date: written by hand, kept in step with terminal/persistence/schema.py

No secret is stored here: signing and hook secrets are in the OS keyring.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("endpoint_id", sa.String(32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(200), nullable=True),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("timeout_s", sa.Double(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.Column("previous_secret_until_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("endpoint_id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_messages",
        sa.Column("msg_id", sa.String(40), nullable=False),
        sa.Column("endpoint_id", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ns", sa.BigInteger(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("delivered_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("msg_id", name="pk_webhook_messages"),
    )
    op.create_index("ix_webhook_messages_status_next_attempt_ns", "webhook_messages",
                    ["status", "next_attempt_ns"])
    op.create_index("ix_webhook_messages_endpoint_id_created_ns", "webhook_messages",
                    ["endpoint_id", "created_ns"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("msg_id", sa.String(40), nullable=False),
        sa.Column("endpoint_id", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("next_attempt_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
    )
    op.create_index("ix_webhook_attempts_msg_id", "webhook_attempts", ["msg_id"])
    op.create_index("ix_webhook_attempts_endpoint_id_ts_ns", "webhook_attempts",
                    ["endpoint_id", "ts_ns"])
    op.create_table(
        "inbound_hooks",
        sa.Column("hook_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("tolerance_s", sa.Integer(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hook_id", name="pk_inbound_hooks"),
    )
    op.create_table(
        "inbound_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hook_id", sa.String(32), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("remote", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_requests"),
    )
    op.create_index("ix_inbound_requests_hook_id_ts_ns", "inbound_requests",
                    ["hook_id", "ts_ns"])
    op.create_table(
        "inbound_seen",
        sa.Column("hook_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hook_id", "message_id", name="pk_inbound_seen"),
    )


def downgrade() -> None:
    op.drop_table("inbound_seen")
    op.drop_index("ix_inbound_requests_hook_id_ts_ns", table_name="inbound_requests")
    op.drop_table("inbound_requests")
    op.drop_table("inbound_hooks")
    op.drop_index("ix_webhook_attempts_endpoint_id_ts_ns", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_msg_id", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_messages_endpoint_id_created_ns", table_name="webhook_messages")
    op.drop_index("ix_webhook_messages_status_next_attempt_ns", table_name="webhook_messages")
    op.drop_table("webhook_messages")
    op.drop_table("webhook_endpoints")
