"""Position and gross exposure limits, per instrument and summed over the account.

The position counted is the worst one the working orders allow: the current position plus
every working order of the order's side filling. Gross exposure is the position's size plus
all working quantity, both sides. Amounts are in the instrument's quote currency at the last
mid (or trade); account totals add up the instruments quoted in the same currency. An order
that makes the counted position smaller is never refused, even above a limit.
Float arithmetic is enough here: these are thresholds, not balances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from terminal.core.errors import RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain
from terminal.model.orders import Order, Side
from terminal.model.portfolio import Position
from terminal.services.risk.limits import RiskLimits
from terminal.services.risk.working import Open, WorkingBook

# (position, working quantity with this order, counted position before, after)
Own = tuple[float, float, float, float]


def _sides(iid: InstrumentId, working: WorkingBook, replacing: Open | None) -> tuple[float, float]:
    buys = working.buy_qty.get(iid, 0.0)
    sells = working.sell_qty.get(iid, 0.0)
    if replacing is not None:
        if replacing.is_buy:
            buys -= replacing.qty_f
        else:
            sells -= replacing.qty_f
    return buys, sells


def check_exposure(order: Order, instrument: Instrument, limits: RiskLimits,
                   qty_of: Callable[[InstrumentId], float], working: WorkingBook,
                   price: float | None, replacing: Open | None) -> Own:
    """Check the instrument's limits; returns what the account check needs of it."""
    iid = order.instrument_id
    pos = qty_of(iid)
    buys, sells = _sides(iid, working, replacing)
    qty = float(order.quantity)
    long_worst, short_worst = abs(pos + buys), abs(pos - sells)
    net_before = long_worst if long_worst > short_worst else short_worst
    if order.side is Side.BUY:
        before, after = long_worst, abs(pos + buys + qty)
        net_after = after if after > short_worst else short_worst
    else:
        before, after = short_worst, abs(pos - sells - qty)
        net_after = after if after > long_worst else long_worst
    own = (pos, buys + sells + qty, net_before, net_after)
    growing = after > before
    if growing and limits.position_qty_f and after > limits.position_qty_f:
        base = instrument.base or "units"
        raise RiskRejected("max_position",
                           f"the {iid.symbol} position could reach {after:,.8g} {base}, above "
                           f"the limit {plain(limits.max_position_qty)} {base}")
    if price is None:
        return own
    if growing and limits.position_notional_f and after * price > limits.position_notional_f:
        quote = instrument.quote or "quote"
        raise RiskRejected("max_position",
                           f"the {iid.symbol} position could reach {after * price:,.2f} "
                           f"{quote}, above the limit {plain(limits.max_position_notional)} "
                           f"{quote}")
    if limits.gross_f and not order.reduce_only:
        gross = (abs(pos) + own[1]) * price
        if gross > limits.gross_f:
            quote = instrument.quote or "quote"
            raise RiskRejected("max_gross_exposure",
                               f"gross exposure in {iid.symbol} would be {gross:,.2f} {quote}, "
                               f"above the limit {plain(limits.max_gross_exposure)} {quote}")
    return own


def check_account_exposure(order: Order, instrument: Instrument, limits: RiskLimits,
                           positions: Mapping[InstrumentId, Position], working: WorkingBook,
                           mark: Callable[[InstrumentId], float | None],
                           qty_of: Callable[[InstrumentId], float],
                           same_quote: Iterable[InstrumentId], price: float | None,
                           own: Own) -> None:
    """`same_quote`: every instrument of the account quoted like this one (held or with
    working orders), this one included or not."""
    if price is None or not (limits.account_position_f or limits.account_gross_f):
        return
    iid = order.instrument_id
    net_total = 0.0
    gross_total = 0.0
    for other in same_quote:
        if other == iid:
            continue
        buys, sells = _sides(other, working, None)
        p = qty_of(other)
        if not (p or buys or sells):
            continue
        other_mark = mark(other)
        if other_mark is None:
            position = positions.get(other)
            if position is None or not position.avg_price:
                continue
            other_mark = float(position.avg_price)
        net_total += max(abs(p + buys), abs(p - sells)) * other_mark
        gross_total += (abs(p) + buys + sells) * other_mark
    pos, working_qty, net_before, net_after = own
    ccy = instrument.quote or "quote"
    after = net_total + net_after * price
    if limits.account_position_f and net_after > net_before and \
            after > limits.account_position_f:
        raise RiskRejected("max_account_position",
                           f"positions quoted in {ccy} could reach {after:,.2f} {ccy} "
                           f"across the account, above the limit "
                           f"{plain(limits.max_account_position_notional)} {ccy}")
    gross = gross_total + (abs(pos) + working_qty) * price
    if limits.account_gross_f and not order.reduce_only and gross > limits.account_gross_f:
        raise RiskRejected("max_account_gross_exposure",
                           f"gross exposure in {ccy} would be {gross:,.2f} {ccy} across the "
                           f"account, above the limit "
                           f"{plain(limits.max_account_gross_exposure)} {ccy}")
