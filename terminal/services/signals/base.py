"""The base class of strategies: parameters, an instrument and timeframe, and `on_bar`.

A strategy keeps its indicators as streams (O(1) per bar) and answers each closed bar
with a Signal or None. `reset` puts it back to before its first bar, so the same instance
can run live in the SignalEngine or over arrays (`run_on_arrays`) with the same results.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.services.signals.history import DEFAULT_HISTORY, BarHistory
from terminal.services.timeframes import parse_timeframe

P = TypeVar("P")

# an order's source is "strategy:<id>" and holds at most 32 characters
MAX_STRATEGY_ID = 23
STRATEGY_ID = re.compile(r"^[A-Za-z0-9._\-]{1,23}$")


class Strategy(ABC, Generic[P]):
    name: ClassVar[str] = "strategy"
    history_size: ClassVar[int] = DEFAULT_HISTORY

    def __init__(self, instrument: InstrumentId | str, timeframe: str, params: P,
                 strategy_id: str | None = None) -> None:
        self.instrument_id = instrument if isinstance(instrument, InstrumentId) \
            else InstrumentId.parse(instrument)
        tf = parse_timeframe(timeframe)
        self.timeframe = tf.label
        self.interval_ns = tf.interval_ns
        self.params = params
        self.strategy_id = strategy_id or self.name
        if not STRATEGY_ID.fullmatch(self.strategy_id):
            raise ValueError(f"strategy id {self.strategy_id!r}: use 1 to {MAX_STRATEGY_ID} "
                             "letters, digits or . _ -")
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Forget every bar seen: fresh indicator state."""

    @abstractmethod
    def on_bar(self, bar: Bar, history: BarHistory) -> Signal | None:
        """A closed bar of this strategy's instrument and timeframe; `history` holds the
        bars before it and this one last."""

    def signal(self, bar: Bar, side: Side, strength: float, reason: str) -> Signal:
        interval = bar.interval_ns or self.interval_ns
        return Signal(self.instrument_id, side, min(1.0, max(0.0, strength)), reason,
                      bar.ts + interval, self.strategy_id, bar.ts, bar.close)

    def new_history(self) -> BarHistory:
        return BarHistory(self.history_size)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.strategy_id!r}, {self.instrument_id}, "
                f"{self.timeframe}, {self.params!r})")


AnyStrategy = Strategy[Any]
