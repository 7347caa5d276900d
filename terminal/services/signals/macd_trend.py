"""MACD trend: buy when the MACD line crosses above its signal line, sell below."""

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
from terminal.services.signals.streams import MacdStream


@dataclass(frozen=True)
class MacdParams:
    fast: int = 12
    slow: int = 26
    signal: int = 9

    def __post_init__(self) -> None:
        if not 2 <= self.fast < self.slow:
            raise ValueError(f"need 2 <= fast < slow, not fast={self.fast} slow={self.slow}")
        if self.signal < 1:
            raise ValueError(f"signal must be at least 1, not {self.signal}")


class MacdTrend(Strategy[MacdParams]):
    name = "macd"

    def __init__(self, instrument: InstrumentId | str, timeframe: str = "1m",
                 params: MacdParams | None = None, strategy_id: str | None = None) -> None:
        super().__init__(instrument, timeframe, params or MacdParams(), strategy_id)

    def reset(self) -> None:
        p = self.params
        self._macd = MacdStream(p.fast, p.slow, p.signal)
        self._cross = CrossTracker()

    def on_bar(self, bar: Bar, history: BarHistory) -> Signal | None:
        line, signal, hist = self._macd.push(bar.close)
        if math.isnan(signal):
            return None
        crossed = self._cross.update(hist)
        if crossed == 0:
            return None
        # the histogram against the line's own size: a cross far from zero is a weak one
        scale = abs(line) + abs(signal)
        strength = abs(hist) / scale if scale > 0 else 0.0
        side = Side.BUY if crossed > 0 else Side.SELL
        word = "above" if crossed > 0 else "below"
        return self.signal(bar, side, strength,
                           f"MACD {line:.6g} crossed {word} its signal {signal:.6g}")
