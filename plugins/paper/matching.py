"""Pure matching helpers for the paper broker: how much of an order the visible market fills.

Levels are (price, size) floats, best first. Our own fills deplete a level until the venue
reports a new size for it, so the same liquidity is never taken twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from terminal.model.market import Level
from terminal.model.numbers import ZERO, to_decimal


@dataclass(slots=True)
class Execution:
    price: Decimal
    quantity: Decimal


@dataclass
class Depletion:
    """What we took from each level, remembered with the level size we saw then."""

    taken: dict[float, tuple[float, Decimal]] = field(default_factory=dict)

    def available(self, price: float, size: float) -> Decimal:
        if math.isnan(size):
            return Decimal("Infinity")
        seen = self.taken.get(price)
        if seen is None or seen[0] != size:
            self.taken.pop(price, None)
            return to_decimal(size)
        return max(ZERO, to_decimal(size) - seen[1])

    def take(self, price: float, size: float, qty: Decimal) -> None:
        seen = self.taken.get(price)
        before = seen[1] if seen is not None and seen[0] == size else ZERO
        self.taken[price] = (size, before + qty)


def walk(levels: list[Level], quantity: Decimal, limit: Decimal | None, is_buy: bool,
         depletion: Depletion, lot: Decimal) -> list[Execution]:
    """Take liquidity level by level up to `quantity`, stopping at the limit price."""
    out: list[Execution] = []
    remaining = quantity
    for price_f, size_f in levels:
        if remaining <= ZERO:
            break
        price = to_decimal(price_f)
        if limit is not None and ((is_buy and price > limit) or (not is_buy and price < limit)):
            break
        available = depletion.available(price_f, size_f)
        qty = min(remaining, available)
        if lot:
            qty = (qty // lot) * lot
        if qty <= ZERO:
            continue
        depletion.take(price_f, size_f, qty)
        out.append(Execution(price, qty))
        remaining -= qty
    return out
