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
                   price: float | None, replacing: Open | None) -> tuple[float, float, float]:
    """Check the instrument's limits; returns (net before, net after, gross added) for the
    account check."""
    iid = order.instrument_id
    pos = qty_of(iid)
    buys, sells = _sides(iid, working, replacing)
    qty = float(order.quantity)
    long_worst, short_worst = abs(pos + buys), abs(pos - sells)
    if order.side is Side.BUY:
        before, after = long_worst, abs(pos + buys + qty)
        net_before, net_after = max(long_worst, short_worst), max(after, short_worst)
    else:
        before, after = short_worst, abs(pos - sells - qty)
        net_before, net_after = max(long_worst, short_worst), max(long_worst, after)
    growing = after > before
    base, quote = instrument.base or "units", instrument.quote or "quote"
    if growing and limits.max_position_qty and after > float(limits.max_position_qty):
        raise RiskRejected("max_position",
                           f"the {iid.symbol} position could reach {after:,.8g} {base}, above "
                           f"the limit {plain(limits.max_position_qty)} {base}")
    if price is None:
        return net_before, net_after, qty
    if growing and limits.max_position_notional and \
            after * price > float(limits.max_position_notional):
        raise RiskRejected("max_position",
                           f"the {iid.symbol} position could reach {after * price:,.2f} "
                           f"{quote}, above the limit {plain(limits.max_position_notional)} "
                           f"{quote}")
    if limits.max_gross_exposure and not order.reduce_only:
        gross = (abs(pos) + buys + sells + qty) * price
        if gross > float(limits.max_gross_exposure):
            raise RiskRejected("max_gross_exposure",
                               f"gross exposure in {iid.symbol} would be {gross:,.2f} {quote}, "
                               f"above the limit {plain(limits.max_gross_exposure)} {quote}")
    return net_before, net_after, qty


def check_account_exposure(order: Order, instrument: Instrument, limits: RiskLimits,
                           positions: Mapping[InstrumentId, Position], working: WorkingBook,
                           mark: Callable[[InstrumentId], float | None],
                           qty_of: Callable[[InstrumentId], float],
                           same_quote: Iterable[InstrumentId], price: float | None,
                           own: tuple[float, float, float], replacing: Open | None) -> None:
    """`same_quote`: every instrument of the account quoted like this one (held or with
    working orders), this one included or not."""
    if price is None or not (limits.max_account_position_notional
                             or limits.max_account_gross_exposure):
        return
    iid = order.instrument_id
    quote = instrument.quote
    net_before, net_after, added = own
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
    pos = qty_of(iid)
    buys, sells = _sides(iid, working, replacing)
    ccy = quote or "quote"
    lim = limits.max_account_position_notional
    after = net_total + net_after * price
    if lim and net_after > net_before and after > float(lim):
        raise RiskRejected("max_account_position",
                           f"positions quoted in {ccy} could reach {after:,.2f} {ccy} "
                           f"across the account, above the limit {plain(lim)} {ccy}")
    lim = limits.max_account_gross_exposure
    gross = gross_total + (abs(pos) + buys + sells + added) * price
    if lim and not order.reduce_only and gross > float(lim):
        raise RiskRejected("max_account_gross_exposure",
                           f"gross exposure in {ccy} would be {gross:,.2f} {ccy} across the "
                           f"account, above the limit {plain(lim)} {ccy}")
