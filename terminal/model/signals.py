"""What a strategy says about an instrument after a closed bar."""

from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.model.ids import InstrumentId
from terminal.model.orders import Side


@dataclass(frozen=True, slots=True)
class Signal:
    """`ts` is when the signal became known (the bar's close time, int64 ns UTC);
    `bar_ts` the open time of the bar that gave it and `price` that bar's close.
    `strength` is how far past its trigger the strategy saw the market, 0..1."""

    instrument_id: InstrumentId
    side: Side
    strength: float
    reason: str
    ts: int
    strategy_id: str
    bar_ts: int
    price: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:  # NaN fails this too
            raise ValueError(f"strength must be within 0..1, not {self.strength}")
        if not math.isfinite(self.price):
            raise ValueError(f"price must be finite, not {self.price}")
