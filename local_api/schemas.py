"""The JSON shapes of the API (documented in OpenAPI) and how domain values become them.

Exact numbers (prices and quantities of orders, fills, positions, balances, limits) travel
as decimal strings, never floats; market data (quotes, trades, bars, books) as JSON numbers,
null where a value is unknown (NaN). Times are int64 nanoseconds since the epoch, UTC.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from terminal.model.instrument import Instrument
from terminal.model.market import Bar, Quote, Trade
from terminal.model.numbers import plain
from terminal.model.orders import Order
from terminal.model.portfolio import Account, Fill, Position
from terminal.model.signals import Signal


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


DERIVED_PLACES = Decimal("1e-12")


def derived_text(value: Decimal) -> str:
    """An average or a PnL: exact inputs, but a division leaves 28 digits of which the
    last ones are noise; 12 decimals are more than any venue's tick, trailing zeros cut."""
    text = plain(value.quantize(DERIVED_PLACES))
    return text.rstrip("0").rstrip(".") if "." in text else text


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    api: str = "v1"


class InstrumentOut(BaseModel):
    id: str
    venue: str
    symbol: str
    base: str
    quote: str
    tick_size: str
    lot_size: str
    min_qty: str
    max_qty: str
    min_notional: str
    trading: bool

    @classmethod
    def of(cls, i: Instrument) -> InstrumentOut:
        return cls(id=str(i.id), venue=i.id.venue, symbol=i.id.symbol, base=i.base,
                   quote=i.quote, tick_size=plain(i.tick_size), lot_size=plain(i.lot_size),
                   min_qty=plain(i.min_qty), max_qty=plain(i.max_qty),
                   min_notional=plain(i.min_notional), trading=i.trading)


class QuoteOut(BaseModel):
    instrument_id: str
    bid: float | None
    bid_size: float | None
    ask: float | None
    ask_size: float | None
    ts_event: int

    @classmethod
    def of(cls, q: Quote) -> QuoteOut:
        return cls(instrument_id=str(q.instrument_id), bid=_num(q.bid),
                   bid_size=_num(q.bid_size), ask=_num(q.ask), ask_size=_num(q.ask_size),
                   ts_event=q.ts_event)


class TradeOut(BaseModel):
    instrument_id: str
    price: float
    size: float
    aggressor: str
    trade_id: str
    ts_event: int

    @classmethod
    def of(cls, t: Trade) -> TradeOut:
        return cls(instrument_id=str(t.instrument_id), price=t.price, size=t.size,
                   aggressor=t.aggressor.value, trade_id=t.trade_id, ts_event=t.ts_event)


class BarOut(BaseModel):
    ts: int = Field(description="open time of the bar, ns")
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None
    trades: int
    closed: bool

    @classmethod
    def of(cls, b: Bar) -> BarOut:
        return cls(ts=b.ts, open=_num(b.open), high=_num(b.high), low=_num(b.low),
                   close=_num(b.close), volume=_num(b.volume), trades=b.trades,
                   closed=b.closed)


class BarsOut(BaseModel):
    instrument_id: str
    timeframe: str
    interval_ns: int
    bars: list[BarOut]


class BookOut(BaseModel):
    instrument_id: str
    usable: bool
    stale_reason: str | None
    ts_event: int | None
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]


class OrderOut(BaseModel):
    client_order_id: str
    instrument_id: str
    side: str
    type: str
    quantity: str
    price: str | None
    stop_price: str | None
    time_in_force: str
    status: str
    filled_qty: str
    leaves_qty: str
    avg_fill_price: str
    fees: str
    venue_order_id: str | None
    reduce_only: bool
    source: str
    reject_reason: str | None
    ts_created: int
    ts_updated: int

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        return cls(client_order_id=o.client_order_id, instrument_id=str(o.instrument_id),
                   side=o.side.value, type=o.type.value, quantity=plain(o.quantity),
                   price=_dec(o.price), stop_price=_dec(o.stop_price),
                   time_in_force=o.time_in_force.value, status=o.status.value,
                   filled_qty=plain(o.filled_qty), leaves_qty=plain(o.leaves_qty),
                   avg_fill_price=derived_text(o.avg_fill_price), fees=plain(o.fees),
                   venue_order_id=o.venue_order_id, reduce_only=o.reduce_only,
                   source=o.source, reject_reason=o.reject_reason, ts_created=o.ts_created,
                   ts_updated=o.ts_updated)


# strict: a JSON true is not the number 1 (pydantic would take it as one)
Amount = StrictStr | StrictInt | StrictFloat


class OrderIn(Strict):
    instrument_id: str = Field(description="VENUE:SYMBOL", examples=["BINANCE:BTCUSDT"])
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit"] = "limit"
    quantity: Amount = Field(description="base units, a decimal string is best")
    price: Amount | None = None
    stop_price: Amount | None = None
    time_in_force: Literal["gtc", "ioc", "fok", "day"] = "gtc"
    reduce_only: bool = False
    client_order_id: str | None = Field(
        default=None, description="your id (1-36 of A-Z a-z 0-9 . _ : -); a retry with the "
        "same id and terms returns the first order instead of placing a second")


class OrderChange(Strict):
    quantity: Amount
    price: Amount | None = None


class CancelAllOut(BaseModel):
    canceled: int


