"""Reduce-only: the order, with the reduce-only orders already working, must not be larger
than the position it closes, nor point the way the position already points."""

from __future__ import annotations

from terminal.core.errors import RiskRejected
from terminal.model.numbers import ZERO, trimmed
from terminal.model.orders import Order, Side
from terminal.model.portfolio import Position
from terminal.services.risk.working import Open, WorkingBook


def check_reduce_only(order: Order, position: Position | None, working: WorkingBook,
                      replacing: Open | None) -> None:
    if not order.reduce_only:
        return
    qty = position.quantity if position is not None else ZERO
    is_buy = order.side is Side.BUY
    closable = -qty if is_buy else qty  # what this side can take off
    if closable <= ZERO:
        state = "flat" if qty == ZERO else ("long" if qty > 0 else "short")
        raise RiskRejected("reduce_only",
                           f"reduce-only {order.side.value} would not reduce: the position is "
                           f"{state} ({trimmed(qty)})")
    pending = (working.reduce_buy if is_buy else working.reduce_sell).get(
        order.instrument_id, ZERO)
    if replacing is not None and replacing.reduce_only:
        pending -= replacing.qty
    if order.quantity + pending > closable:
        raise RiskRejected("reduce_only",
                           f"reduce-only {order.side.value} of {trimmed(order.quantity)} "
                           f"exceeds the position of {trimmed(abs(qty))}"
                           + (f" ({trimmed(pending)} already working)" if pending else ""))
