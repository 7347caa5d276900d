"""Instruments and their trading constraints."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from terminal.core.errors import InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.numbers import ZERO, decimals_of, floor_to_step, is_on_step, plain, snap


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument. A step of 0 means "no constraint", never a division."""

    id: InstrumentId
    base: str
    quote: str
    tick_size: Decimal = ZERO
    lot_size: Decimal = ZERO
    min_qty: Decimal = ZERO
    max_qty: Decimal = ZERO
    min_notional: Decimal = ZERO
    trading: bool = True
    price_precision: int | None = None
    size_precision: int | None = None
    info: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def price_decimals(self) -> int:
        if self.price_precision is not None:
            return self.price_precision
        return decimals_of(self.tick_size) if self.tick_size else 8

    @property
    def size_decimals(self) -> int:
        if self.size_precision is not None:
            return self.size_precision
        return decimals_of(self.lot_size) if self.lot_size else 8

    def round_price(self, price: Decimal) -> Decimal:
        if price <= ZERO:
            raise InstrumentError(f"{self.id}: price must be positive, got {plain(price)}")
        if self.tick_size:
            return snap(price, self.tick_size, ROUND_HALF_EVEN)
        return price

    def floor_qty(self, qty: Decimal) -> Decimal:
        """Quantities round down to the lot: a venue never accepts more than the user has."""
        return floor_to_step(qty, self.lot_size)

    def check_price(self, price: Decimal) -> None:
        if price <= ZERO:
            raise InstrumentError(f"{self.id}: price must be positive, got {plain(price)}")
        if not is_on_step(price, self.tick_size):
            raise InstrumentError(
                f"{self.id}: price {plain(price)} is not a multiple of tick "
                f"{plain(self.tick_size)}")

    def check_qty(self, qty: Decimal) -> None:
        if qty <= ZERO:
            raise InstrumentError(f"{self.id}: quantity must be positive, got {plain(qty)}")
        if not is_on_step(qty, self.lot_size):
            raise InstrumentError(
                f"{self.id}: quantity {plain(qty)} is not a multiple of lot {plain(self.lot_size)}")
        if self.min_qty and qty < self.min_qty:
            raise InstrumentError(
                f"{self.id}: quantity {plain(qty)} is below the minimum {plain(self.min_qty)}")
        if self.max_qty and qty > self.max_qty:
            raise InstrumentError(
                f"{self.id}: quantity {plain(qty)} is above the maximum {plain(self.max_qty)}")

    def format_price(self, price: float | Decimal) -> str:
        return f"{float(price):.{self.price_decimals}f}"

    def with_precision(self, tick_size: Decimal, lot_size: Decimal) -> Instrument:
        """A copy with new steps: venues change precision while running."""
        return Instrument(self.id, self.base, self.quote, tick_size, lot_size, self.min_qty,
                          self.max_qty, self.min_notional, self.trading, None, None,
                          dict(self.info))


def generic_instrument(instrument_id: InstrumentId) -> Instrument:
    """An instrument known only by name (from a recorded file): no constraints."""
    base, quote = _split_symbol(instrument_id.symbol)
    return Instrument(instrument_id, base, quote)


_QUOTES = ("USDT", "USDC", "BUSD", "USD", "EUR", "GBP", "JPY", "BTC", "ETH", "BNB", "XBT")


def _split_symbol(symbol: str) -> tuple[str, str]:
    for sep in ("/", "-", "_"):
        if sep in symbol:
            base, _, quote = symbol.partition(sep)
            return base, quote
    for quote in _QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol, ""
