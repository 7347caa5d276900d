"""The tables, as SQLAlchemy declarative models. Private to the persistence package.

Keep in step with migrations/versions: a test compares the migrated database to these models.
Conventions: ns timestamps are BigInteger; exact numbers are DecimalString; market-data floats
are Double, where NULL stands for NaN (SQLite cannot store NaN, so both dialects do the same).
Enum values are stored as their string values, not as database enums, so adding a status
needs no migration.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from terminal.persistence.types import DecimalString

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
ENUM = String(24)
CURRENCY = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InstrumentRow(Base):
    __tablename__ = "instruments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    venue: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(64))
    base: Mapped[str] = mapped_column(CURRENCY)
    quote: Mapped[str] = mapped_column(CURRENCY)
    tick_size: Mapped[Decimal] = mapped_column(DecimalString)
    lot_size: Mapped[Decimal] = mapped_column(DecimalString)
    min_qty: Mapped[Decimal] = mapped_column(DecimalString)
    max_qty: Mapped[Decimal] = mapped_column(DecimalString)
    min_notional: Mapped[Decimal] = mapped_column(DecimalString)
    trading: Mapped[bool] = mapped_column(Boolean)
    price_precision: Mapped[int | None] = mapped_column(Integer)
    size_precision: Mapped[int | None] = mapped_column(Integer)
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_ns: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index(None, "venue"),)


class BarRow(Base):
    __tablename__ = "bars"

    instrument_id: Mapped[str] = mapped_column(ID, primary_key=True)
    interval_ns: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    open: Mapped[float | None] = mapped_column(Double)
    high: Mapped[float | None] = mapped_column(Double)
    low: Mapped[float | None] = mapped_column(Double)
    close: Mapped[float | None] = mapped_column(Double)
    volume: Mapped[float | None] = mapped_column(Double)
    trades: Mapped[int] = mapped_column(Integer)

    # The primary key is the range index. Without a rowid SQLite keeps one B-tree, clustered
    # on that key: bulk inserts write once and range scans read contiguous pages.
    __table_args__ = ({"sqlite_with_rowid": False},)


class OrderRow(Base):
    __tablename__ = "orders"

    client_order_id: Mapped[str] = mapped_column(ID, primary_key=True)
    venue_order_id: Mapped[str | None] = mapped_column(String(128))
    instrument_id: Mapped[str] = mapped_column(ID)
    side: Mapped[str] = mapped_column(ENUM)
    type: Mapped[str] = mapped_column(ENUM)
    time_in_force: Mapped[str] = mapped_column(ENUM)
    quantity: Mapped[Decimal] = mapped_column(DecimalString)
    price: Mapped[Decimal | None] = mapped_column(DecimalString)
    stop_price: Mapped[Decimal | None] = mapped_column(DecimalString)
    status: Mapped[str] = mapped_column(ENUM)
    filled_qty: Mapped[Decimal] = mapped_column(DecimalString)
    avg_fill_price: Mapped[Decimal] = mapped_column(DecimalString)
    fees: Mapped[Decimal] = mapped_column(DecimalString)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    ts_created: Mapped[int] = mapped_column(BigInteger)
    ts_updated: Mapped[int] = mapped_column(BigInteger)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index(None, "status"),
        Index(None, "instrument_id", "ts_created"),
        Index(None, "venue_order_id"),
    )


class FillRow(Base):
    __tablename__ = "fills"

    fill_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"))
    instrument_id: Mapped[str] = mapped_column(ID)
    side: Mapped[str] = mapped_column(ENUM)
    quantity: Mapped[Decimal] = mapped_column(DecimalString)
    price: Mapped[Decimal] = mapped_column(DecimalString)
    fee: Mapped[Decimal] = mapped_column(DecimalString)
    fee_currency: Mapped[str] = mapped_column(CURRENCY)
    liquidity: Mapped[str] = mapped_column(ENUM)
    ts_event: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index(None, "client_order_id"),
        Index(None, "instrument_id", "ts_event"),
    )


class PositionRow(Base):
    __tablename__ = "positions"

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(ID, primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(DecimalString)
    avg_price: Mapped[Decimal] = mapped_column(DecimalString)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalString)
    fees: Mapped[Decimal] = mapped_column(DecimalString)
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class AccountSnapshotRow(Base):
    __tablename__ = "account_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ID)
    ts: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(CURRENCY)
    balances: Mapped[dict[str, str]] = mapped_column(JSON)

    __table_args__ = (Index(None, "account_id", "ts"),)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index(None, "ts"),
        Index(None, "action", "ts"),
    )


class RiskLimitRow(Base):
    __tablename__ = "risk_limits"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(ID, primary_key=True)
    limits: Mapped[dict[str, str]] = mapped_column(JSON)
    updated_ns: Mapped[int] = mapped_column(BigInteger)


class BacktestRow(Base):
    """One backtest run. `curves` holds the per-bar arrays (see repositories/backtests.py);
    `stats` the figures by name, non-finite ones as the strings nan, inf, -inf."""

    __tablename__ = "backtests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    strategy: Mapped[str] = mapped_column(String(32))
    strategy_id: Mapped[str] = mapped_column(String(32))
    instrument_id: Mapped[str] = mapped_column(ID)
    timeframe: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    fee_bps: Mapped[float] = mapped_column(Double)
    slippage_bps: Mapped[float] = mapped_column(Double)
    size: Mapped[float] = mapped_column(Double)
    long_only: Mapped[bool] = mapped_column(Boolean)
    cash: Mapped[float] = mapped_column(Double)
    bars: Mapped[int] = mapped_column(Integer)
    start_ns: Mapped[int | None] = mapped_column(BigInteger)
    end_ns: Mapped[int | None] = mapped_column(BigInteger)
    signals: Mapped[int] = mapped_column(Integer)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)
    curves: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index(None, "instrument_id", "created_ns"),)


class BacktestTradeRow(Base):
    __tablename__ = "backtest_trades"

    backtest_id: Mapped[int] = mapped_column(ForeignKey("backtests.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_index: Mapped[int] = mapped_column(Integer)
    exit_index: Mapped[int] = mapped_column(Integer)
    entry_ts: Mapped[int] = mapped_column(BigInteger)
    exit_ts: Mapped[int | None] = mapped_column(BigInteger)
    qty: Mapped[float] = mapped_column(Double)
    entry_price: Mapped[float] = mapped_column(Double)
    exit_price: Mapped[float | None] = mapped_column(Double)  # NULL while the trade is open
    pnl: Mapped[float] = mapped_column(Double)
    fees: Mapped[float] = mapped_column(Double)


metadata = Base.metadata


def table(model: type[Base]) -> Table:
    """The Core table of a model, typed as a Table (for inserts and compiled statements)."""
    return metadata.tables[model.__tablename__]


class ApiTokenRow(Base):
    """An API credential: a token for scripts or a paired device. Only the SHA-256 of the
    secret is stored; `token_id` is the public part that names it in lists and logs."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_ns: Mapped[int] = mapped_column(BigInteger)
    expires_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_used_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    uses: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index(None, "kind", "created_ns"),)


