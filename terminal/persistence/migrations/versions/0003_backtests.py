"""Backtest results: one row per run, one row per trade.

Revision ID: 0003
Revises: 0002
Create Date: written by hand, kept in step with terminal/persistence/schema.py

Trades are rows (queryable, few per run). The per-bar curves (times, equity, position,
drawdown) are one compressed binary column of float64/int64 arrays: a million-bar run would
be a million rows or tens of MB of JSON otherwise, and binary keeps every float exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("strategy_id", sa.String(32), nullable=False),
        sa.Column("instrument_id", ID, nullable=False),
        sa.Column("timeframe", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("fee_bps", sa.Double(), nullable=False),
        sa.Column("slippage_bps", sa.Double(), nullable=False),
        sa.Column("size", sa.Double(), nullable=False),
        sa.Column("long_only", sa.Boolean(), nullable=False),
        sa.Column("cash", sa.Double(), nullable=False),
        sa.Column("bars", sa.Integer(), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=True),
        sa.Column("end_ns", sa.BigInteger(), nullable=True),
        sa.Column("signals", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("curves", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backtests"),
    )
    op.create_index("ix_backtests_instrument_id_created_ns", "backtests",
                    ["instrument_id", "created_ns"])
    op.create_table(
        "backtest_trades",
        sa.Column("backtest_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_index", sa.Integer(), nullable=False),
        sa.Column("exit_index", sa.Integer(), nullable=False),
        sa.Column("entry_ts", sa.BigInteger(), nullable=False),
        sa.Column("exit_ts", sa.BigInteger(), nullable=True),
        sa.Column("qty", sa.Double(), nullable=False),
        sa.Column("entry_price", sa.Double(), nullable=False),
        sa.Column("exit_price", sa.Double(), nullable=True),
        sa.Column("pnl", sa.Double(), nullable=False),
        sa.Column("fees", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["backtest_id"], ["backtests.id"],
                                name="fk_backtest_trades_backtest_id_backtests"),
        sa.PrimaryKeyConstraint("backtest_id", "seq", name="pk_backtest_trades"),
    )


def downgrade() -> None:
    op.drop_table("backtest_trades")
    op.drop_index("ix_backtests_instrument_id_created_ns", table_name="backtests")
    op.drop_table("backtests")
