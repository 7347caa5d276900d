"""Free balance: a buy needs its quote currency (price x qty + fees) beyond what working
buys already hold back; on a spot instrument a sell needs the base currency held, beyond
what working sells already offer. Nothing on spot ever goes negative."""

from __future__ import annotations

from decimal import Decimal

from terminal.core.errors import RiskRejected
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, trimmed
from terminal.model.orders import Order, Side
from terminal.model.portfolio import Account
from terminal.services.risk.limits import RiskLimits
from terminal.services.risk.working import Open, WorkingBook


def check_balance(order: Order, instrument: Instrument, limits: RiskLimits, account: Account,
                  working: WorkingBook, price: Decimal | None, replacing: Open | None) -> None:
    if order.side is Side.BUY:
        currency = instrument.quote
        # a market buy with no price known is left to the venue (it has nothing to fill on)
        if not limits.check_balance or not currency or price is None:
            return
        needed = price * order.quantity * limits.fee_factor
        held = working.quote_reserved.get(currency, ZERO)
    else:
        currency = instrument.base
        if not limits.spot or not currency:
            return
        needed = order.quantity
        held = working.base_reserved.get(currency, ZERO)
    if replacing is not None:
        held -= replacing.reserved
    free = account.balances.get(currency, ZERO) - held
    if needed > free:
        raise RiskRejected("insufficient_balance",
                           f"insufficient {currency}: needs {trimmed(needed)}, free "
                           f"{trimmed(free)}" + (f" ({trimmed(held)} held by working orders)"
                                                 if held else ""))
