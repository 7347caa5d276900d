"""RSI mean reversion: buy when RSI falls below the oversold level, sell above overbought.

Each side fires once per visit to its zone and re-arms when RSI is back out of it (at or
above `rearm_buy`, at or below `rearm_sell`), so a long stay below 30 is one signal.
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
from terminal.services.signals.streams import RsiStream


@dataclass(frozen=True)
class RsiReversionParams:
    period: int = 14
    oversold: float = 30.0
    overbought: float = 70.0
    rearm_buy: float | None = None  # default: the oversold level
    rearm_sell: float | None = None  # default: the overbought level

    def __post_init__(self) -> None:
        if self.period < 1:
            raise ValueError(f"period must be at least 1, not {self.period}")
        if not 0 < self.oversold < self.overbought < 100:
            raise ValueError("need 0 < oversold < overbought < 100")
        if not self.oversold <= self.buy_rearm_level < 100:
            raise ValueError("rearm_buy must be at least the oversold level")
        if not 0 < self.sell_rearm_level <= self.overbought:
            raise ValueError("rearm_sell must be at most the overbought level")

    @property
    def buy_rearm_level(self) -> float:
        return self.oversold if self.rearm_buy is None else self.rearm_buy

    @property
    def sell_rearm_level(self) -> float:
        return self.overbought if self.rearm_sell is None else self.rearm_sell


class RsiMeanReversion(Strategy[RsiReversionParams]):
    name = "rsi_reversion"

    def __init__(self, instrument: InstrumentId | str, timeframe: str = "1m",
                 params: RsiReversionParams | None = None,
                 strategy_id: str | None = None) -> None:
        super().__init__(instrument, timeframe, params or RsiReversionParams(), strategy_id)

    def reset(self) -> None:
        self._rsi = RsiStream(self.params.period)
        self._buy_armed = True
        self._sell_armed = True

    def on_bar(self, bar: Bar, history: BarHistory) -> Signal | None:
        rsi = self._rsi.push(bar.close)
        if math.isnan(rsi):
            return None
        p = self.params
        if rsi >= p.buy_rearm_level:
            self._buy_armed = True
        if rsi <= p.sell_rearm_level:
            self._sell_armed = True
        if rsi < p.oversold and self._buy_armed:
            self._buy_armed = False
            return self.signal(bar, Side.BUY, (p.oversold - rsi) / p.oversold,
                               f"RSI({p.period}) {rsi:.2f} below {p.oversold:g}")
        if rsi > p.overbought and self._sell_armed:
            self._sell_armed = False
            return self.signal(bar, Side.SELL, (rsi - p.overbought) / (100 - p.overbought),
                               f"RSI({p.period}) {rsi:.2f} above {p.overbought:g}")
        return None
