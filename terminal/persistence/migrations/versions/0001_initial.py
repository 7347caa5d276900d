"""Initial schema: instruments, bars, orders, fills, positions, account snapshots, audit log.

Revision ID: 0001
Revises:
Create Date: written by hand, kept in step with terminal/persistence/schema.py

Types are spelled out here rather than imported from the models, so this migration keeps
creating the same tables when the models change later. Exact decimals are TEXT.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)
ENUM = sa.String(24)
CURRENCY = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", ID, nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("base", CURRENCY, nullable=False),
        sa.Column("quote", CURRENCY, nullable=False),
        sa.Column("tick_size", sa.Text(), nullable=False),
        sa.Column("lot_size", sa.Text(), nullable=False),
        sa.Column("min_qty", sa.Text(), nullable=False),
        sa.Column("max_qty", sa.Text(), nullable=False),
        sa.Column("min_notional", sa.Text(), nullable=False),
        sa.Column("trading", sa.Boolean(), nullable=False),
        sa.Column("price_precision", sa.Integer(), nullable=True),
        sa.Column("size_precision", sa.Integer(), nullable=True),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instruments"),
    )
    op.create_index("ix_instruments_venue", "instruments", ["venue"])

    op.create_table(
        "bars",
        sa.Column("instrument_id", ID, nullable=False),
        sa.Column("interval_ns", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.Double(), nullable=True),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("close", sa.Double(), nullable=True),
        sa.Column("volume", sa.Double(), nullable=True),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("instrument_id", "interval_ns", "ts", name="pk_bars"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "orders",
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=True),
        sa.Column("instrument_id", ID, nullable=False),
        sa.Column("side", ENUM, nullable=False),
        sa.Column("type", ENUM, nullable=False),
        sa.Column("time_in_force", ENUM, nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("price", sa.Text(), nullable=True),
        sa.Column("stop_price", sa.Text(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("filled_qty", sa.Text(), nullable=False),
        sa.Column("avg_fill_price", sa.Text(), nullable=False),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("ts_created", sa.BigInteger(), nullable=False),
        sa.Column("ts_updated", sa.BigInteger(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_instrument_id_ts_created", "orders",
                    ["instrument_id", "ts_created"])
    op.create_index("ix_orders_venue_order_id", "orders", ["venue_order_id"])

    op.create_table(
        "fills",
        sa.Column("fill_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("instrument_id", ID, nullable=False),
        sa.Column("side", ENUM, nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("price", sa.Text(), nullable=False),
        sa.Column("fee", sa.Text(), nullable=False),
        sa.Column("fee_currency", CURRENCY, nullable=False),
        sa.Column("liquidity", ENUM, nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("fill_id", name="pk_fills"),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"],
                                name="fk_fills_client_order_id_orders"),
    )
    op.create_index("ix_fills_client_order_id", "fills", ["client_order_id"])
    op.create_index("ix_fills_instrument_id_ts_event", "fills", ["instrument_id", "ts_event"])

    op.create_table(
        "positions",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("instrument_id", ID, nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("avg_price", sa.Text(), nullable=False),
        sa.Column("realized_pnl", sa.Text(), nullable=False),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("ts_updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "instrument_id", name="pk_positions"),
    )

    op.create_table(
        "account_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("balances", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_snapshots"),
    )
    op.create_index("ix_account_snapshots_account_id_ts", "account_snapshots",
                    ["account_id", "ts"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])
    op.create_index("ix_audit_log_action_ts", "audit_log", ["action", "ts"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("account_snapshots")
    op.drop_table("positions")
    op.drop_table("fills")
    op.drop_table("orders")
    op.drop_table("bars")
    op.drop_table("instruments")
