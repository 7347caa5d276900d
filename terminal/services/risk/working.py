"""What the working orders hold open, kept up to date order by order so that a check reads
totals instead of walking every order: quantity per instrument and side, quote currency
reserved by buys (with fees), base currency reserved by sells, reduce-only quantity."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from terminal.model.ids import InstrumentId
from terminal.model.numbers import ZERO
from terminal.model.orders import Order, Side


@dataclass(frozen=True, slots=True)
class Open:
    instrument_id: InstrumentId
    is_buy: bool
    qty: Decimal
    qty_f: float
    quote: str
    base: str
    reserved: Decimal  # quote currency held back by a buy, base currency by a sell
    reduce_only: bool


class WorkingBook:
    def __init__(self) -> None:
        self.open: dict[str, Open] = {}
        self.buy_qty: dict[InstrumentId, float] = {}
        self.sell_qty: dict[InstrumentId, float] = {}
        self.quote_reserved: dict[str, Decimal] = {}
        self.base_reserved: dict[str, Decimal] = {}
        self.reduce_buy: dict[InstrumentId, Decimal] = {}
        self.reduce_sell: dict[InstrumentId, Decimal] = {}

    def __len__(self) -> int:
        return len(self.open)

    def update(self, order: Order, quote: str, base: str, price: Decimal | None,
               fee_rate: Decimal) -> None:
        """Replace what `order` held with what it holds now (nothing once it is done)."""
        old = self.open.pop(order.client_order_id, None)
        if old is not None:
            self._add(old, -1)
        leaves = order.leaves_qty
        if order.status.is_terminal or leaves <= ZERO:
            return
        is_buy = order.side is Side.BUY
        if is_buy:
            reserved = leaves * price * (1 + fee_rate) if price is not None else ZERO
        else:
            reserved = leaves
        new = Open(order.instrument_id, is_buy, leaves, float(leaves), quote, base, reserved,
                   order.reduce_only)
        self.open[order.client_order_id] = new
        self._add(new, 1)

    def _add(self, o: Open, sign: int) -> None:
        iid = o.instrument_id
        qty_by_side = self.buy_qty if o.is_buy else self.sell_qty
        qty_by_side[iid] = qty_by_side.get(iid, 0.0) + sign * o.qty_f
        if o.is_buy and o.quote:
            self.quote_reserved[o.quote] = self.quote_reserved.get(o.quote, ZERO) \
                + sign * o.reserved
        elif not o.is_buy and o.base:
            self.base_reserved[o.base] = self.base_reserved.get(o.base, ZERO) + sign * o.reserved
        if o.reduce_only:
            reduce = self.reduce_buy if o.is_buy else self.reduce_sell
            reduce[iid] = reduce.get(iid, ZERO) + sign * o.qty
        if sign < 0 and abs(qty_by_side[iid]) < 1e-9 and not any(
                p.instrument_id == iid and p.is_buy == o.is_buy for p in self.open.values()):
            qty_by_side[iid] = 0.0  # no float residue once the side is empty
