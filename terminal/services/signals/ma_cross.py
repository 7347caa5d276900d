"""Moving-average cross: buy when the fast average crosses above the slow one, sell below."""

from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.services.signals.base import Strategy
from terminal.services.signals.crossing import CrossTracker
from terminal.services.signals.history import BarHistory
from terminal.services.signals.streams import MovingAverage, MovingAverageStream


@dataclass(frozen=True)
class MaCrossParams:
    fast: int = 10
    slow: int = 30
    average: MovingAverage = "sma"
    full_strength_gap: float = 0.01  # the averages this far apart (relative) = strength 1

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"need 1 <= fast < slow, not fast={self.fast} slow={self.slow}")
        if self.average not in ("sma", "ema"):
            raise ValueError(f"average must be 'sma' or 'ema', not {self.average!r}")
        if not self.full_strength_gap > 0:
            raise ValueError("full_strength_gap must be positive")


class MovingAverageCross(Strategy[MaCrossParams]):
    name = "ma_cross"

    def __init__(self, instrument: InstrumentId | str, timeframe: str = "1m",
                 params: MaCrossParams | None = None, strategy_id: str | None = None) -> None:
        super().__init__(instrument, timeframe, params or MaCrossParams(), strategy_id)

    def reset(self) -> None:
        p = self.params
        self._fast = MovingAverageStream(p.average, p.fast)
        self._slow = MovingAverageStream(p.average, p.slow)
        self._cross = CrossTracker()

    def on_bar(self, bar: Bar, history: BarHistory) -> Signal | None:
        fast = self._fast.push(bar.close)
        slow = self._slow.push(bar.close)
        if math.isnan(fast) or math.isnan(slow):
            return None
        crossed = self._cross.update(fast - slow)
        if crossed == 0:
            return None
        p = self.params
        gap = abs(fast - slow) / abs(slow) if slow != 0 else 1.0
        side = Side.BUY if crossed > 0 else Side.SELL
        word = "above" if crossed > 0 else "below"
        return self.signal(bar, side, gap / p.full_strength_gap,
                           f"{p.average.upper()}({p.fast}) {fast:.10g} crossed {word} "
                           f"{p.average.upper()}({p.slow}) {slow:.10g}")
