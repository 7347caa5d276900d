"""Orders and their state machine. Prices and quantities are Decimal on the instrument's grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from terminal.core.errors import InvalidTransition
from terminal.model.ids import InstrumentId
from terminal.model.numbers import ZERO


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    DAY = "day"


class OrderStatus(StrEnum):
    PENDING_NEW = "pending_new"      # intent stored, not yet acknowledged by the venue
    ACCEPTED = "accepted"            # working at the venue
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        return self in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED,
                        OrderStatus.PENDING_CANCEL)


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED,
                       OrderStatus.EXPIRED})

_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_NEW: frozenset({OrderStatus.ACCEPTED, OrderStatus.REJECTED,
                                        OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                        OrderStatus.CANCELED, OrderStatus.EXPIRED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                     OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED,
                                     OrderStatus.EXPIRED}),
    OrderStatus.PARTIALLY_FILLED: frozenset({OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                             OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED,
                                             OrderStatus.EXPIRED}),
    OrderStatus.PENDING_CANCEL: frozenset({OrderStatus.CANCELED, OrderStatus.PARTIALLY_FILLED,
                                           OrderStatus.FILLED, OrderStatus.ACCEPTED,
                                           OrderStatus.EXPIRED}),
}


@dataclass(slots=True)
class Order:
    client_order_id: str
    instrument_id: InstrumentId
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal = ZERO
    fees: Decimal = ZERO
    venue_order_id: str | None = None
    reduce_only: bool = False
    source: str = "api"
    reject_reason: str | None = None
    ts_created: int = 0
    ts_updated: int = 0
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def leaves_qty(self) -> Decimal:
        return self.quantity - self.filled_qty

    def transition(self, new: OrderStatus, ts_ns: int) -> None:
        if new not in _ALLOWED.get(self.status, frozenset()):
            raise InvalidTransition(
                f"order {self.client_order_id}: {self.status.value} -> {new.value} is not allowed")
        self.status = new
        self.ts_updated = ts_ns

    def apply_fill(self, qty: Decimal, price: Decimal, fee: Decimal, ts_ns: int) -> None:
        if qty <= ZERO or qty > self.leaves_qty:
            raise InvalidTransition(
                f"order {self.client_order_id}: fill of {qty} exceeds leaves {self.leaves_qty}")
        notional = self.avg_fill_price * self.filled_qty + price * qty
        self.filled_qty += qty
        self.avg_fill_price = notional / self.filled_qty
        self.fees += fee
        target = (OrderStatus.FILLED if self.filled_qty == self.quantity
                  else OrderStatus.PARTIALLY_FILLED)
        self.transition(target, ts_ns)
