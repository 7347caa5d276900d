"""The risk gate every order passes before it is stored and sent.

This is the base gate: kill switch and the base rules, with one set of limits. The order
manager talks to it through `pre_trade`, `track`, `on_fill` and `check_cancel`; the risk
engine (engine.py) overrides them with the full rule set.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from terminal.core.errors import RiskRejected
from terminal.model.instrument import Instrument
from terminal.model.orders import Order
from terminal.model.portfolio import Fill
from terminal.services.risk.base import check_base
from terminal.services.risk.limits import RiskLimits


class RiskGate:
    def __init__(self, limits: RiskLimits | None = None,
                 reference_price: Callable[[Order], Decimal | None] | None = None) -> None:
        self.limits = limits or RiskLimits()
        self.kill_switch = False
        self.kill_reason = ""
        self._reference_price = reference_price or (lambda _order: None)
        self._trip_listeners: list[Callable[[str], None]] = []
        self._switch_listeners: list[Callable[[bool, str], None]] = []

    def engage_kill_switch(self, reason: str, actor: str = "api") -> None:
        was = self.kill_switch
        self.kill_switch = True
        self.kill_reason = reason
        if not was:
            self._switched(True, reason)

    def release_kill_switch(self, actor: str = "api") -> None:
        was, reason = self.kill_switch, self.kill_reason
        self.kill_switch = False
        self.kill_reason = ""
        if was:
            self._switched(False, reason)

    def on_kill_switch(self, listener: Callable[[bool, str], None]) -> Callable[[], None]:
        """Called with (engaged, reason) when the kill switch changes, from any path;
        returns the call that stops it."""
        self._switch_listeners.append(listener)
        return lambda: self._switch_listeners.remove(listener)

    def _switched(self, engaged: bool, reason: str) -> None:
        for listener in list(self._switch_listeners):
            listener(engaged, reason)

    def on_trip(self, listener: Callable[[str], None]) -> None:
        """Called with the reason when a rule engages the kill switch by itself (the order
        manager cancels the working orders)."""
        self._trip_listeners.append(listener)

    def trip(self, reason: str) -> None:
        self.engage_kill_switch(reason)
        for listener in self._trip_listeners:
            listener(reason)

    def check(self, order: Order, instrument: Instrument, working_orders: int) -> None:
        if self.kill_switch:
            raise RiskRejected("kill_switch", f"kill switch engaged: {self.kill_reason}")
        price = order.price if order.price is not None else self._reference_price(order)
        check_base(order, instrument, self.limits, working_orders, price)

    # the order manager's hooks -----------------------------------------------------------
    def pre_trade(self, order: Order, instrument: Instrument, working_orders: int,
                  replacing: Order | None = None) -> None:
        """Refuse (RiskRejected) or let pass a new order, or the new terms of `replacing`.
        `working_orders` counts the working orders, `replacing` included."""
        self.check(order, instrument, working_orders - (replacing is not None))

    def track(self, order: Order) -> None:
        """An order was stored or changed (accepted, filled, cancelled, modified)."""

    def on_fill(self, fill: Fill) -> None:
        """A fill has been applied to the portfolio."""

    def check_cancel(self, order: Order) -> None:
        """Refuse a cancel request (RiskRejected), e.g. over the cancel rate."""
