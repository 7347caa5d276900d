"""The base rules: tradable instrument, the instrument's grid, required prices, order size,
the venue's minimum notional and the cap on working orders."""

from __future__ import annotations

from decimal import Decimal

from terminal.core.errors import InstrumentError, RiskRejected
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain
from terminal.model.orders import Order, OrderType
from terminal.services.risk.limits import RiskLimits

_NEEDS_PRICE = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_NEEDS_STOP = (OrderType.STOP, OrderType.STOP_LIMIT)


def check_base(order: Order, instrument: Instrument, limits: RiskLimits, working_orders: int,
               price: Decimal | None) -> None:
    """`price` is the order's limit price, or an estimate of where a market order fills."""
    if not instrument.trading:
        raise RiskRejected("not_trading", f"{instrument.id} is not trading")
    try:
        instrument.check_qty(order.quantity)
        if order.price is not None:
            instrument.check_price(order.price)
        if order.stop_price is not None:
            instrument.check_price(order.stop_price)
    except InstrumentError as exc:
        raise RiskRejected("instrument_constraint", str(exc)) from exc
    if order.price is None and order.type in _NEEDS_PRICE:
        raise RiskRejected("missing_price", f"a {order.type.value} order needs a price")
    if order.stop_price is None and order.type in _NEEDS_STOP:
        raise RiskRejected("missing_stop_price", f"a {order.type.value} order needs a stop")
    if limits.max_order_qty and order.quantity > limits.max_order_qty:
        raise RiskRejected("max_order_qty", f"quantity {plain(order.quantity)} is above "
                           f"the limit {plain(limits.max_order_qty)}")
    if price is not None and (instrument.min_notional or limits.max_order_notional):
        notional = price * order.quantity
        if instrument.min_notional and notional < instrument.min_notional:
            raise RiskRejected("min_notional", f"notional {plain(notional)} is below the "
                               f"venue minimum {plain(instrument.min_notional)}")
        if limits.max_order_notional and notional > limits.max_order_notional:
            raise RiskRejected("max_order_notional", f"notional {plain(notional)} is above "
                               f"the limit {plain(limits.max_order_notional)}")
    if working_orders >= limits.max_working_orders:
        raise RiskRejected("max_working_orders",
                           f"{working_orders} orders are working (limit "
                           f"{limits.max_working_orders})")
