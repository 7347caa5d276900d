"""Fills, positions and accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from terminal.model.ids import InstrumentId
from terminal.model.numbers import ZERO
from terminal.model.orders import Side


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    client_order_id: str
    instrument_id: InstrumentId
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts_event: int

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


@dataclass(slots=True)
class Position:
    """A net position. `quantity` is signed (negative = short); `avg_price` is the average
    entry price of the open quantity; realised PnL excludes fees, which are tracked apart."""

    instrument_id: InstrumentId
    quantity: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    ts_updated: int = 0

    def apply(self, fill: Fill) -> Decimal:
        """Apply a fill; return the PnL it realised."""
        signed = fill.quantity * fill.side.sign
        realized = ZERO
        self.fees += fill.fee
        if self.quantity == ZERO or (self.quantity > 0) == (signed > 0):
            total = self.quantity + signed
            self.avg_price = (self.avg_price * abs(self.quantity) + fill.price * fill.quantity) \
                / abs(total)
            self.quantity = total
        else:
            closing = min(abs(signed), abs(self.quantity))
            direction = 1 if self.quantity > 0 else -1
            realized = (fill.price - self.avg_price) * closing * direction
            self.realized_pnl += realized
            remaining = self.quantity + signed
            if remaining == ZERO:
                self.avg_price = ZERO
            elif (remaining > 0) != (self.quantity > 0):
                self.avg_price = fill.price  # flipped: the rest opens at the fill price
            self.quantity = remaining
        self.ts_updated = fill.ts_event
        return realized

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        return (mark - self.avg_price) * self.quantity if self.quantity else ZERO


@dataclass(slots=True)
class Account:
    account_id: str
    currency: str
    balances: dict[str, Decimal] = field(default_factory=dict)
    ts_updated: int = 0

    def balance(self, currency: str) -> Decimal:
        return self.balances.get(currency, ZERO)

    def adjust(self, currency: str, amount: Decimal) -> None:
        self.balances[currency] = self.balances.get(currency, ZERO) + amount
