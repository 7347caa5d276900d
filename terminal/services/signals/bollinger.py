"""Bollinger breakout: buy when the close leaves the bands upwards, sell downwards.

A signal fires on the bar the close goes outside; staying outside gives no more, and a
close back inside (or a NaN gap) re-arms both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.services.signals.base import Strategy
from terminal.services.signals.history import BarHistory
from terminal.services.signals.streams import BandsStream


@dataclass(frozen=True)
class BollingerParams:
    period: int = 20
    deviations: float = 2.0

    def __post_init__(self) -> None:
        if self.period < 2:
            raise ValueError(f"period must be at least 2, not {self.period}")
        if not self.deviations > 0:
            raise ValueError("deviations must be positive")


class BollingerBreakout(Strategy[BollingerParams]):
    name = "bollinger"

    def __init__(self, instrument: InstrumentId | str, timeframe: str = "1m",
                 params: BollingerParams | None = None,
                 strategy_id: str | None = None) -> None:
        super().__init__(instrument, timeframe, params or BollingerParams(), strategy_id)

    def reset(self) -> None:
        p = self.params
        self._bands = BandsStream(p.period, p.deviations, p.deviations)
        self._outside = 0  # +1 above the upper band, -1 below the lower, 0 inside

    def on_bar(self, bar: Bar, history: BarHistory) -> Signal | None:
        close = bar.close
        upper, middle, lower = self._bands.push(close)
        if math.isnan(upper):
            return None
        half_width = upper - middle
        # bands of no width (a flat window) have nothing to break out of; the close may
        # still differ from their running-sum mean by a rounding residue
        outside = 0 if not half_width > 0 else 1 if close > upper else -1 if close < lower \
            else 0
        before = self._outside
        self._outside = outside
        if outside == 0 or outside == before:
            return None
        p = self.params
        if outside > 0:
            return self.signal(bar, Side.BUY, (close - upper) / half_width,
                               f"close {close:.10g} above the upper band {upper:.10g} "
                               f"({p.period}, {p.deviations:g})")
        return self.signal(bar, Side.SELL, (lower - close) / half_width,
                           f"close {close:.10g} below the lower band {lower:.10g} "
                           f"({p.period}, {p.deviations:g})")
