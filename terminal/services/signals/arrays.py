"""Run a strategy over arrays of bars, outside the engine (research, the backtester)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from terminal.model.market import Bar
from terminal.model.signals import Signal
from terminal.services.bar_resample import BarArrays
from terminal.services.signals.base import AnyStrategy

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def run_on_arrays(strategy: AnyStrategy, ts: I64, open_: F64, high: F64, low: F64,
                  close: F64, volume: F64, progress: Callable[[int], None] | None = None,
                  every: int = 10_000) -> list[Signal]:
    """The signals `strategy` gives over these bars (`ts` = bar open times, ns), from a
    fresh start: the strategy is reset first, so it is left as after the last bar.
    `progress` is called with the number of bars done after every `every` bars."""
    n = len(ts)
    if not all(len(a) == n for a in (open_, high, low, close, volume)):
        raise ValueError("the OHLCV arrays must have the same length")
    strategy.reset()
    history = strategy.new_history()
    iid = strategy.instrument_id
    interval = strategy.interval_ns
    out: list[Signal] = []
    step = max(1, every)
    rows = zip(ts.tolist(), open_.tolist(), high.tolist(), low.tolist(), close.tolist(),
               volume.tolist(), strict=True)
    for done, (t, o, h, lo, c, v) in enumerate(rows, 1):
        bar = Bar(iid, interval, t, o, h, lo, c, v)
        history.append(bar)
        signal = strategy.on_bar(bar, history)
        if signal is not None:
            out.append(signal)
        if progress is not None and done % step == 0:
            progress(done)
    return out


def run_on_bars(strategy: AnyStrategy, bars: BarArrays,
                progress: Callable[[int], None] | None = None,
                every: int = 10_000) -> list[Signal]:
    return run_on_arrays(strategy, bars.ts, bars.open, bars.high, bars.low, bars.close,
                         bars.volume, progress, every)