class FillOut(BaseModel):
    fill_id: str
    client_order_id: str
    instrument_id: str
    side: str
    quantity: str
    price: str
    fee: str
    fee_currency: str
    liquidity: str
    ts_event: int

    @classmethod
    def of(cls, f: Fill) -> FillOut:
        return cls(fill_id=f.fill_id, client_order_id=f.client_order_id,
                   instrument_id=str(f.instrument_id), side=f.side.value,
                   quantity=plain(f.quantity), price=plain(f.price), fee=plain(f.fee),
                   fee_currency=f.fee_currency, liquidity=f.liquidity.value,
                   ts_event=f.ts_event)


class PositionOut(BaseModel):
    instrument_id: str
    quantity: str
    avg_price: str
    realized_pnl: str
    unrealized_pnl: str | None = Field(description="at the current mark; null without one")
    mark: float | None
    fees: str
    ts_updated: int

    @classmethod
    def of(cls, p: Position, mark: float | None) -> PositionOut:
        unreal = None if mark is None else derived_text(p.unrealized_pnl(Decimal(repr(mark))))
        return cls(instrument_id=str(p.instrument_id), quantity=plain(p.quantity),
                   avg_price=derived_text(p.avg_price), realized_pnl=derived_text(p.realized_pnl),
                   unrealized_pnl=unreal, mark=mark, fees=plain(p.fees),
                   ts_updated=p.ts_updated)


class AccountOut(BaseModel):
    account_id: str
    currency: str
    balances: dict[str, str]
    ts_updated: int

    @classmethod
    def of(cls, a: Account) -> AccountOut:
        return cls(account_id=a.account_id, currency=a.currency,
                   balances={k: plain(v) for k, v in sorted(a.balances.items())},
                   ts_updated=a.ts_updated)


class SignalOut(BaseModel):
    instrument_id: str
    strategy_id: str
    side: str
    strength: float
    reason: str
    ts: int
    bar_ts: int
    price: float

    @classmethod
    def of(cls, s: Signal) -> SignalOut:
        return cls(instrument_id=str(s.instrument_id), strategy_id=s.strategy_id,
                   side=s.side.value, strength=s.strength, reason=s.reason, ts=s.ts,
                   bar_ts=s.bar_ts, price=s.price)


class StrategyOut(BaseModel):
    strategy_id: str
    kind: str
    instrument_id: str
    timeframe: str
    params: dict[str, Any]
    auto_trade: bool
    quantity: str
    order_type: str
    signals: int
    errors: int


class StrategyIn(Strict):
    kind: str = Field(description="ma-cross, rsi, bollinger or macd", examples=["ma-cross"])
    instrument_id: str = Field(examples=["BINANCE:BTCUSDT"])
    timeframe: str = Field(default="1m", examples=["1m"])
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    strategy_id: str | None = None
    auto_trade: bool = False
    quantity: Amount | None = None
    order_type: Literal["market", "limit"] = "market"


class StrategyKindOut(BaseModel):
    kind: str
    params: dict[str, Any]


class KillSwitchOut(BaseModel):
    engaged: bool
    reason: str | None


class KillSwitchIn(Strict):
    engaged: bool
    reason: str = Field(default="engaged through the API", max_length=200)


class KillSwitchChange(KillSwitchOut):
    canceled: int = Field(description="working orders whose cancel was sent")


class LimitsOut(BaseModel):
    scope: Literal["account", "instrument"]
    subject: str
    limits: dict[str, str | int | bool]
    overrides: dict[str, str | int | bool] = Field(description="what is set at this scope")


class LimitsIn(Strict):
    limits: dict[str, str | int | float | bool | None] = Field(
        description="limit name -> value; null removes what was set here")


class TokenOut(BaseModel):
    token_id: str
    name: str
    kind: str
    scope: str
    created_ns: int
    expires_ns: int | None
    revoked_ns: int | None
    last_used_ns: int | None
    uses: int
    active: bool


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    scope: Literal["read", "trade", "admin"]
    expires_in_s: StrictInt | None = Field(default=None, gt=0, le=10 * 365 * 86400)


class TokenCreated(TokenOut):
    token: str = Field(description="the secret token text: shown this once, never again")


class PluginOut(BaseModel):
    id: str
    name: str | None
    version: str | None
    kinds: list[str]
    capabilities: list[str]
    package: str
    distribution: str
    status: str
    error: str | None
    connected: bool


class ConnectIn(Strict):
    settings: dict[str, Any] = Field(default_factory=dict)


class ConnectionOut(BaseModel):
    plugin_id: str
    data: bool
    execution: bool
    finite: bool | None = None


class QualityOut(BaseModel):
    instrument_id: str
    kind: str
    detail: str
    ts_ns: int
    count: int


class PnlOut(BaseModel):
    currency: str
    realized: dict[str, str] = Field(description="per quote currency")
    unrealized: dict[str, str]
    fees: dict[str, str]
    daily: dict[str, str] = Field(description="today's PnL per quote currency (the risk "
                                  "view, at marks), 8 decimals")


class BacktestSummaryOut(BaseModel):
    id: int
    created_ns: int
    strategy: str
    instrument_id: str
    timeframe: str
    bars: int
    stats: dict[str, Any]


class BacktestOut(BacktestSummaryOut):
    params: dict[str, Any]
    trades: list[dict[str, Any]]
    equity: list[float | None]
    times: list[int]


class AuditOut(BaseModel):
    id: int
    ts: int
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class StatusOut(BaseModel):
    version: str
    replaying: bool = Field(description="a recording is still being played")
    market_ts: int
    uptime_s: float
    events: dict[str, int]
    instruments: int
    connections: list[str]
    kill_switch: bool
    orders_working: int
    stream_clients: int
    errors: list[str]
