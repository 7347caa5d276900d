"""The risk gate every order passes before it is stored and sent.

This is the base gate: kill switch, tradable instrument, instrument constraints, maximum
order quantity and notional, and a cap on working orders. Each rejection carries a stable
reason code and a message a trader can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from terminal.core.errors import InstrumentError, RiskRejected
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, plain
from terminal.model.orders import Order, OrderType


@dataclass
class RiskLimits:
    max_order_qty: Decimal = ZERO          # 0 = no limit
    max_order_notional: Decimal = ZERO     # in the instrument's quote currency; 0 = no limit
    max_working_orders: int = 200


class RiskGate:
    def __init__(self, limits: RiskLimits | None = None,
                 reference_price: Callable[[Order], Decimal | None] | None = None) -> None:
        self.limits = limits or RiskLimits()
        self.kill_switch = False
        self.kill_reason = ""
        self._reference_price = reference_price or (lambda _order: None)

    def engage_kill_switch(self, reason: str) -> None:
        self.kill_switch = True
        self.kill_reason = reason

    def release_kill_switch(self) -> None:
        self.kill_switch = False
        self.kill_reason = ""

    def check(self, order: Order, instrument: Instrument, working_orders: int) -> None:
        if self.kill_switch:
            raise RiskRejected("kill_switch", f"kill switch engaged: {self.kill_reason}")
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
        if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and order.price is None:
            raise RiskRejected("missing_price", f"a {order.type.value} order needs a price")
        if order.type in (OrderType.STOP, OrderType.STOP_LIMIT) and order.stop_price is None:
            raise RiskRejected("missing_stop_price", f"a {order.type.value} order needs a stop")
        limits = self.limits
        if limits.max_order_qty and order.quantity > limits.max_order_qty:
            raise RiskRejected("max_order_qty", f"quantity {plain(order.quantity)} is above "
                               f"the limit {plain(limits.max_order_qty)}")
        price = order.price if order.price is not None else self._reference_price(order)
        if instrument.min_notional and price is not None:
            notional = price * order.quantity
            if notional < instrument.min_notional:
                raise RiskRejected("min_notional", f"notional {plain(notional)} is below the "
                                   f"venue minimum {plain(instrument.min_notional)}")
        if limits.max_order_notional and price is not None:
            notional = price * order.quantity
            if notional > limits.max_order_notional:
                raise RiskRejected("max_order_notional", f"notional {plain(notional)} is above "
                                   f"the limit {plain(limits.max_order_notional)}")
        if working_orders >= limits.max_working_orders:
            raise RiskRejected("max_working_orders",
                               f"{working_orders} orders are working (limit "
                               f"{limits.max_working_orders})")