class WebhookEndpointRow(Base):
    """An outbound webhook subscription. Its signing secret is in the keyring only."""

    __tablename__ = "webhook_endpoints"

    endpoint_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    max_concurrency: Mapped[int] = mapped_column(Integer)
    timeout_s: Mapped[float] = mapped_column(Double)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    updated_ns: Mapped[int] = mapped_column(BigInteger)
    previous_secret_until_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookMessageRow(Base):
    """The outbox: one row per event and endpoint, kept until delivered (and after, as the
    delivery log). `msg_id` is the webhook-id header of every attempt."""

    __tablename__ = "webhook_messages"

    msg_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    delivered_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index(None, "status", "next_attempt_ns"),
        Index(None, "endpoint_id", "created_ns"),
    )


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Double)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index(None, "msg_id"),
        Index(None, "endpoint_id", "ts_ns"),
    )


class InboundHookRow(Base):
    """An inbound hook (POST /hooks/<hook_id>); its secret is in the keyring only."""

    __tablename__ = "inbound_hooks"

    hook_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    auth: Mapped[str] = mapped_column(String(16))
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    tolerance_s: Mapped[int] = mapped_column(Integer)
    created_ns: Mapped[int] = mapped_column(BigInteger)


class InboundRequestRow(Base):
    """Every request a hook received, with its outcome (never the body: it may hold the
    shared secret)."""

    __tablename__ = "inbound_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hook_id: Mapped[str] = mapped_column(String(32))
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    client_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index(None, "hook_id", "ts_ns"),)


class InboundSeenRow(Base):
    """Message ids a hook accepted: a replay of one is refused (also after a restart)."""

    __tablename__ = "inbound_seen"

    hook_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    ts_ns: Mapped[int] = mapped_column(BigInteger)


class PairingCodeRow(Base):
    """A one-time pairing code offered to a phone: only its SHA-256 is stored."""

    __tablename__ = "pairing_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_ns: Mapped[int] = mapped_column(BigInteger)
    expires_ns: Mapped[int] = mapped_column(BigInteger)
    used_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    confirmation: Mapped[str | None] = mapped_column(String(16), nullable=True)


class DeviceEventRow(Base):
    """The durable event log devices sync from: orders, fills, positions, alerts, signals."""

    __tablename__ = "device_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))
    instrument: Mapped[str | None] = mapped_column(ID, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    # AUTOINCREMENT: SQLite must never hand out a sequence number again after pruning
    __table_args__ = (Index(None, "ts_ns"), {"sqlite_autoincrement": True})


class AlertRow(Base):
    """A price alert: where it fires (above, below, crossing a price), whether it repeats,
    and what it last fired at. Inactive ones (fired once, or switched off) are kept."""

    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instrument: Mapped[str] = mapped_column(ID)
    condition: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(DecimalString)
    source: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(200))
    repeat: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    updated_ns: Mapped[int] = mapped_column(BigInteger)
    triggered_count: Mapped[int] = mapped_column(Integer)
    last_triggered_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_triggered_price: Mapped[float | None] = mapped_column(Double, nullable=True)
