"""Fat-finger guard: a limit price too far from the last mid (or last trade) is refused."""

from __future__ import annotations

from terminal.core.errors import RiskRejected
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain, trimmed
from terminal.model.orders import Order, OrderType
from terminal.services.risk.limits import RiskLimits


def check_price_band(order: Order, instrument: Instrument, limits: RiskLimits,
                     reference: tuple[float, str] | None) -> None:
    # without market data there is nothing to compare with: the order may rest before it
    band = limits.band_f
    if not band or order.price is None or reference is None \
            or order.type is not OrderType.LIMIT:
        return
    ref, what = reference
    off_pct = (float(order.price) / ref - 1.0) * 100.0
    if abs(off_pct) > band:
        where = "above" if off_pct > 0 else "below"
        raise RiskRejected(
            "price_band", f"limit price {trimmed(order.price)} is {abs(off_pct):.1f}% {where} "
            f"the {what} {instrument.format_price(ref)} (band {plain(limits.price_band_pct)}%)"
            ": check the price")
